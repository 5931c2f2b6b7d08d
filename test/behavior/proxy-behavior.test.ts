/**
 * Behaviour inside the running proxy: every bind is scored and its score and reasons are
 * logged and handed to the decision; events and baselines are stored and survive a
 * restart; the CLI shows what was learned; storage problems are clear at startup.
 */
import test from 'ava';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBehavior } from '../../src/behavior/setup.js';
import { configFromObject } from '../../src/config/load.js';
import { ErrorCode } from '../../src/errors.js';
import { LdapClient } from '../../src/ldap/client.js';
import { silentLogger } from '../../src/log/logger.js';
import type { BindAttempt } from '../../src/proxy/decision.js';
import { spawnBindwall } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { startProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const ALICE = `uid=alice,ou=people,${BASE_DN}`;
let slapd: Slapd;

test.before(async () => {
  slapd = await startSlapd();
});
test.after.always(async () => {
  await slapd?.stop();
});

test('binds are scored before the decision, logged with score and reasons, stored, and kept across a restart', async (t) => {
  const dir = tempDir(t);
  const storage = join(dir, 'bindwall.db');
  const seen: BindAttempt[] = [];
  const first = await startProxy({ directory: { urls: [slapd.url] }, storage: { path: storage } }, {
    behavior: true, decide: (a) => { seen.push(a); return { action: 'approve' }; },
  });
  for (let i = 0; i < 3; i++) {
    const c = await LdapClient.connect(first.url, { localAddress: '127.0.0.31' });
    t.is((await c.bind(ALICE, 'Alice-Pass-1')).resultCode, 0);
    await c.unbind();
  }
  const wrong = await LdapClient.connect(first.url, { localAddress: '127.0.0.32' });
  t.is((await wrong.bind(ALICE, 'nope')).resultCode, 49);
  await wrong.unbind();

  t.true(seen.every((a) => typeof a.assessment?.score === 'number'), 'the decision sees the score');
  const lines = first.logLines().filter((l) => l.event === 'bind');
  t.is(lines.length, 4);
  t.true(lines.every((l) => typeof l.risk === 'number' && Array.isArray(l.signals) && Array.isArray(l.riskReasons)));
  await first.stop();

  const db = new Database(storage, { readonly: true });
  t.teardown(() => db.close());
  const rows = db.prepare('SELECT account, endpoint, result, outcome FROM events ORDER BY id').all() as { account: string; endpoint: string; result: string; outcome: string }[];
  t.deepEqual(rows.map((r) => [r.account, r.endpoint, r.result]), [
    ['alice', '127.0.0.31', 'success'], ['alice', '127.0.0.31', 'success'], ['alice', '127.0.0.31', 'success'], ['alice', '127.0.0.32', 'bad_password'],
  ]);

  // A new process on the same storage starts with what the first one learned.
  const again = startBehavior(configFromObject(join(dir, 'again.yaml'), { listeners: [{ name: 'x', port: 0 }], directory: { urls: [slapd.url] }, storage: { path: storage } }), silentLogger(), undefined, { upkeepCron: null });
  t.teardown(() => again.close());
  const baseline = again.service.engine.account('alice');
  t.truthy(baseline);
  t.is(baseline!.endpoints.get('127.0.0.31')?.count, 3);
  t.true(baseline!.failures.value >= 1);
});

test('risk show and endpoints print what was learned (text and --json)', async (t) => {
  const dir = tempDir(t);
  const storage = join(dir, 'bindwall.db');
  const p = await startProxy({ directory: { urls: [slapd.url] }, storage: { path: storage } }, { behavior: true });
  for (const address of ['127.0.0.41', '127.0.0.41', '127.0.0.42']) {
    const c = await LdapClient.connect(p.url, { localAddress: address });
    await c.bind(`uid=bob,ou=people,${BASE_DN}`, 'Bob-Pass-2');
    await c.unbind();
  }
  await p.stop();

  const show = spawnBindwall(['risk', 'show', `uid=bob,ou=people,${BASE_DN}`, '--db', storage]);
  t.is(await show.exited, 0, show.stderr());
  t.regex(show.stdout(), /^bob \(human, peer group people\)/);
  t.regex(show.stdout(), /3 logons learned/);
  const eps = spawnBindwall(['endpoints', 'BOB', '--db', storage, '--json']);
  t.is(await eps.exited, 0, eps.stderr());
  const parsed = JSON.parse(eps.stdout()) as { account: string; endpoints: { endpoint: string; count: number }[] };
  t.is(parsed.account, 'bob');
  t.deepEqual(parsed.endpoints.map((e) => [e.endpoint, e.count]).sort(), [['127.0.0.41', 2], ['127.0.0.42', 1]]);
  const unknown = spawnBindwall(['risk', 'show', 'nobody', '--db', storage]);
  t.is(await unknown.exited, 1);
  t.regex(unknown.stderr(), /nobody: no logons recorded/);
  t.is(unknown.stdout(), '');
});

test('storage problems are clear at startup and name the file', (t) => {
  const dir = tempDir(t);
  const cfg = (path: string) => configFromObject(join(dir, 'c.yaml'), { listeners: [{ name: 'x', port: 0 }], directory: { urls: ['ldap://127.0.0.1:1'] }, storage: { path } });

  const corrupt = join(dir, 'corrupt.db');
  writeFileSync(corrupt, 'this is not a database, just text that is long enough to have a header '.repeat(20));
  const e1 = t.throws(() => startBehavior(cfg(corrupt), silentLogger(), undefined, { upkeepCron: null }));
  t.is((e1 as { code?: string }).code, ErrorCode.StorageUnusable);
  t.regex(e1!.message, new RegExp(`storage ${corrupt}: it is corrupt or not a bindwall database`));

  const locked = join(dir, 'locked.db');
  const holder = new Database(locked);
  holder.exec('CREATE TABLE t (x); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);');
  t.teardown(() => holder.close());
  const e2 = t.throws(() => startBehavior(cfg(locked), silentLogger(), undefined, { upkeepCron: null }));
  t.regex(e2!.message, /locked by another process/);

  const blocker = join(dir, 'a-file');
  writeFileSync(blocker, '');
  const e3 = t.throws(() => startBehavior(cfg(join(blocker, 'sub', 'bindwall.db')), silentLogger(), undefined, { upkeepCron: null }));
  t.regex(e3!.message, /cannot create its folder/);
});
