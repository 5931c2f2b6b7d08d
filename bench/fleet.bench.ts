/**
 * `npm run bench:fleet`: fleet mode against one node, in one run on one machine. The one
 * node is bindwall on SQLite alone. The fleet is three bindwall nodes sharing one PostgreSQL
 * cluster, the load spread over them connection by connection, as a balancer would. Both run
 * with behaviour, the bench policy, the threat pool and info logs to a file. Interleaved
 * rounds, medians. For each: binds/s over reused connections, and CPU per bind of all of
 * bindwall's processes (every node) and of PostgreSQL's, from /proc. Then the fleet-wide
 * propagation delay of a quarantine: written on node A's store as `bindwall quarantine add`
 * writes it, until node C refuses the user (p50/p99).
 *
 * On this 2-core machine the three nodes, PostgreSQL, slapd and this load generator share the
 * cores: the fleet's throughput here says what its coordination costs, not what three hosts
 * would do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LdapClient } from '../src/ldap/client.js';
import { openDatabase } from '../src/store/db.js';
import { FleetOutbox } from '../src/store/fleet-outbox.js';
import { QuarantineStore } from '../src/store/quarantine-store.js';
import { binPath } from '../test/helpers/paths.js';
import { startPostgres, type Postgres } from '../test/helpers/postgres.js';
import { BASE_DN, startSlapd, type Slapd } from '../test/helpers/slapd.js';
import { benchPolicyText } from './policy.bench.js';
import { treeCpuMicros } from './proc.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 40);
const USERS = 10_000;
const CONNS = 15;

interface Node { name: string; url: string; child: ChildProcess; db: string }

async function startNode(slapd: Slapd, dir: string, name: string, pg?: Postgres): Promise<Node> {
  const base = join(dir, name);
  mkdirSync(join(base, 'policies'), { recursive: true });
  writeFileSync(join(base, 'policies', 'bench.yaml'), `${benchPolicyText()}`);
  writeFileSync(join(base, 'policies', '0-quarantine.yaml'), 'version: 1\nrules:\n  - { id: bench-quarantined, when: { quarantined: true }, action: block }\n');
  const config = join(base, 'bindwall.yaml');
  const fleet = pg ? `  postgres:\n    url: ${pg.url}\n    passwordFile: ${pg.passwordFile}\n    node: ${name}\n` : '';
  writeFileSync(config, `listeners:\n  - name: bench\n    port: 0\ndirectory:\n  urls: [${slapd.url}]\nlimits:\n  maxConnectionsPerAddress: 100000\n` +
    `policy:\n  dir: policies\n  watch: false\nstorage:\n  path: bindwall.db\n${fleet}log:\n  level: info\n`);
  const log = join(base, 'bindwall.log');
  const child = spawn(process.execPath, [binPath, 'start', '--config', config], { stdio: ['ignore', openSync(log, 'w'), 'inherit'], cwd: base });
  for (let i = 0; i < 400; i++) {
    const text = readFileSync(log, 'utf8');
    const m = /"url":"(ldap:\/\/127\.0\.0\.1:\d+)"/.exec(text);
    if (m && (!pg || text.includes('"event":"fleet_connected"'))) return { name, url: m[1]!, child, db: join(base, 'bindwall.db') };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`node ${name} did not start`);
}

const userDn = (i: number): string => `uid=user${String(i).padStart(5, '0')},ou=bulk,${BASE_DN}`;
const pick = (): number => 1 + Math.floor(Math.random() * USERS);

interface Measured { binds: number; seconds: number; bwUs: number; pgUs: number }

async function measure(targets: readonly Node[], pg: Postgres | undefined, seconds: number): Promise<Measured> {
  const clients = await Promise.all(Array.from({ length: CONNS }, (_, k) => LdapClient.connect(targets[k % targets.length]!.url)));
  let binds = 0;
  const cpu = (): number => targets.reduce((s, t) => s + treeCpuMicros(t.child.pid!), 0);
  const pgCpu = (): number => (pg?.pid() ? treeCpuMicros(pg.pid()!) : 0);
  const bw0 = cpu();
  const pg0 = pgCpu();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  await Promise.all(clients.map(async (c) => {
    while (process.hrtime.bigint() < deadline) {
      const i = pick();
      const r = await c.bind(userDn(i), `Bulk-Pass-${i}`);
      if (r.resultCode !== 0) throw new Error(`bind failed: ${r.resultCode}`);
      binds++;
    }
  }));
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const m = { binds, seconds: elapsed, bwUs: cpu() - bw0, pgUs: pgCpu() - pg0 };
  await Promise.all(clients.map((c) => c.unbind()));
  return m;
}

/** Quarantine written on A's store (the CLI's path: row and outbox in one transaction) until C refuses the user. */
async function propagation(a: Node, c: Node): Promise<number[]> {
  const db = openDatabase(a.db);
  const store = new QuarantineStore(db, { outbox: new FleetOutbox(db) });
  const client = await LdapClient.connect(c.url);
  const out: number[] = [];
  try {
    for (let t = 0; t < TRIALS; t++) {
      const i = 1 + t;
      const account = `user${String(i).padStart(5, '0')}`;
      const t0 = process.hrtime.bigint();
      store.put({ account, since: Date.now(), until: null, reason: 'bench', source: 'bench' });
      for (let k = 0; ; k++) {
        if ((await client.bind(userDn(i), `Bulk-Pass-${i}`)).resultCode === 49) break;
        if (k > 2_000) throw new Error('the quarantine did not reach node C');
        await new Promise((r) => setTimeout(r, 2));
      }
      out.push(Number(process.hrtime.bigint() - t0) / 1e6);
      store.remove(account, Date.now());
    }
  } finally {
    client.destroy();
    db.close();
  }
  return out;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const fmt = (n: number, d = 1): string => n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-bench-fleet-'));
  const all: Node[] = [];
  let slapd: Slapd | undefined;
  let pg: Postgres | undefined;
  try {
    process.stdout.write(`bindwall fleet benchmark: ${USERS} users, ${CONNS} reused connections, ${ROUNDS} rounds × ${SECONDS}s (medians), node ${process.version}\n\n`);
    [slapd, pg] = await Promise.all([startSlapd({ bulkUsers: USERS }), startPostgres()]);
    const single = await startNode(slapd, dir, 'single');
    const fleet = await Promise.all(['a', 'b', 'c'].map((n) => startNode(slapd!, dir, n, pg)));
    all.push(single, ...fleet);
    const setups = [{ name: 'one node, SQLite', nodes: [single], pg: undefined }, { name: 'three nodes, PostgreSQL', nodes: fleet, pg }];
    const rounds = new Map<string, Measured[]>(setups.map((s) => [s.name, []]));
    for (const s of setups) await measure(s.nodes, s.pg, Math.min(1, SECONDS / 2)); // warm-up
    for (let i = 0; i < ROUNDS; i++) for (const s of setups) rounds.get(s.name)!.push(await measure(s.nodes, s.pg, SECONDS));
    const header = `${'setup'.padEnd(26)}${'binds/s'.padStart(10)}${'binds/s per node'.padStart(18)}${'bindwall µs/bind'.padStart(18)}${'PostgreSQL µs/bind'.padStart(20)}`;
    process.stdout.write(`${header}\n${'-'.repeat(header.length)}\n`);
    const per = (name: string, f: (m: Measured) => number): number => median(rounds.get(name)!.map(f));
    for (const s of setups) {
      process.stdout.write(`${s.name.padEnd(26)}${fmt(per(s.name, (m) => m.binds / m.seconds), 0).padStart(10)}${fmt(per(s.name, (m) => m.binds / m.seconds / s.nodes.length), 0).padStart(18)}` +
        `${fmt(per(s.name, (m) => m.bwUs / m.binds)).padStart(18)}${fmt(per(s.name, (m) => m.pgUs / m.binds)).padStart(20)}\n`);
    }
    const [one, three] = setups.map((s) => s.name) as [string, string];
    process.stdout.write(`\nthree nodes vs one: throughput ${fmt(per(three, (m) => m.binds / m.seconds) / per(one, (m) => m.binds / m.seconds), 2)}×, ` +
      `CPU per bind ${fmt(per(three, (m) => (m.bwUs + m.pgUs) / m.binds) / per(one, (m) => m.bwUs / m.binds), 2)}× (bindwall and PostgreSQL)\n`);
    const delays = await propagation(fleet[0]!, fleet[2]!);
    process.stdout.write(`quarantine on node A → refused on node C: p50 ${fmt(median(delays))} ms, p99 ${fmt(pct(delays, 99))} ms, max ${fmt(Math.max(...delays))} ms over ${delays.length} trials (target: within 1 s)\n`);
    process.stdout.write(`\n${pct(delays, 99) <= 1_000 ? 'All targets met.' : 'Some targets were missed.'}\n`);
  } finally {
    await Promise.all(all.map((r) => new Promise<void>((resolve) => {
      if (r.child.exitCode !== null) return resolve();
      const timer = setTimeout(() => { r.child.kill('SIGKILL'); resolve(); }, 20_000);
      r.child.once('exit', () => { clearTimeout(timer); resolve(); });
      r.child.kill('SIGTERM');
    })));
    await slapd?.stop();
    await pg?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
