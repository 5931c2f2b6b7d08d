/**
 * Three bindwall nodes behind a round-robin TCP balancer with the PROXY protocol, as a fleet is
 * deployed: real clients (ldapwhoami from ldap-utils) bind through the balancer, every node
 * sees the real client address, and a spray the balancer spreads over the nodes is counted
 * once and blocked on all of them.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBalancer, type Balancer } from '../helpers/balancer.js';
import { bindFrom } from '../helpers/bind-from.js';
import { runBindwall } from '../helpers/cli.js';
import { startFleetNode, stopFleetNode, type FleetNode } from '../helpers/fleet.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const dn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;

let pgs: Postgres;
let slapd: Slapd;
let dir: string;
let lb: Balancer;
const nodes: FleetNode[] = [];

test.before(async () => {
  [pgs, slapd] = await Promise.all([startPostgres(), startSlapd()]);
  dir = mkdtempSync(join(tmpdir(), 'bindwall-fleet-lb-'));
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  writeFileSync(join(policies, 'policy.yaml'), 'version: 1\nrules:\n  - { id: quarantined, when: { quarantined: true }, action: block }\ndefault: { action: approve }\n');
  nodes.push(...(await Promise.all(['a', 'b', 'c'].map((name) => startFleetNode({ dir, name, pg: pgs, slapd, policies, proxyProtocol: true })))));
  lb = await startBalancer(nodes.map((n) => {
    const u = new URL(n.url);
    return { host: u.hostname, port: Number(u.port) };
  }));
});

test.after.always(async () => {
  await lb?.stop();
  await Promise.all(nodes.map(stopFleetNode));
  await slapd?.stop();
  await pgs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.serial('ldapwhoami through the balancer: every node answers, and each sees the real client', async (t) => {
  for (let i = 0; i < 3; i++) {
    const r = await ldapTool('ldapwhoami', ['-x', '-H', lb.url, '-D', dn('alice'), '-w', 'Alice-Pass-1']);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /uid=alice/);
  }
  t.deepEqual(lb.counts, [1, 1, 1]);
  // Bind lines are written behind (a quarter of a second at most).
  for (const n of nodes) await t.notThrowsAsync(n.proc.waitFor(/"client":"127\.0\.0\.1"[^\n]*"msg":"bind"/, 5_000), `node ${n.name} logged a bind`);
  // From another address: the node behind the balancer sees that one.
  t.is((await bindFrom(lb.url, '127.0.0.42', dn('alice'), 'Alice-Pass-1')).resultCode, 0);
  await t.notThrowsAsync(nodes[0]!.proc.waitFor(/"client":"127\.0\.0\.42"[^\n]*"msg":"bind"/, 5_000), 'the real client, not the balancer');
});

test.serial('a spray the balancer spreads over three nodes is counted once and blocked on every node', async (t) => {
  const sprayer = '127.0.0.88';
  for (let i = 0; i < 12; i++) {
    t.is((await bindFrom(lb.url, sprayer, `uid=guess${i},ou=people,${BASE_DN}`, 'Winter2026!')).resultCode, 49);
    await new Promise((r) => setTimeout(r, 30));
  }
  // Three more connections reach each node once: all refuse the sprayer, a right password too.
  await new Promise((r) => setTimeout(r, 300));
  for (let i = 0; i < 3; i++) t.is((await bindFrom(lb.url, sprayer, dn('alice'), 'Alice-Pass-1')).resultCode, 49, `connection ${i}`);
  for (const n of nodes) {
    const list = JSON.parse((await runBindwall(['threats', 'list', '--config', n.config, '--json'])).stdout) as { key: string; level: string }[];
    t.is(list.find((e) => e.key === sprayer)?.level, 'high', `node ${n.name}`);
  }
  // Everyone else goes on.
  t.is((await bindFrom(lb.url, '127.0.0.42', dn('alice'), 'Alice-Pass-1')).resultCode, 0);
});
