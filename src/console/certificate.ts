/**
 * The console's certificate when admin.tls is not set: a self-signed one made on first start
 * and kept beside the database (key 0600), so browsers can pin it and it survives restarts.
 * Renewed when it is within 30 days of expiry or does not name the admin host.
 */
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import type { TlsMaterial } from '../config/load.js';

const RENEW_BEFORE_MS = 30 * 86_400_000;
const VALID_FOR_MS = 397 * 86_400_000;

export interface ConsoleCertificate extends TlsMaterial {
  /** Where it is kept, and whether it was made now. */
  certFile: string;
  created: boolean;
  /** SHA-256 fingerprint, for the admin to compare with what the browser shows. */
  fingerprint: string;
}

export async function consoleCertificate(storagePath: string, host: string, now: number): Promise<ConsoleCertificate> {
  const dir = join(dirname(storagePath), 'console-tls');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const names = subjectNames(host);
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile);
    const x = new X509Certificate(cert);
    const fits = names.every((n) => (isIP(n) ? x.checkIP(n) : x.checkHost(n)) !== undefined);
    if (fits && Date.parse(x.validTo) - now > RENEW_BEFORE_MS) return { cert, key: readFileSync(keyFile), certFile, created: false, fingerprint: x.fingerprint256 };
  }
  // selfsigned (and the X.509 library under it) is loaded only when a certificate is made.
  const { generate } = await import('selfsigned');
  const made = await generate([{ name: 'commonName', value: `bindwall console (${host})` }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256', notBeforeDate: new Date(now - 60_000), notAfterDate: new Date(now + VALID_FOR_MS),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: names.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })) },
    ],
  });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, made.private, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  writeFileSync(certFile, made.cert);
  return { cert: Buffer.from(made.cert), key: Buffer.from(made.private), certFile, created: true, fingerprint: new X509Certificate(made.cert).fingerprint256 };
}

function subjectNames(host: string): string[] {
  const h = host.replace(/^\[|\]$/g, '');
  const names = new Set(['localhost', '127.0.0.1', '::1']);
  if (h !== '0.0.0.0' && h !== '::' && h !== '') names.add(h);
  return [...names];
}
