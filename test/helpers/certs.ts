/** A throwaway CA and a server certificate for 127.0.0.1/localhost, made with openssl. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  ca: Buffer;
}

let cached: TestCerts | undefined;

export function testCerts(): TestCerts {
  if (cached) return cached;
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-certs-'));
  // Made once per test process and shared by its tests: removed when the process ends.
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const f = (n: string): string => join(dir, n);
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: 'pipe' });
  };
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=bindwall test CA',
    '-keyout', f('ca.key'), '-out', f('ca.crt'), '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', f('server.key'), '-out', f('server.csr'));
  writeFileSync(f('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  run('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2',
    '-out', f('server.crt'), '-extfile', f('ext.cnf'));
  cached = { dir, caFile: f('ca.crt'), certFile: f('server.crt'), keyFile: f('server.key'), ca: readFileSync(f('ca.crt')) };
  return cached;
}
