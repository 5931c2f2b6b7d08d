/**
 * `workers.count: 2` with the real binary: connections land on both workers (round-robin),
 * yet a user's binds meet one baseline, one smart-lockout counter and one challenge, because
 * every worker asks the hub. ldapwhoami through the proxy, slapd behind it, the Okta
 * simulator answering like a phone.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LdapClient } from '../../src/ldap/client.js';
import { OktaSimulator } from '../../src/okta/simulator/server.js';
import { openDatabase } from '../../src/store/db.js';
import { BehaviorStore } from '../../src/store/behavior-store.js';
import { spawnBindwall, type Spawned } from '../helpers/cli.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { pendingPush } from '../helpers/okta-push.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const dn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;
const PW: Record<string, string> = { alice: 'Alice-Pass-1', bob: 'Bob-Pass-2', carol: 'Carol-Pass-3' };
const TOKEN = 'okta-sim-token-0016';

let slapd: Slapd;
let sim: OktaSimulator;
let bw: Spawned;
let url: string;
let db: string;
let dir: string;

test.before(async () => {
  slapd = await startSlapd();
  sim = new OktaSimulator({ apiTokens: [TOKEN], pushLifetimeMs: 10_000 });
  await sim.start();
  for (const uid of ['alice', 'bob', 'carol']) sim.state.addUser({ login: `${uid}@corp.example` });
  dir = mkdtempSync(join(tmpdir(), 'bindwall-workers-'));
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  writeFileSync(join(policies, 'policy.yaml'), 'version: 1\nrules:\n  - { id: carol-push, when: { user: carol }, action: mfa, method: push }\ndefault: { action: approve }\n');
  db = join(dir, 'bindwall.db');
  const file = join(dir, 'bindwall.yaml');
  writeFileSync(file, `listeners:
  - name: edge
    port: 0
directory:
  urls: [${slapd.url}]
storage:
  path: ${db}
policy:
  dir: ${policies}
  watch: false
mfa:
  okta: { orgUrl: ${sim.url}, apiToken: ${TOKEN}, loginTemplate: '{account}@corp.example' }
  pollIntervalMs: 25
  challengeTimeoutMs: 10000
  rememberMs: 0
threat:
  lockout: { threshold: 3 }
workers:
  count: 2
  balance: round-robin
admin:
  port: 0
`);
  bw = spawnBindwall(['start', '--config', file]);
  const m = await bw.waitFor(/"url":"(ldap:\/\/127\.0\.0\.1:\d+)"/, 30_000);
  url = m[1]!;
  await bw.waitFor(/worker 1 listening[\s\S]*worker 2 listening|worker 2 listening[\s\S]*worker 1 listening/, 30_000);
});

test.after.always(async () => {
  if (bw && bw.child.exitCode === null) {
    bw.child.kill('SIGTERM');
    await bw.exited;
  }
  await sim?.stop();
  await slapd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const whoami = (uid: string, password = PW[uid]!) => ldapTool('ldapwhoami', ['-x', '-H', url, '-D', dn(uid), '-w', password]);

/** Bind lines written so far: which worker process (pid) wrote each. */
async function bindLines(uid: string, count: number): Promise<{ pid: number; outcome: string }[]> {
  for (let i = 0; i < 300; i++) {
    const lines = bw.stdout().split('\n').filter((l) => l.includes('"event":"bind"') && l.includes(`"dn":"${dn(uid)}"`)).map((l) => JSON.parse(l) as { pid: number; outcome: string });
    if (lines.length >= count) return lines;
    await new Promise((r) => setTimeout(r, 10)); // the workers' lines are buffered up to 250 ms
  }
  throw new Error(`fewer than ${count} bind lines for ${uid}`);
}

test.serial('binds land on both workers; the hub keeps one baseline for the user', async (t) => {
  for (let i = 0; i < 6; i++) t.is((await whoami('alice')).code, 0);
  const lines = await bindLines('alice', 6);
  t.true(new Set(lines.map((l) => l.pid)).size >= 2, 'both workers took binds');
  t.true(lines.every((l) => l.outcome === 'approved'));
  // One process writes storage: the baseline there has learned every bind, whichever worker took it.
  let logons = 0;
  for (let i = 0; i < 300 && logons < 6; i++) {
    const d = openDatabase(db, { readonly: true });
    try {
      logons = new BehaviorStore(d).account('alice')?.logons ?? 0;
    } finally {
      d.close();
    }
    if (logons < 6) await new Promise((r) => setTimeout(r, 20));
  }
  t.is(logons, 6);
});

test.serial('wrong passwords spread over the workers count against one lockout counter', async (t) => {
  const codes: number[] = [];
  for (let i = 0; i < 5; i++) codes.push((await whoami('bob', `wrong-${i}`)).code);
  t.deepEqual(codes, [49, 49, 49, 49, 49]);
  const lines = await bindLines('bob', 5);
  // Threshold 3: three failures reach the directory, then bob is locked out at the proxy — on both workers.
  // (The two workers' lines reach stdout in their own order, so they are counted, not compared in sequence.)
  const failed = lines.filter((l) => l.outcome === 'failed');
  t.is(failed.length, 3);
  t.is(lines.filter((l) => l.outcome === 'locked_out').length, 2);
  t.is(new Set(failed.map((l) => l.pid)).size, 2, 'the failures were counted on both workers');
  await bw.waitFor(/bob locked out at the proxy/); // the hub's line (buffered up to 250 ms)
  t.pass();
});

test.serial('two binds of one user on two workers share one push; approving it lets both in', async (t) => {
  const verifies = (): number => sim.requests.filter((x) => x.path.endsWith('/verify')).length;
  const before = verifies();
  const first = whoami('carol');
  const second = whoami('carol');
  const id = await pendingPush(sim, 'carol@corp.example');
  // Both binds are waiting (bounded) before the phone answers: they are on different workers.
  await new Promise((r) => setTimeout(r, 200));
  sim.state.answer(id, true);
  const [a, b] = await Promise.all([first, second]);
  t.is(a.code, 0);
  t.is(b.code, 0);
  t.is(verifies() - before, 1, 'one push for both binds');
  const lines = await bindLines('carol', 2);
  t.is(new Set(lines.map((l) => l.pid)).size, 2, 'the binds were on different workers');
  t.true(lines.every((l) => l.outcome === 'challenge_passed'));
});

test.serial('the hub reports its workers: ready with both running, their listeners, gauges in /metrics', async (t) => {
  const admin = (await bw.waitFor(/"event":"admin_listening","url":"(http:\/\/127\.0\.0\.1:\d+)"/))[1]!;
  const ready = await fetch(`${admin}/readyz`);
  t.is(ready.status, 200);
  const body = await ready.json() as { checks: { name: string; ok: boolean }[] };
  t.like(body.checks.find((c) => c.name === 'workers'), { ok: true });
  t.like(body.checks.find((c) => c.name === 'listening'), { ok: true });
  const status = await (await fetch(`${admin}/status`)).json() as { workers: unknown; listeners: { url: string }[] };
  t.deepEqual(status.workers, { count: 2, running: 2, restarts: 0 });
  t.is(status.listeners[0]!.url, url);
  t.regex(await (await fetch(`${admin}/metrics`)).text(), /^bindwall_workers_running 2$/m);
  // Connections open on the workers are counted by the hub (each worker says so once a second).
  const clients = await Promise.all([LdapClient.connect(url), LdapClient.connect(url)]);
  t.teardown(() => clients.forEach((c) => c.destroy()));
  let sessions = 0;
  for (let i = 0; i < 300 && sessions < 2; i++) {
    sessions = ((await (await fetch(`${admin}/status`)).json()) as { sessions: number }).sessions;
    if (sessions < 2) await new Promise((r) => setTimeout(r, 10));
  }
  t.is(sessions, 2);
});

test.serial('a worker that dies is replaced; binds go on meanwhile on the other', async (t) => {
  const victim = (await bindLines('alice', 1))[0]!.pid;
  process.kill(victim, 'SIGKILL');
  await bw.waitFor(new RegExp(`"event":"worker_exited","worker":\\d+,"pid":${victim}`));
  for (let i = 0; i < 4; i++) t.is((await whoami('alice')).code, 0, 'served by the worker still alive');
  // The replacement listens after a second (the restart delay); the hub's line is buffered up to 250 ms.
  const listening = (): number => bw.stdout().split('\n').filter((l) => l.includes('"event":"worker_listening"')).length;
  for (let i = 0; i < 500 && listening() < 3; i++) await new Promise((r) => setTimeout(r, 10));
  t.is(listening(), 3, 'two at start, one replacement');
  t.is((await whoami('alice')).code, 0);
});

test.serial('SIGTERM: the workers drain and exit, then the hub; exit 0', async (t) => {
  const started = Date.now();
  bw.child.kill('SIGTERM');
  t.is(await bw.exited, 0);
  t.true(Date.now() - started < 5_000, 'nothing waited for the grace period: no connection was open');
  const out = bw.stdout();
  t.is((out.match(/"event":"worker_stopping"/g) ?? []).length, 2);
  t.regex(out, /"event":"stopped"/);
});
