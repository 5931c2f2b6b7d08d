/**
 * Fleet mode with workers: node A runs two worker processes behind its hub, node B one process,
 * both on one throwaway PostgreSQL cluster. The hub is the node's link to the fleet: a
 * quarantine made on B refuses the user on both of A's workers within a second, and binds
 * taken by A's workers are learned on B.
 */
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bindFrom } from '../helpers/bind-from.js';
import { runBindwall } from '../helpers/cli.js';
import { startFleetNode, stopFleetNode, type FleetNode } from '../helpers/fleet.js';
import { startPostgres, type Postgres } from '../helpers/postgres.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const dn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;

let pgs: Postgres;
let slapd: Slapd;
let dir: string;
const nodes: FleetNode[] = [];

test.before(async () => {
  [pgs, slapd] = await Promise.all([startPostgres(), startSlapd()]);
  dir = mkdtempSync(join(tmpdir(), 'bindwall-fleet-workers-'));
  const policies = join(dir, 'policies');
  mkdirSync(policies);
  writeFileSync(join(policies, 'policy.yaml'), 'version: 1\nrules:\n  - { id: quarantined, when: { quarantined: true }, action: block }\ndefault: { action: approve }\n');
  const a = await startFleetNode({ dir, name: 'a', pg: pgs, slapd, policies, extra: 'workers:\n  count: 2\n  balance: round-robin\n' });
  await a.proc.waitFor(/worker 1 listening[\s\S]*worker 2 listening|worker 2 listening[\s\S]*worker 1 listening/, 30_000);
  nodes.push(a, await startFleetNode({ dir, name: 'b', pg: pgs, slapd, policies }));
});

test.after.always(async () => {
  await Promise.all(nodes.map(stopFleetNode));
  await slapd?.stop();
  await pgs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.serial("binds on A's two workers are learned on B; a quarantine made on B refuses on both of A's workers within a second", async (t) => {
  const [a, b] = nodes as [FleetNode, FleetNode];
  for (let i = 0; i < 4; i++) t.is((await bindFrom(a.url, '127.0.0.24', dn('bob'), 'Bob-Pass-2')).resultCode, 0);
  let count = 0;
  for (let i = 0; i < 100 && count < 4; i++) {
    const r = await runBindwall(['endpoints', 'bob', '--config', b.config, '--json']);
    if (r.status === 0) count = (JSON.parse(r.stdout) as { endpoints: { endpoint: string; count: number }[] }).endpoints.find((e) => e.endpoint === '127.0.0.24')?.count ?? 0;
    if (count < 4) await new Promise((r2) => setTimeout(r2, 100));
  }
  t.is(count, 4, "bob's four logons on A's workers are on B");
  t.is((await runBindwall(['quarantine', 'add', 'bob', '--config', b.config])).status, 0);
  const t0 = Date.now();
  // Round-robin: consecutive connections land on the two workers in turn; both must refuse.
  let refusedInARow = 0;
  while (refusedInARow < 2 && Date.now() - t0 < 3_000) {
    refusedInARow = (await bindFrom(a.url, '127.0.0.24', dn('bob'), 'Bob-Pass-2')).resultCode === 49 ? refusedInARow + 1 : 0;
  }
  const ms = Date.now() - t0;
  t.is(refusedInARow, 2, 'both workers refuse bob');
  t.true(ms < 1_000, `refused on both of A's workers after ${ms} ms`);
});
