/** Starting and stopping bindwall's small HTTP(S) servers (challenge page, event hook, Okta simulator) the same way. */
import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens (port 0: one the OS picks) and returns the base URL it is reachable at. */
export async function listen(server: http.Server, host: string, port: number, scheme: 'http' | 'https'): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return `${scheme}://${a.address.includes(':') ? `[${a.address}]` : a.address}:${a.port}`;
}

/** Closes every connection, then the server. */
export async function close(server: http.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
