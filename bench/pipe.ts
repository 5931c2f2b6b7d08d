/**
 * The floor for any Node LDAP proxy: a plain TCP pipe to the directory, one upstream
 * connection per client, no parsing. Run as a child process by the benchmark; prints its
 * port on stdout.
 */
import net from 'node:net';

const [host, portText] = (process.argv[2] ?? '').split(':');
const server = net.createServer((client) => {
  client.setNoDelay(true);
  const upstream = net.connect({ host: host!, port: Number(portText) });
  upstream.setNoDelay(true);
  client.pipe(upstream).pipe(client);
  const close = (): void => { client.destroy(); upstream.destroy(); };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
