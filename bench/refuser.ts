/**
 * The floor for answering a guess in Node: a TCP server that answers every chunk it reads
 * with one fixed BindResponse (49), parsing nothing. Run as a child process by the threat
 * benchmark; prints its port on stdout.
 */
import net from 'node:net';
import { encodeResult } from '../src/ldap/messages.js';
import { Op } from '../src/ldap/protocol.js';

const answer = encodeResult(1, Op.BindResponse, 49, '');
const server = net.createServer((client) => {
  client.setNoDelay(true);
  client.on('data', () => client.write(answer));
  client.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
