/**
 * Audit mode end to end, for a fresh install that must not refuse anyone while it learns:
 * with policy.mode audit nothing is enforced — the decision a rule would have made is
 * logged and stored — except by rules that say `mode: enforce` (quarantine); a single rule
 * can be in audit mode under an enforcing policy; and a rule that steps up without
 * mfa.okta is reported with its file and line.
 */
import test from 'ava';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromObject } from '../../src/config/load.js';
import { loadPolicyDir } from '../../src/policy/compile.js';
import { checkPolicyAgainstConfig } from '../../src/policy/config-check.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { spawnBindwall } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { startProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const dn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;
const PW: Record<string, string> = { alice: 'Alice-Pass-1', bob: 'Bob-Pass-2', carol: 'Carol-Pass-3' };
const POLICY = `version: 1
rules:
  - { id: quarantined, when: { quarantined: true }, action: block, mode: enforce }
  - { id: alice-blocked, when: { user: alice }, action: block }
  - { id: bob-trial, when: { user: bob }, action: block, mode: audit }
  - { id: bob-mfa, when: { user: bob }, action: mfa }
default: { action: approve }
`;
let slapd: Slapd;

test.before(async () => {
  slapd = await startSlapd();
});
test.after.always(async () => {
  await slapd?.stop();
});

const bind = (url: string, uid: string): Promise<number> => ldapTool('ldapwhoami', ['-x', '-H', url, '-D', dn(uid), '-w', PW[uid]!]).then((r) => r.code);

test('policy.mode audit: nothing enforced but mode: enforce rules; what would have happened is logged and stored', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'p.yaml'), POLICY);
  const p = await startProxy({ directory: { urls: [slapd.url] }, policy: { dir, watch: false, mode: 'audit' }, storage: { path: join(dir, 'bw.db') } }, { behavior: true, policy: true });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : p.stop()));
  t.is(await bind(p.url, 'alice'), 0, 'alice-blocked is only audited');
  t.like(p.events.at(-1), { outcome: 'approved', ruleId: 'default', audit: { ruleId: 'alice-blocked', action: 'block' } });
  t.is(await bind(p.url, 'bob'), 0);
  t.like(p.events.at(-1), { outcome: 'approved', audit: { ruleId: 'bob-trial', action: 'block' } });
  p.quarantine!.add('carol', { reason: 'test', source: 'test' });
  t.is(await bind(p.url, 'carol'), 49, 'quarantine is enforced from minute one');
  t.like(p.events.at(-1), { outcome: 'blocked', ruleId: 'quarantined' });
  const lines = p.logLines().filter((l) => l.event === 'bind');
  t.deepEqual(lines.map((l) => (l.audit as { ruleId?: string } | undefined)?.ruleId ?? null), ['alice-blocked', 'bob-trial', null]);
  t.true(p.logLines().some((l) => l.event === 'policy_audit_mode'));
  await p.stop();
  stopped = true;
  const db = new Database(join(dir, 'bw.db'), { readonly: true });
  t.teardown(() => db.close());
  t.deepEqual(db.prepare('SELECT account, action, audit_rule_id AS auditRule, audit_action AS auditAction FROM events ORDER BY id').all(), [
    { account: 'alice', action: 'approve', auditRule: 'alice-blocked', auditAction: 'block' },
    { account: 'bob', action: 'approve', auditRule: 'bob-trial', auditAction: 'block' },
    { account: 'carol', action: 'block', auditRule: null, auditAction: null },
  ]);
  // policy replay shows what audit mode recorded, and what enforcing the same rules would do.
  const r = spawnBindwall(['policy', 'replay', '--policy', dir, '--db', join(dir, 'bw.db'), '--json']);
  t.is(await r.exited, 0, r.stderr());
  const report = JSON.parse(r.stdout()) as { audited: { ruleId: string; action: string; count: number; candidate: Record<string, number> }[] };
  t.deepEqual(report.audited.map((a) => ({ ruleId: a.ruleId, action: a.action, count: a.count, candidate: a.candidate })), [
    { ruleId: 'alice-blocked', action: 'block', count: 1, candidate: { block: 1 } },
    { ruleId: 'bob-trial', action: 'block', count: 1, candidate: { mfa: 1 } },
  ]);
  const text = spawnBindwall(['policy', 'replay', '--policy', dir, '--db', join(dir, 'bw.db')]);
  t.is(await text.exited, 0);
  t.regex(text.stdout(), /Audited \(recorded, not enforced[^\n]*\n\s+alice-blocked would have: block 1; the candidate decides them: block 1/);
  t.regex(text.stdout(), /1 bind\(s\) would be audited by the candidate's rules in audit mode/);
});

test('a rule in audit mode under an enforcing policy: recorded, and the next rule decides', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'p.yaml'), POLICY);
  const p = await startProxy({ directory: { urls: [slapd.url] }, policy: { dir, watch: false } }, { policy: true });
  t.teardown(() => p.stop());
  t.is(await bind(p.url, 'alice'), 49, 'enforced');
  t.is(await bind(p.url, 'bob'), 49, 'bob-mfa decides: no connector, refused');
  t.like(p.events.at(-1), { outcome: 'challenge_failed', ruleId: 'bob-mfa', audit: { ruleId: 'bob-trial', action: 'block' } });
});

test('a rule that steps up without mfa.okta is reported with its file and line', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'p.yaml'), POLICY);
  const { policy } = loadPolicyDir(dir);
  const config = configFromObject(join(dir, 'bindwall.yaml'), { listeners: [{ name: 'ldap', port: 0 }], directory: { urls: [slapd.url] } });
  const w = checkPolicyAgainstConfig(policy!, config).find((d) => /mfa\.okta is not configured/.test(d.message));
  t.like(w, { file: join(dir, 'p.yaml'), line: 6, severity: 'warning' });
  t.regex(w!.hint ?? '', /configure mfa\.okta/);
});
