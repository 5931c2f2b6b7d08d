/**
 * A small TCP round-robin load balancer for fleet tests, on a loopback port chosen by the OS:
 * each connection goes to the next backend in turn, preceded by a PROXY protocol v1 header
 * naming the real client, so the nodes see who is binding.
 */
import net from 'node:net';

export interface Balancer {
  port: number;
  url: string;
  /** Connections handed to each backend so far. */
  counts: number[];
  stop(): Promise<void>;
}

export async function startBalancer(backends: readonly { host: string; port: number }[]): Promise<Balancer> {
  let next = 0;
  const counts = backends.map(() => 0);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const i = next++ % backends.length;
    counts[i]!++;
    const b = backends[i]!;
    const upstream = net.connect({ host: b.host, port: b.port, localAddress: '127.0.0.1' });
    sockets.add(client);
    sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    upstream.once('connect', () => {
      upstream.write(`PROXY TCP4 ${client.remoteAddress!.replace(/^::ffff:/, '')} ${b.host} ${client.remotePort} ${b.port}\r\n`);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port, url: `ldap://127.0.0.1:${port}`, counts,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
