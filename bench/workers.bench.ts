/**
 * `npm run bench:workers`: bindwall as shipped (behaviour, the shipped policy's shape via the
 * 50-rule bench policy, the threat pool, info logs to a file) with `workers.count` 1 and 2, side
 * by side in one run, interleaved rounds, medians. For each: binds/s over reused connections and
 * on new connections, CPU per bind of all of bindwall's processes (the hub and its workers, from
 * /proc), and what slapd and this load generator took meanwhile — on a 2-core machine the three
 * share the cores, so the throughput a worker count sustains is bounded by them too. The target
 * that holds here: CPU per bind does not rise with workers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LdapClient } from '../src/ldap/client.js';
import { binPath } from '../test/helpers/paths.js';
import { BASE_DN, startSlapd, type Slapd } from '../test/helpers/slapd.js';
import { benchPolicyText } from './policy.bench.js';
import { cpuMicros, treeCpuMicros } from './proc.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const USERS = 10_000;
const CONNS = 16;

interface Running { workers: number; url: string; child: ChildProcess }

async function startBindwall(slapd: Slapd, dir: string, workers: number): Promise<Running> {
  const base = join(dir, `w${workers}`);
  mkdirSync(join(base, 'policies'), { recursive: true });
  writeFileSync(join(base, 'policies', 'bench.yaml'), benchPolicyText());
  const config = join(base, 'bindwall.yaml');
  writeFileSync(config, `listeners:\n  - name: bench\n    port: 0\ndirectory:\n  urls: [${slapd.url}]\nlimits:\n  maxConnectionsPerAddress: 100000\n` +
    `policy:\n  dir: policies\n  watch: false\nstorage:\n  path: bindwall.db\nlog:\n  level: info\nworkers:\n  count: ${workers}\n`);
  const log = join(base, 'bindwall.log');
  const child = spawn(process.execPath, [binPath, 'start', '--config', config], { stdio: ['ignore', openSync(log, 'w'), 'inherit'], cwd: base });
  for (let i = 0; i < 400; i++) {
    const text = readFileSync(log, 'utf8');
    const m = /"url":"(ldap:\/\/127\.0\.0\.1:\d+)"/.exec(text);
    if (m && (workers === 1 || (text.match(/"event":"worker_listening"/g) ?? []).length >= workers)) return { workers, url: m[1]!, child };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`bindwall with ${workers} workers did not start`);
}

const userDn = (i: number): string => `uid=user${String(i).padStart(5, '0')},ou=bulk,${BASE_DN}`;
const pick = (): number => 1 + Math.floor(Math.random() * USERS);

interface Measured { binds: number; seconds: number; bwUs: number; slapdUs: number; loadUs: number }

async function measure(target: Running, slapd: Slapd, reuse: boolean, seconds: number): Promise<Measured> {
  const clients = reuse ? await Promise.all(Array.from({ length: CONNS }, () => LdapClient.connect(target.url))) : [];
  let binds = 0;
  const bw0 = treeCpuMicros(target.child.pid!);
  const sl0 = cpuMicros(slapd.pid()!);
  const load0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  await Promise.all(Array.from({ length: CONNS }, async (_, k) => {
    while (process.hrtime.bigint() < deadline) {
      const c = reuse ? clients[k]! : await LdapClient.connect(target.url);
      const i = pick();
      const r = await c.bind(userDn(i), `Bulk-Pass-${i}`);
      if (r.resultCode !== 0) throw new Error(`bind failed: ${r.resultCode}`);
      if (!reuse) await c.unbind();
      binds++;
    }
  }));
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const load = process.cpuUsage(load0);
  const m = { binds, seconds: elapsed, bwUs: treeCpuMicros(target.child.pid!) - bw0, slapdUs: cpuMicros(slapd.pid()!) - sl0, loadUs: load.user + load.system };
  await Promise.all(clients.map((c) => c.unbind()));
  return m;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, d = 1): string => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-bench-workers-'));
  const running: Running[] = [];
  let slapd: Slapd | undefined;
  let failed = false;
  try {
    process.stdout.write(`bindwall workers benchmark: ${USERS} users, ${CONNS} connections, ${ROUNDS} rounds × ${SECONDS}s (medians), node ${process.version}\n\n`);
    slapd = await startSlapd({ bulkUsers: USERS });
    for (const n of [1, 2]) running.push(await startBindwall(slapd, dir, n));
    const header = `${'workload'.padEnd(28)}${'workers'.padStart(8)}${'binds/s'.padStart(10)}${'bindwall µs/bind'.padStart(18)}${'slapd cores'.padStart(13)}${'load gen cores'.padStart(16)}${'bindwall cores'.padStart(16)}`;
    process.stdout.write(`${header}\n${'-'.repeat(header.length)}\n`);
    const verdicts: string[] = [];
    for (const reuse of [true, false]) {
      const name = reuse ? 'bind, reused connections' : 'bind, new connection each';
      const rounds = new Map<number, Measured[]>(running.map((r) => [r.workers, []]));
      for (const r of running) await measure(r, slapd, reuse, Math.min(1, SECONDS / 2)); // warm-up
      for (let i = 0; i < ROUNDS; i++) for (const r of running) rounds.get(r.workers)!.push(await measure(r, slapd, reuse, SECONDS));
      const per = (n: number, f: (m: Measured) => number): number => median(rounds.get(n)!.map(f));
      for (const r of running) {
        const n = r.workers;
        process.stdout.write(`${(n === 1 ? name : '').padEnd(28)}${String(n).padStart(8)}${fmt(per(n, (m) => m.binds / m.seconds), 0).padStart(10)}` +
          `${fmt(per(n, (m) => m.bwUs / m.binds)).padStart(18)}${fmt(per(n, (m) => m.slapdUs / 1e6 / m.seconds), 2).padStart(13)}` +
          `${fmt(per(n, (m) => m.loadUs / 1e6 / m.seconds), 2).padStart(16)}${fmt(per(n, (m) => m.bwUs / 1e6 / m.seconds), 2).padStart(16)}\n`);
      }
      const cpuRatio = per(2, (m) => m.bwUs / m.binds) / per(1, (m) => m.bwUs / m.binds);
      const rateRatio = per(2, (m) => m.binds / m.seconds) / per(1, (m) => m.binds / m.seconds);
      const ok = cpuRatio <= 1.1;
      failed ||= !ok;
      verdicts.push(`${name.padEnd(28)}2 workers: CPU per bind ${fmt(cpuRatio, 2)}× of 1 (≤ 1.10: ${ok ? 'ok' : 'MISSED'}), throughput ${fmt(rateRatio, 2)}× of 1`);
    }
    process.stdout.write(`\n${verdicts.join('\n')}\n`);
  } finally {
    // SIGTERM: the hub stops its workers first (a killed hub would leave them to notice alone).
    await Promise.all(running.map((r) => new Promise<void>((resolve) => {
      if (r.child.exitCode !== null) return resolve();
      const timer = setTimeout(() => { r.child.kill('SIGKILL'); resolve(); }, 20_000);
      r.child.once('exit', () => { clearTimeout(timer); resolve(); });
      r.child.kill('SIGTERM');
    })));
    await slapd?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`\n${failed ? 'Some targets were missed.' : 'All targets met.'}\n`);
}

await main();
