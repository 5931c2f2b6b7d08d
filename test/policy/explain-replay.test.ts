/** `bindwall policy explain` and `policy replay` against a recorded history, as golden files. */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBindwall } from '../helpers/cli.js';
import { fixture, repoRoot, tempDir } from '../helpers/paths.js';
import { buildHistory } from './history.js';

function golden(t: { is(a: string, b: string): void; true(v: boolean, m?: string): void }, name: string, actual: string): void {
  const file = fixture('policies', `${name}.expected.txt`);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, actual);
  t.true(existsSync(file), `missing golden file; run with UPDATE_GOLDEN=1 to create ${file}`);
  t.is(actual, readFileSync(file, 'utf8'));
}

const policies = join(repoRoot, 'policies');

test('explain: facts, risk and reasons, each rule with why, and the decision', async (t) => {
  const db = buildHistory(tempDir(t));
  const night = await runBindwall(['policy', 'explain', '--user', 'uid=alice,ou=people,dc=corp,dc=example', '--endpoint', '10.7.7.7',
    '--at', '2026-11-20T23:30:00Z', '--policy', policies, '--db', db]);
  t.is(night.status, 0, night.stderr);
  golden(t, 'explain-night', night.stdout);
  const usual = await runBindwall(['policy', 'explain', '--user', 'alice', '--endpoint', '10.1.2.3', '--at', '2026-11-20T09:30:00Z', '--policy', policies, '--db', db]);
  t.is(usual.status, 0, usual.stderr);
  golden(t, 'explain-usual', usual.stdout);
  const json = await runBindwall(['policy', 'explain', '--user', 'alice', '--endpoint', '10.1.2.3', '--at', '2026-11-20T09:30:00Z', '--policy', policies, '--db', db, '--json']);
  const parsed = JSON.parse(json.stdout) as { explanation: { decision: { action: string; ruleId: string } } };
  t.like(parsed.explanation.decision, { action: 'approve', ruleId: 'default' });
});

test('explain: a quarantined account is shown as such and blocked', async (t) => {
  const db = buildHistory(tempDir(t));
  const add = await runBindwall(['quarantine', 'add', 'alice', '--reason', 'reported by the user', '--db', db]);
  t.is(add.status, 0, add.stderr);
  t.regex(add.stdout, /^alice quarantined/);
  const list = await runBindwall(['quarantine', 'list', '--db', db]);
  t.regex(list.stdout, /^alice {2}since .* \(cli:[^)]+\) reported by the user/);
  const r = await runBindwall(['policy', 'explain', '--user', 'alice', '--endpoint', '10.1.2.3', '--at', 'now', '--policy', policies, '--db', db]);
  t.regex(r.stdout, /Account {3}alice — kind human, QUARANTINED/);
  t.regex(r.stdout, /Decision {2}block — rule quarantined-users-blocked/);
  t.is((await runBindwall(['quarantine', 'release', 'alice', '--db', db])).status, 0);
  t.is((await runBindwall(['quarantine', 'release', 'alice', '--db', db])).status, 1);
});

test('replay: the decisions a candidate policy would change, per transition and per rule, with examples', async (t) => {
  const db = buildHistory(tempDir(t));
  const r = await runBindwall(['policy', 'replay', '--policy', fixture('policies', 'candidate'), '--since', '2026-11-01T00:00:00Z', '--examples', '2', '--db', db]);
  t.is(r.status, 0, r.stderr);
  golden(t, 'replay', r.stdout);
  const same = await runBindwall(['policy', 'replay', '--policy', policies, '--since', '2026-11-01T00:00:00Z', '--db', db, '--json']);
  const report = JSON.parse(same.stdout) as { events: number; changed: number; transitions: { from: string; to: string; count: number }[] };
  t.true(report.events > 100);
  // The history recorded its two unusual binds as approvals; the shipped policy steps them up.
  t.deepEqual(report.transitions.map((x) => [x.from, x.to, x.count]), [['approve', 'mfa', 2]]);
});

test('explain and replay: bad input is a clear error', async (t) => {
  const noUser = await runBindwall(['policy', 'explain', '--endpoint', '10.1.2.3']);
  t.is(noUser.status, 2);
  t.regex(noUser.stderr, /explain needs --user and --endpoint/);
  const badTime = await runBindwall(['policy', 'explain', '--user', 'a', '--endpoint', '10.1.2.3', '--at', '2026-11-20T09:30']);
  t.is(badTime.status, 2);
  t.regex(badTime.stderr, /has no time zone/);
  const badPolicy = await runBindwall(['policy', 'replay', '--policy', fixture('policies', 'invalid'), '--db', '/nonexistent.db']);
  t.is(badPolicy.status, 1);
  t.regex(badPolicy.stderr, /unknown key "grup"/);
  t.regex(badPolicy.stderr, /policy invalid \(26 error\(s\)\)/);
});
