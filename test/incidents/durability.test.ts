/**
 * kill -9 right after a client was answered: the incident row and the log lines of the
 * refusal (the incident line and the bind line) are already on disk, because both are
 * written through (the row with an fsync) before the answer is sent.
 */
import test from 'ava';
import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OktaSimulator } from '../../src/okta/simulator/server.js';
import { spawnBindwall } from '../helpers/cli.js';
import { LdapClient } from '../../src/ldap/client.js';
import { tempDir } from '../helpers/paths.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const ALICE = `uid=alice,ou=people,${BASE_DN}`;
const TOKEN = 'okta-sim-token-durable';
let slapd: Slapd;
let sim: OktaSimulator;

test.before(async () => {
  slapd = await startSlapd();
  sim = new OktaSimulator({ apiTokens: [TOKEN] });
  await sim.start();
  sim.state.addUser({ login: 'alice@corp.example' });
});
test.after.always(async () => {
  await sim?.stop();
  await slapd?.stop();
});

test('kill -9 just after a denied push was answered loses neither the incident nor its log lines', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'token'), TOKEN);
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'policy.yaml'), 'version: 1\nrules:\n  - { id: alice-push, when: { user: alice }, action: mfa, method: push, severity: high }\ndefault: { action: approve }\n');
  const config = join(dir, 'bindwall.yaml');
  writeFileSync(config, `listeners:\n  - { name: edge, port: 0 }\ndirectory:\n  urls: [${slapd.url}]\nstorage:\n  path: data/bindwall.db\npolicy:\n  dir: policies\n  watch: false\n` +
    `mfa:\n  okta: { orgUrl: "${sim.url}", apiTokenFile: token, loginTemplate: "{account}@corp.example" }\n  pollIntervalMs: 50\n`);
  for (let round = 0; round < 3; round++) {
    const bw = spawnBindwall(['start', '--config', config]);
    t.teardown(() => bw.child.kill('SIGKILL'));
    const [, url] = (await bw.waitFor(/"url":"(ldap:\/\/127\.0\.0\.1:\d+)"/)) as unknown as [string, string];
    const client = await LdapClient.connect(url);
    // Killed in the same turn as the answer arrives: nothing more gets written after it.
    const bind = client.bind(ALICE, 'Alice-Pass-1').then((r) => { bw.child.kill('SIGKILL'); return r.resultCode; });
    let pending;
    for (let i = 0; i < 500 && !(pending = sim.state.latestPending('alice@corp.example')); i++) await new Promise((r) => setTimeout(r, 10));
    t.truthy(pending, 'a push was sent');
    sim.state.answer(pending!.id, false);
    t.is(await bind, 49);
    await bw.exited;
    client.destroy();
    await new Promise((r) => setTimeout(r, 50)); // the pipe's last bytes
    const lines = bw.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    t.true(lines.some((l) => l.event === 'incident' && l.account === 'alice'), `round ${round}: the incident line`);
    t.true(lines.some((l) => l.event === 'bind' && l.outcome === 'challenge_failed'), `round ${round}: the bind line`);
    const db = new Database(join(dir, 'data', 'bindwall.db'), { readonly: true });
    t.is((db.prepare('SELECT COUNT(*) AS n FROM incidents').get() as { n: number }).n, round + 1);
    db.close();
  }
});
