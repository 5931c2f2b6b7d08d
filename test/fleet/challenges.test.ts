/**
 * Fleet challenges with real parts: bindwall nodes (the real binary) on one throwaway
 * PostgreSQL cluster, slapd behind them, the Okta simulator as the phone. One login binding
 * on two nodes at once gets one push, and both clients are answered; the node running the
 * push killed mid-challenge → another node polls the same push to its end and answers its
 * waiting client, with one incident when it is denied.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { LdapClient } from '../../src/ldap/client.js';
import { OktaSimulator } from '../../src/okta/simulator/server.js';
import { bindFrom } from '../helpers/bind-from.js';
import { runBindwall } from '../helpers/cli.js';
import { startFleetNode, stopFleetNode, type FleetNode } from '../helpers/fleet.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { pendingPush } from '../helpers/okta-push.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const dn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;
const PW: Record<string, string> = { alice: 'Alice-Pass-1', bob: 'Bob-Pass-2', carol: 'Carol-Pass-3' };
const TOKEN = 'okta-sim-token-0017';
/** How long PostgreSQL is down in the outage test (the issue asks for 30 s). */
const OUTAGE_MS = 30_000;

let pgs: Postgres;
let slapd: Slapd;
let sim: OktaSimulator;
let dir: string;
const nodes: FleetNode[] = [];

const whoami = (node: FleetNode, uid: string) => ldapTool('ldapwhoami', ['-x', '-H', node.url, '-D', dn(uid), '-w', PW[uid]!]);
const verifies = (): number => sim.requests.filter((x) => x.path.endsWith('/verify')).length;

async function incidents(node: FleetNode): Promise<{ account: string; failure: string }[]> {
  const r = await runBindwall(['incidents', 'list', '--config', node.config, '--json']);
  return JSON.parse(r.stdout) as { account: string; failure: string }[];
}

test.before(async () => {
  [pgs, slapd] = await Promise.all([startPostgres(), startSlapd()]);
  sim = new OktaSimulator({ apiTokens: [TOKEN], pushLifetimeMs: 30_000 });
  await sim.start();
  for (const uid of ['alice', 'bob', 'carol']) sim.state.addUser({ login: `${uid}@corp.example` });
  dir = mkdtempSync(join(tmpdir(), 'bindwall-fleet-mfa-'));
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  writeFileSync(join(policies, 'policy.yaml'), 'version: 1\nrules:\n  - { id: quarantined, when: { quarantined: true }, action: block }\n  - { id: push, when: { user: [bob, carol] }, action: mfa, method: push }\ndefault: { action: approve }\n');
  const extra = `mfa:
  okta: { orgUrl: ${sim.url}, apiToken: ${TOKEN}, loginTemplate: '{account}@corp.example' }
  pollIntervalMs: 50
  challengeTimeoutMs: 20000
  rememberMs: 60000
connectors:
  oktaSso: { orgUrl: ${sim.url}, apiToken: ${TOKEN}, pollIntervalMs: 5000 }
`;
  nodes.push(...(await Promise.all(['a', 'b', 'c'].map((name) => startFleetNode({ dir, name, pg: pgs, slapd, policies, extra })))));
});

test.after.always(async () => {
  await Promise.all(nodes.map(stopFleetNode));
  await sim?.stop();
  await slapd?.stop();
  await pgs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.serial('one login binding on two nodes at once gets one push; approving it lets both in', async (t) => {
  const [a, b] = nodes as [FleetNode, FleetNode];
  const before = verifies();
  const first = whoami(a, 'bob');
  const id = await pendingPush(sim, 'bob@corp.example');
  const second = whoami(b, 'bob');
  // The second node has claimed nothing and waits: still one push on the phone.
  await new Promise((r) => setTimeout(r, 700));
  t.is(verifies() - before, 1, 'one push for both binds');
  sim.state.answer(id, true);
  const [r1, r2] = await Promise.all([first, second]);
  t.is(r1.code, 0, r1.stderr);
  t.is(r2.code, 0, r2.stderr);
  t.is(verifies() - before, 1);
});

test.serial('a push passed on one node is remembered on the others (mfa.rememberMs): no second prompt', async (t) => {
  const [, b, c] = nodes as [FleetNode, FleetNode, FleetNode];
  const from = '127.0.0.61';
  const before = verifies();
  const first = bindFrom(b.url, from, dn('bob'), PW.bob!);
  sim.state.answer(await pendingPush(sim, 'bob@corp.example'), true);
  t.is((await first).resultCode, 0);
  t.is((await bindFrom(c.url, from, dn('bob'), PW.bob!)).resultCode, 0, 'node C lets the same login in');
  t.is(verifies() - before, 1, 'one push in all');
});

test.serial('the connectors run on exactly one node', async (t) => {
  await new Promise((r) => setTimeout(r, 2_500));
  const leaders = nodes.filter((n) => /"event":"fleet_leading","what":"connectors"/.test(n.proc.stdout()));
  t.is(leaders.length, 1, leaders.map((n) => n.name).join(', '));
  t.is(nodes.filter((n) => /"event":"connector_started"/.test(n.proc.stdout())).length, 1);
});

test.serial(`PostgreSQL stopped for ${OUTAGE_MS / 1000} s under load: binds decided from each node's state, no incident lost, everything caught up after`, async (t) => {
  const [a, b, c] = nodes as [FleetNode, FleetNode, FleetNode];
  const count = async (n: FleetNode): Promise<number> => (await incidents(n)).filter((i) => i.account === 'bob' && i.failure === 'denied').length;
  const before = await count(c);
  await pgs.stopServer();
  const stopAt = Date.now() + OUTAGE_MS;
  let approved = 0;
  let refused = 0;
  let denied = 0;
  try {
    // Load: alice binding on every node all along (approved by the policy, from each node's own state).
    const load = Promise.all([a, b, c, a, b, c].map(async (n) => {
      const client = await LdapClient.connect(n.url);
      try {
        while (Date.now() < stopAt) {
          if ((await client.bind(dn('alice'), PW.alice!)).resultCode === 0) approved++;
          else refused++;
        }
      } finally {
        client.destroy();
      }
    }));
    // Meanwhile: pushes denied on the phone on one node and another, each an incident; and a quarantine.
    for (const [i, n] of [b, c, b].entries()) {
      const bind = bindFrom(n.url, `127.0.0.${70 + i}`, dn('bob'), PW.bob!);
      sim.state.answer(await pendingPush(sim, 'bob@corp.example'), false);
      t.is((await bind).resultCode, 49);
      denied++;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await load;
    t.is((await runBindwall(['quarantine', 'add', 'alice', '--config', a.config])).status, 0);
  } finally {
    await pgs.startServer();
  }
  t.is(refused, 0, 'no approved bind was refused while the database was down');
  t.true(approved > 100, `${approved} binds approved during the outage`);
  // Caught up: every node has every incident, and the quarantine made on A refuses alice on C.
  const t0 = Date.now();
  await Promise.all(nodes.map((x) => x.proc.waitFor(/"event":"fleet_restored"/, 20_000)));
  t.log(`every node reconnected ${Date.now() - t0} ms after the database came back`);
  let n = 0;
  while (Date.now() - t0 < 20_000 && (n = await count(c)) < before + denied) await new Promise((r) => setTimeout(r, 200));
  t.is(n, before + denied, 'node C has every incident opened during the outage');
  t.is(await count(b), before + denied);
  let blocked = false;
  for (let i = 0; i < 100 && !(blocked = (await whoami(c, 'alice')).code === 49); i++) await new Promise((r) => setTimeout(r, 100));
  t.true(blocked, "the outage's quarantine reached node C");
  for (const node of nodes) {
    const m = await (await fetch(`${node.admin}/metrics`)).text();
    t.regex(m, /bindwall_fleet_outbox 0/, `node ${node.name} has replayed everything`);
    t.regex(m, /bindwall_fleet_connected 1/);
  }
  t.log(`${approved} binds approved during the ${OUTAGE_MS / 1000} s outage; ${denied} incidents caught up in ${Date.now() - t0} ms`);
  t.is((await runBindwall(['quarantine', 'release', 'alice', '--config', c.config])).status, 0);
});

test.serial('the node running the push is killed mid-challenge: another polls the same push and answers its client; one incident when denied', async (t) => {
  const [a, b, c] = nodes as [FleetNode, FleetNode, FleetNode];
  const before = verifies();
  const onA = whoami(a, 'carol');
  const id = await pendingPush(sim, 'carol@corp.example');
  const onB = whoami(b, 'carol');
  await new Promise((r) => setTimeout(r, 500));
  a.proc.child.kill('SIGKILL');
  await a.proc.exited;
  t.not((await onA).code, 0, "the killed node's client lost its connection");
  // B notices A's silence (a few seconds), takes over and polls the same push.
  await b.proc.waitFor(/"event":"fleet_challenge_taken_over"[^\n]*"push":"polled"/, 15_000);
  sim.state.answer(id, false);
  const r = await onB;
  t.is(r.code, 49, 'denied on the phone: refused');
  t.is(verifies() - before, 1, 'no second push');
  // One incident, opened by B (which decided it), and the same one on C once the fleet passed it on.
  const decided = (await incidents(b)).filter((i) => i.account === 'carol');
  t.is(decided.length, 1, `one incident on the deciding node: ${JSON.stringify(decided)}`);
  t.is(decided[0]!.failure, 'denied');
  for (let i = 0; i < 100 && !(await incidents(c)).some((x) => x.account === 'carol'); i++) await new Promise((r2) => setTimeout(r2, 50));
  t.is((await incidents(c)).filter((i) => i.account === 'carol').length, 1, 'the same one on node C');
  const client = new pg.Client({ connectionString: pgs.urlWithPassword });
  await client.connect();
  try {
    const n = await client.query("SELECT count(*)::int AS n FROM fleet_records WHERE kind = 'incident' AND data->>'account' = 'carol'");
    t.is(n.rows[0].n, 1, 'one incident in the fleet database');
  } finally {
    await client.end();
  }
});

test.serial('the connector node gone, another takes the connectors over', async (t) => {
  const leading = /"event":"fleet_leading","what":"connectors"/;
  const alive = nodes.filter((n) => n.proc.child.exitCode === null);
  // The leader may have been node A, killed above: wait until one of the living leads.
  const leader = await Promise.any(alive.map((n) => n.proc.waitFor(leading, 15_000).then(() => n)));
  leader.proc.child.kill('SIGKILL');
  await leader.proc.exited;
  const rest = alive.filter((n) => n !== leader);
  const next = await Promise.any(rest.map((n) => n.proc.waitFor(leading, 15_000).then(() => n)));
  t.regex(next.proc.stdout(), /"event":"connector_started"/, `node ${next.name} runs the connectors after ${leader.name} was killed`);
});
