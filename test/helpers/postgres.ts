/**
 * Starts a throwaway PostgreSQL cluster (Debian's postgresql package) on a loopback port for
 * one test file: initdb with a password for the superuser (scram), the server in the
 * foreground, its socket in the cluster's own folder. Teardown stops it and removes its files.
 * PostgreSQL refuses to run as root, so under root the cluster belongs to the `postgres` user.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestCerts } from './certs.js';
import { freePort, waitForPort } from './ports.js';

export const PG_USER = 'bindwall';
export const PG_PASSWORD = 'Pg-Secret-7';

export interface Postgres {
  host: string;
  port: number;
  /** postgres://bindwall@127.0.0.1:port/bindwall (no password: it is in passwordFile). */
  url: string;
  /** A file holding the password, mode 0600, as an admin would give it. */
  passwordFile: string;
  /** The same URL with the password in it, for the tests' own client. */
  urlWithPassword: string;
  /** The server's process (under root, runuser above it): benchmarks read the CPU of its tree. */
  pid(): number | undefined;
  /** Stops the server (fast shutdown) and keeps its data: start() brings it back on the same port. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))).sort((a, b) => Number(b) - Number(a)) : [];
  if (!versions.length) throw new Error('PostgreSQL server not installed (apt-get install postgresql); .ci/run installs it');
  return join(root, versions[0]!, 'bin');
}

/** `tls`: serve TLS with these certificates too (ssl = on; clients may still connect without it). */
export async function startPostgres(opts: { tls?: TestCerts } = {}): Promise<Postgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  let uid: number | undefined;
  let gid: number | undefined;
  if (asRoot) {
    uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(dir, uid, gid);
    chmodSync(dir, 0o755);
  }
  const run = (cmd: string, args: string[]): void => {
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args], { stdio: 'pipe' });
    else execFileSync(join(bin, cmd), args, { stdio: 'pipe' });
  };
  const pwfile = join(dir, 'superuser.pw');
  writeFileSync(pwfile, `${PG_PASSWORD}\n`, { mode: 0o600 });
  if (asRoot) chownSync(pwfile, uid!, gid!);
  run('initdb', ['-D', data, '-U', PG_USER, '--auth=scram-sha-256', `--pwfile=${pwfile}`, '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']);
  const tlsArgs: string[] = [];
  if (opts.tls) {
    // PostgreSQL reads its key only when the server's own user owns it, mode 0600.
    const cert = join(dir, 'server.crt');
    const key = join(dir, 'server.key');
    copyFileSync(opts.tls.certFile, cert);
    copyFileSync(opts.tls.keyFile, key);
    chmodSync(key, 0o600);
    if (asRoot) {
      chownSync(cert, uid!, gid!);
      chownSync(key, uid!, gid!);
    }
    tlsArgs.push('-c', 'ssl=on', '-c', `ssl_cert_file=${cert}`, '-c', `ssl_key_file=${key}`);
  }
  const passwordFile = join(dir, 'bindwall.pw');
  writeFileSync(passwordFile, `${PG_PASSWORD}\n`, { mode: 0o600 });
  const port = await freePort();
  const host = '127.0.0.1';
  let child: ChildProcess | undefined;
  let stderr = '';
  const startServer = async (): Promise<void> => {
    const args = ['-D', data, '-h', host, '-p', String(port), '-k', dir, '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200', '-c', 'log_min_messages=warning', ...tlsArgs];
    child = asRoot ? spawn('runuser', ['-u', 'postgres', '--', join(bin, 'postgres'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] }) : spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000); });
    try {
      await waitForPort(host, port, 20_000);
    } catch (err) {
      throw new Error(`postgres did not start: ${stderr}`, { cause: err });
    }
    // Accepting TCP is not accepting logins: wait until the startup finished.
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        execFileSync(join(bin, 'pg_isready'), ['-h', host, '-p', String(port), '-q']);
        break;
      } catch {
        if (Date.now() > deadline) throw new Error(`postgres not ready: ${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const stopServer = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    // pg_ctl's fast shutdown: sessions are ended, nothing waits for clients. (Under root the
    // child is runuser, which does not pass a signal on to the server.)
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    try {
      run('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '20']);
    } catch {
      c.kill('SIGKILL');
    }
    await exited;
  };
  await startServer();
  return {
    host, port, passwordFile,
    url: `postgres://${PG_USER}@${host}:${port}/postgres`,
    urlWithPassword: `postgres://${PG_USER}:${PG_PASSWORD}@${host}:${port}/postgres`,
    stopServer, startServer,
    pid: () => child?.pid,
    async stop() {
      await stopServer();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
