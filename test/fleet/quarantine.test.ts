/**
 * Fleet mode with real parts: three bindwall nodes (the real binary, each with its own SQLite
 * store) share one throwaway PostgreSQL cluster; slapd behind them; ldapwhoami binding
 * through them. A quarantine made on one node refuses the user on the others within a second;
 * with PostgreSQL stopped, a node keeps deciding, queues its change, says so in /readyz and
 * /metrics, and the change reaches the fleet once the database is back.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { runBindwall, spawnBindwall } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { startFleetNode, stopFleetNode, type FleetNode } from '../helpers/fleet.js';
import { bindFrom } from '../helpers/bind-from.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const dn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;
const PW: Record<string, string> = { alice: 'Alice-Pass-1', bob: 'Bob-Pass-2', carol: 'Carol-Pass-3' };

type Node = FleetNode;

let pgs: Postgres;
let slapd: Slapd;
let dir: string;
const nodes: Node[] = [];

const startNode = (name: string): Promise<Node> => startFleetNode({ dir, name, pg: pgs, slapd, policies: join(dir, 'policies') });

const whoami = (node: Node, uid: string) => ldapTool('ldapwhoami', ['-x', '-H', node.url, '-D', dn(uid), '-w', PW[uid]!]);

/** Milliseconds until `check` holds, polling every 20 ms, at most `limitMs`. */
async function msUntil(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > limitMs) return Infinity;
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - t0;
}

test.before(async () => {
  [pgs, slapd] = await Promise.all([startPostgres(), startSlapd()]);
  dir = mkdtempSync(join(tmpdir(), 'bindwall-fleet-'));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'policy.yaml'), 'version: 1\nrules:\n  - { id: quarantined, when: { quarantined: true }, action: block }\ndefault: { action: approve }\n');
  nodes.push(...(await Promise.all(['a', 'b', 'c'].map((n) => startNode(n)))));
});

test.after.always(async () => {
  await Promise.all(nodes.map(stopFleetNode));
  await slapd?.stop();
  await pgs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.serial('every node learns from every node\'s binds: five logons on node A are five in node C\'s baseline', async (t) => {
  const [a, , c] = nodes as [Node, Node, Node];
  for (let i = 0; i < 5; i++) t.is((await bindFrom(a.url, '127.0.0.23', dn('bob'), PW.bob!)).resultCode, 0);
  // Node C learns them from the fleet and writes its baseline behind (half a second).
  const learned = await msUntil(async () => {
    const r = await runBindwall(['risk', 'show', 'bob', '--config', c.config, '--json']);
    if (r.status !== 0) return false;
    const v = JSON.parse(r.stdout) as { logonsLearned?: number; endpoints?: number };
    return (v.logonsLearned ?? 0) >= 4.5 && (v.endpoints ?? 0) >= 1;
  }, 10_000);
  t.true(learned < Infinity, "bob's logons on A are in C's baseline");
  const onC = JSON.parse((await runBindwall(['endpoints', 'bob', '--config', c.config, '--json'])).stdout) as { endpoints: { endpoint: string; count: number }[] };
  t.is(onC.endpoints.find((e) => e.endpoint === '127.0.0.23')?.count, 5, JSON.stringify(onC));
});

test.serial('a quarantine made on node A refuses the user on nodes B and C within a second; a release on B lets her in on A and C', async (t) => {
  const [a, b, c] = nodes as [Node, Node, Node];
  for (const n of nodes) t.is((await whoami(n, 'alice')).code, 0, `alice on ${n.name} before`);
  const add = await runBindwall(['quarantine', 'add', 'alice', '--config', a.config, '--reason', 'fleet test']);
  t.is(add.status, 0, add.stderr);
  const onC = await msUntil(async () => (await whoami(c, 'alice')).code === 49, 3_000);
  const onB = await msUntil(async () => (await whoami(b, 'alice')).code === 49, 3_000);
  t.log(`quarantine on A refused on C after ${onC} ms, on B after ${onB} ms more`);
  t.true(onC < 1_000, `C refused alice after ${onC} ms`);
  t.true(onB < 1_000, `B refused alice after ${onB} ms`);
  t.is((await whoami(a, 'alice')).code, 49);
  // Release on another node than the one that quarantined.
  const release = await runBindwall(['quarantine', 'release', 'alice', '--config', b.config]);
  t.is(release.status, 0, release.stderr);
  const back = await msUntil(async () => (await whoami(a, 'alice')).code === 0 && (await whoami(c, 'alice')).code === 0, 3_000);
  t.true(back < 1_000, `alice back on A and C after ${back} ms`);
  // The fleet's record of it, once, with the node that changed it last.
  const client = new pg.Client({ connectionString: pgs.urlWithPassword });
  await client.connect();
  try {
    const r = await client.query("SELECT key, node, data->'row' AS row FROM fleet_records WHERE kind = 'quarantine'");
    t.deepEqual(r.rows, [{ key: 'alice', node: 'b', row: null }]);
  } finally {
    await client.end();
  }
});

test.serial('a spray spread over the three nodes is counted once: every node blocks the source; three wrong passwords on three nodes lock the account out on all', async (t) => {
  const [a, b, c] = nodes as [Node, Node, Node];
  const sprayer = '127.0.0.66';
  // Twelve accounts, four per node: no node alone reaches the spray threshold (ten accounts).
  for (let i = 0; i < 12; i++) {
    const node = nodes[i % 3]!;
    const r = await bindFrom(node.url, sprayer, `uid=nobody${i},ou=people,${BASE_DN}`, 'Summer2026!');
    t.is(r.resultCode, 49);
    // The next guess lands once this one was counted everywhere, as a spray's pace would allow.
    await new Promise((r2) => setTimeout(r2, 30));
  }
  const blockedEverywhere = await msUntil(async () => {
    for (const n of nodes) if ((await bindFrom(n.url, sprayer, dn('alice'), PW.alice!)).resultCode !== 49) return false;
    return true;
  }, 3_000);
  t.true(blockedEverywhere < Infinity, 'the sprayer is refused on every node, even with a right password');
  for (const n of [a, b, c]) {
    t.is((await whoami(n, 'alice')).code, 0, `alice from her own address on ${n.name}`);
    const list = await runBindwall(['threats', 'list', '--config', n.config, '--json']);
    const entries = JSON.parse(list.stdout) as { key: string; level: string }[];
    t.is(entries.find((e) => e.key === sprayer)?.level, 'high', `node ${n.name} has the sprayer high`);
  }
  // Smart lockout: three distinct wrong passwords for carol, one per node, from a machine she never used.
  const stranger = '127.0.0.77';
  for (const [i, n] of [a, b, c].entries()) {
    t.is((await bindFrom(n.url, stranger, dn('carol'), `wrong-${i}`)).resultCode, 49);
    await new Promise((r2) => setTimeout(r2, 150));
  }
  const locked = await msUntil(async () => (await bindFrom(a.url, stranger, dn('carol'), PW.carol!)).resultCode === 49, 3_000);
  t.true(locked < Infinity, 'carol is locked out at the proxy from unfamiliar sources on node A');
  t.is((await bindFrom(b.url, stranger, dn('carol'), PW.carol!)).resultCode, 49, 'and on node B');
});

test.serial('an administrator\'s threat-pool add and lockout release on one node take effect on the others within a second', async (t) => {
  const [a, b, c] = nodes as [Node, Node, Node];
  const bad = '127.0.0.99';
  t.is((await bindFrom(c.url, bad, dn('alice'), PW.alice!)).resultCode, 0);
  t.is((await runBindwall(['threats', 'add', bad, '--level', 'high', '--until', '1h', '--config', a.config])).status, 0);
  const blocked = await msUntil(async () => (await bindFrom(c.url, bad, dn('alice'), PW.alice!)).resultCode === 49, 3_000);
  t.true(blocked < 1_000, `blocked on C after ${blocked} ms`);
  t.is((await runBindwall(['threats', 'release', bad, '--config', c.config])).status, 0);
  const back = await msUntil(async () => (await bindFrom(a.url, bad, dn('alice'), PW.alice!)).resultCode === 0, 3_000);
  t.true(back < 1_000, `let in on A after ${back} ms`);
  // carol was locked out at the proxy from unfamiliar sources on every node (the spray test): released
  // on B, let in on A. Probed from another unfamiliar address: 127.0.0.77 itself is slowed by the pool now.
  t.is((await bindFrom(a.url, '127.0.0.78', dn('carol'), PW.carol!)).resultCode, 49);
  const rel = await runBindwall(['lockouts', 'release', 'carol', '--config', b.config]);
  t.is(rel.status, 0, rel.stderr);
  const freed = await msUntil(async () => (await bindFrom(a.url, '127.0.0.78', dn('carol'), PW.carol!)).resultCode === 0, 3_000);
  t.true(freed < 1_000, `carol let in on A after ${freed} ms`);
});

test.serial('PostgreSQL down: the node decides from its own state, queues the change, says so; the fleet catches up when it returns', async (t) => {
  const [a, , c] = nodes as [Node, Node, Node];
  await pgs.stopServer();
  try {
    const add = await runBindwall(['quarantine', 'add', 'bob', '--config', a.config]);
    t.is(add.status, 0, add.stderr);
    // Node A refuses bob from its own store (it re-reads quarantine within seconds).
    t.true(await msUntil(async () => (await whoami(a, 'bob')).code === 49, 10_000) < Infinity, 'A refuses bob while the database is down');
    t.is((await whoami(c, 'bob')).code, 0, 'C has not heard of it');
    await a.proc.waitFor(/"event":"fleet_unavailable"/, 10_000);
    // Ready all the same (the fleet check is reported, not required), with the reason.
    const ready = await fetch(`${a.admin}/readyz`);
    const body = (await ready.json()) as { ready: boolean; checks: { name: string; ok: boolean; detail?: string; optional?: boolean }[] };
    t.is(ready.status, 200);
    const fleet = body.checks.find((x) => x.name === 'fleet')!;
    t.false(fleet.ok);
    t.true(fleet.optional);
    t.regex(fleet.detail!, /fleet database unavailable.*1 change\(s\) queued/);
    const metrics = await (await fetch(`${a.admin}/metrics`)).text();
    t.regex(metrics, /bindwall_fleet_connected 0/);
    t.regex(metrics, /bindwall_fleet_outbox 1/);
  } finally {
    await pgs.startServer();
  }
  // Reconnects within its backoff (at most 15 s), replays, and C refuses bob.
  const caught = await msUntil(async () => (await whoami(c, 'bob')).code === 49, 20_000);
  t.true(caught < Infinity, 'C refuses bob once the database is back');
  t.log(`C refused bob ${caught} ms after the database came back`);
  await a.proc.waitFor(/"event":"fleet_restored"/, 5_000);
  const metrics = await (await fetch(`${a.admin}/metrics`)).text();
  t.regex(metrics, /bindwall_fleet_connected 1/);
  t.regex(metrics, /bindwall_fleet_outbox 0/);
  // No password of PostgreSQL's anywhere in what the nodes printed.
  for (const n of nodes) t.false((n.proc.stdout() + n.proc.stderr()).includes('Pg-Secret-7'), `node ${n.name} printed the database password`);
});

test.serial('bindwall migrate --to postgres: a single node\'s store joins the fleet; a node joining later starts with its baselines', async (t) => {
  // A single node, no fleet: carol logs on a few times from her desk, and is quarantined after.
  const soloYaml = join(dir, 'solo.yaml');
  const soloDb = join(dir, 'solo.db');
  writeFileSync(soloYaml, `listeners:\n  - name: edge\n    port: 0\ndirectory:\n  urls: [${slapd.url}]\nstorage:\n  path: ${soloDb}\npolicy:\n  dir: ${join(dir, 'policies')}\n  watch: false\n`);
  const solo = spawnBindwall(['start', '--config', soloYaml]);
  const url = (await solo.waitFor(/"url":"(ldap:\/\/127\.0\.0\.1:\d+)"/, 30_000))[1]!;
  for (let i = 0; i < 3; i++) t.is((await bindFrom(url, '127.0.0.31', dn('carol'), PW.carol!)).resultCode, 0);
  solo.child.kill('SIGTERM');
  await solo.exited;
  t.is((await runBindwall(['quarantine', 'add', 'carol', '--config', soloYaml])).status, 0);
  // The same store, now with the fleet's database.
  const fleetYaml = join(dir, 'solo-fleet.yaml');
  writeFileSync(fleetYaml, `listeners:\n  - name: edge\n    port: 0\ndirectory:\n  urls: [${slapd.url}]\nstorage:\n  path: ${soloDb}\n  postgres:\n    url: ${pgs.url}\n    passwordFile: ${pgs.passwordFile}\n    node: solo\n`);
  const usage = await runBindwall(['migrate', '--to', 'mysql', '--config', fleetYaml]);
  t.is(usage.status, 2);
  const r = await runBindwall(['migrate', '--to', 'postgres', '--config', fleetYaml, '--json']);
  t.is(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { quarantine: number; baselines: number };
  t.is(report.quarantine, 1);
  t.true(report.baselines >= 2, `baselines copied: ${report.baselines}`);
  // A node joining now has carol's history, and her quarantine.
  const d = await startFleetNode({ dir, name: 'd', pg: pgs, slapd, policies: join(dir, 'policies') });
  nodes.push(d);
  const has = await msUntil(async () => {
    const v = await runBindwall(['endpoints', 'carol', '--config', d.config, '--json']);
    return v.status === 0 && (JSON.parse(v.stdout) as { endpoints: { endpoint: string }[] }).endpoints.some((e) => e.endpoint === '127.0.0.31');
  }, 10_000);
  t.true(has < Infinity, "node d has carol's endpoint from the migrated store");
  // And what the running fleet learned (bob's logons on node A, in the first test), from the nodes' snapshots.
  const bobs = JSON.parse((await runBindwall(['endpoints', 'bob', '--config', d.config, '--json'])).stdout) as { endpoints: { endpoint: string; count: number }[] };
  t.true(bobs.endpoints.some((e) => e.endpoint === '127.0.0.23'), JSON.stringify(bobs));
  t.regex(d.proc.stdout(), /"event":"fleet_joined","baselines":\d+/);
  const refused = await msUntil(async () => (await bindFrom(d.url, '127.0.0.1', dn('carol'), PW.carol!)).resultCode === 49, 5_000);
  t.true(refused < Infinity, 'carol is quarantined on node d');
});

test('doctor checks the fleet database: reachable, the password right, the schema known', async (t) => {
  const r = await runBindwall(['doctor', '--config', nodes[0]!.config, '--json']);
  const found = JSON.parse(r.stdout) as { connections?: { what: string; ok: boolean }[] };
  const fleet = JSON.stringify(found).match(/"what":"fleet database [^"]+","ok":(true|false)/);
  t.truthy(fleet, r.stdout);
  t.is(fleet![1], 'true', r.stdout);
  t.regex(r.stdout, /fleet database postgres:\/\/bindwall@127\.0\.0\.1:\d+\/postgres \(schema \d+\)/);
});

test('/status shows the node in the fleet', async (t) => {
  const s = (await (await fetch(`${nodes[1]!.admin}/status`)).json()) as { ready: boolean; fleet: { node: string; connected: boolean; listening: boolean; outbox: number; events: { dropped: number } } };
  t.true(s.ready);
  t.like(s.fleet, { node: 'b', connected: true, listening: true, outbox: 0, events: { dropped: 0 } });
});

test('migrate with the database unreachable fails with the reason, exit 1', async (t) => {
  const file = join(dir, 'unreachable.yaml');
  const port = await freePort();
  writeFileSync(file, `listeners:\n  - name: edge\n    port: 0\ndirectory:\n  urls: [${slapd.url}]\nstorage:\n  path: ${join(dir, 'u.db')}\n  postgres:\n    url: postgres://bindwall@127.0.0.1:${port}/postgres\n    connectTimeoutMs: 1000\n`);
  const r = await runBindwall(['migrate', '--to', 'postgres', '--config', file]);
  t.is(r.status, 1);
  t.regex(r.stderr, /cannot copy into postgres:\/\/bindwall@127\.0\.0\.1:\d+\/postgres: .*ECONNREFUSED.*\[BW_FLEET_UNAVAILABLE\]/);
});

test('a password in storage.postgres.url is refused with its place and the fix', async (t) => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, `listeners:\n  - name: edge\n    port: 0\ndirectory:\n  urls: [${slapd.url}]\nstorage:\n  postgres:\n    url: postgres://bindwall:hunter2@127.0.0.1:5432/bindwall\n`);
  const r = await runBindwall(['config', 'check', file]);
  t.is(r.status, 1);
  t.regex(r.stderr + r.stdout, /bad\.yaml:8:\d+.*the URL holds a password.*passwordFile/s);
  t.false((r.stderr + r.stdout).includes('hunter2'));
});
