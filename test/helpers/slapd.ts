/**
 * Starts a real OpenLDAP slapd (Debian package) on a loopback port for one test file:
 * slapadd loads an LDIF fixture (plus optional bulk users), slapd runs in the foreground,
 * and teardown stops it and removes its files.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestCerts } from './certs.js';
import { fixture } from './paths.js';
import { freePort, waitForPort } from './ports.js';

export const BASE_DN = 'dc=corp,dc=example';
export const ADMIN_DN = 'cn=admin,dc=corp,dc=example';
export const ADMIN_PW = 'Admin-Secret-9';

export interface SlapdOptions {
  /** LDIF fixture file; default fixtures/test/directory.ldif. */
  ldif?: string;
  /** Extra people uid=user00001… under ou=bulk (password "Bulk-Pass-<n>"). */
  bulkUsers?: number;
  /** Also serve ldaps:// and StartTLS with these certificates. */
  certs?: TestCerts;
  /** The ppolicy overlay with lockout: this many wrong passwords lock an entry (pwdAccountLockedTime). */
  ppolicyMaxFailure?: number;
}

export const PPOLICY_DN = `cn=default,ou=policies,${BASE_DN}`;

export interface Slapd {
  host: string;
  port: number;
  url: string;
  ldapsUrl?: string;
  baseDn: string;
  pid(): number | undefined;
  /** SIGKILL: the directory dies mid-session. */
  kill(): Promise<void>;
  /** SIGSTOP: the directory hangs (connections are still accepted by the kernel). */
  freeze(): void;
  /** SIGCONT after freeze(). */
  thaw(): void;
  /** Starts it again on the same port with the same data. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const SLAPD = '/usr/sbin/slapd';

export function bulkUsersLdif(count: number, parent = `ou=bulk,${BASE_DN}`): string {
  const out: string[] = [`dn: ${parent}\nobjectClass: organizationalUnit\nou: bulk\n`];
  for (let i = 1; i <= count; i++) {
    const uid = `user${String(i).padStart(5, '0')}`;
    out.push(`dn: uid=${uid},${parent}\nobjectClass: inetOrgPerson\nobjectClass: posixAccount\nuid: ${uid}\ncn: Bulk User ${i}\nsn: User${i}\n` +
      `mail: ${uid}@corp.example\ndepartmentNumber: D${i % 20}\nuidNumber: ${10_000 + i}\ngidNumber: 100\nhomeDirectory: /home/${uid}\n` +
      `userPassword: Bulk-Pass-${i}\n`);
  }
  return out.join('\n');
}

export async function startSlapd(opts: SlapdOptions = {}): Promise<Slapd> {
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-slapd-'));
  const db = join(dir, 'db');
  mkdirSync(db);
  const tlsLines = opts.certs
    ? `TLSCACertificateFile ${opts.certs.caFile}\nTLSCertificateFile ${opts.certs.certFile}\nTLSCertificateKeyFile ${opts.certs.keyFile}\n`
    : '';
  const conf = join(dir, 'slapd.conf');
  writeFileSync(conf, `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile ${join(dir, 'slapd.pid')}
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload sssvlv
${opts.ppolicyMaxFailure ? 'moduleload ppolicy\n' : ''}sizelimit unlimited
${tlsLines}
database mdb
suffix "${BASE_DN}"
rootdn "${ADMIN_DN}"
rootpw ${ADMIN_PW}
directory ${db}
maxsize 4294967296
index objectClass eq
index uid eq
overlay sssvlv
${opts.ppolicyMaxFailure ? `overlay ppolicy\nppolicy_default "${PPOLICY_DN}"\nppolicy_use_lockout\n` : ''}access to attrs=userPassword by self write by anonymous auth by * none
access to * by self write by users read by anonymous read
`);
  let ldif = readFileSync(opts.ldif ?? fixture('test', 'directory.ldif'), 'utf8');
  if (opts.bulkUsers) ldif += `\n${bulkUsersLdif(opts.bulkUsers)}`;
  if (opts.ppolicyMaxFailure) {
    ldif += `\ndn: ou=policies,${BASE_DN}\nobjectClass: organizationalUnit\nou: policies\n\n` +
      `dn: ${PPOLICY_DN}\nobjectClass: device\nobjectClass: pwdPolicy\ncn: default\npwdAttribute: userPassword\n` +
      `pwdLockout: TRUE\npwdMaxFailure: ${opts.ppolicyMaxFailure}\npwdLockoutDuration: 0\npwdFailureCountInterval: 0\n`;
  }
  const ldifFile = join(dir, 'data.ldif');
  writeFileSync(ldifFile, ldif);
  execFileSync('slapadd', ['-q', '-f', conf, '-l', ldifFile], { stdio: 'pipe' });

  const host = '127.0.0.1';
  const port = await freePort();
  const tlsPort = opts.certs ? await freePort() : undefined;
  let child: ChildProcess | undefined;

  const launch = async (): Promise<void> => {
    const urls = [`ldap://${host}:${port}/`, ...(tlsPort ? [`ldaps://${host}:${tlsPort}/`] : [])];
    child = spawn(SLAPD, ['-f', conf, '-h', urls.join(' '), '-d', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    const exited = new Promise<never>((_, reject) => child!.once('exit', (code) => reject(new Error(`slapd exited (${code}): ${stderr}`))));
    await Promise.race([waitForPort(host, port), exited]);
    child.removeAllListeners('exit');
  };
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  };
  await launch();
  return {
    host, port, url: `ldap://${host}:${port}`, ...(tlsPort ? { ldapsUrl: `ldaps://${host}:${tlsPort}` } : {}), baseDn: BASE_DN,
    pid: () => child?.pid,
    kill: () => halt('SIGKILL'),
    freeze: () => { child?.kill('SIGSTOP'); },
    thaw: () => { child?.kill('SIGCONT'); },
    restart: launch,
    stop: async () => {
      child?.kill('SIGCONT'); // a frozen slapd would never act on SIGTERM
      await halt('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
