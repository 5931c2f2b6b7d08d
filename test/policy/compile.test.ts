import test from 'ava';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { formatDiagnostic } from '../../src/config/diagnostics.js';
import { compilePolicy, loadPolicyDir } from '../../src/policy/compile.js';
import { policyJsonSchema } from '../../src/policy/schema.js';
import { fixture, repoRoot, tempDir } from '../helpers/paths.js';
import { runBindwall } from '../helpers/cli.js';

const policies = join(repoRoot, 'policies');
const read = (file: string): { file: string; text: string } => ({ file, text: readFileSync(file, 'utf8') });

test('every problem in the invalid policy directory is reported at once, matching the golden file', (t) => {
  const { policy, diagnostics } = loadPolicyDir(relative(repoRoot, fixture('policies', 'invalid')));
  t.is(policy, undefined);
  const actual = `${diagnostics.map(formatDiagnostic).join('\n')}\n`;
  const golden = fixture('policies', 'invalid.expected.txt');
  if (process.env.UPDATE_GOLDEN) writeFileSync(golden, actual);
  t.true(existsSync(golden), `missing golden file; run with UPDATE_GOLDEN=1 to create ${golden}`);
  t.is(actual, readFileSync(golden, 'utf8'));
});

test('the shipped default policy and every example compile without a warning', (t) => {
  const base = read(join(policies, 'default.yaml'));
  for (const example of ['10-contractors-off-hours.yaml', '10-legacy-app-hosts.yaml']) {
    const { policy, diagnostics } = compilePolicy([base, read(join(policies, 'examples', example))]);
    t.deepEqual(diagnostics.map(formatDiagnostic), [], example);
    t.truthy(policy);
  }
  const { policy, diagnostics } = loadPolicyDir(policies);
  t.deepEqual(diagnostics, []);
  t.deepEqual(policy!.rules.map((r) => r.id), ['quarantined-until-verified', 'quarantined-users-blocked', 'high-risk-blocked', 'privileged-unfamiliar-endpoint', 'service-account-new-host', 'medium-risk-step-up']);
});

test('the policy hash identifies the files: same text, same hash; any edit, another', (t) => {
  const a = compilePolicy([{ file: 'p/a.yaml', text: 'version: 1\ndefault: { action: approve }\n' }]).policy!;
  const b = compilePolicy([{ file: 'q/a.yaml', text: 'version: 1\ndefault: { action: approve }\n' }]).policy!;
  const c = compilePolicy([{ file: 'p/a.yaml', text: 'version: 1\ndefault: { action: block }\n' }]).policy!;
  t.is(a.hash, b.hash);
  t.not(a.hash, c.hash);
  t.regex(a.hash, /^[0-9a-f]{16}$/);
});

test('a policy directory without files, or missing, is one clear error', (t) => {
  const dir = tempDir(t);
  t.regex(formatDiagnostic(loadPolicyDir(dir).diagnostics[0]!), /no policy files \(\*\.yaml\) in the policy directory/);
  t.regex(formatDiagnostic(loadPolicyDir(join(dir, 'nope')).diagnostics[0]!), /cannot read policy directory: ENOENT/);
});

test('shadowing: a broader earlier rule without exceptions hides a narrower one; exceptions or other keys do not', (t) => {
  const text = `version: 1
rules:
  - id: admins
    when: { group: [admins, ops], risk: { atLeast: 40 } }
    action: mfa
  - id: admins-high
    when: { group: admins, risk: { atLeast: 60, below: 90 }, kind: privileged }
    action: block
  - id: admins-excepted
    when: { group: admins }
    unless: [ { endpoint: 10.0.0.0/8 } ]
    action: approve
  - id: after-exception
    when: { group: admins }
    action: block
default: { action: approve }
`;
  const { diagnostics } = compilePolicy([{ file: 'p.yaml', text }]);
  t.deepEqual(diagnostics.map(formatDiagnostic), [
    'p.yaml:6:5: warning: rule "admins-high" can never match: rule "admins" (p.yaml:3) matches every bind it would (hint: move "admins-high" above "admins", or narrow "admins")',
  ]);
});

test('the JSON Schema comes from the same source and describes rules and conditions', async (t) => {
  const schema = policyJsonSchema() as { properties: Record<string, unknown>; $defs: Record<string, { properties: Record<string, unknown> }> };
  t.truthy(schema.properties.rules);
  t.truthy(schema.properties.default);
  const condition = schema.$defs.condition!;
  for (const key of ['group', 'endpoint', 'time', 'risk', 'signals', 'quarantined', 'any', 'not', 'condition']) t.truthy(condition.properties[key], key);
  const cli = await runBindwall(['policy', 'schema']);
  t.is(cli.status, 0);
  t.deepEqual(JSON.parse(cli.stdout), JSON.parse(JSON.stringify(schema)));
});

test('policy check: exit 0 with a summary for a valid directory, 1 with every diagnostic for an invalid one', async (t) => {
  const ok = await runBindwall(['policy', 'check', policies]);
  t.is(ok.status, 0, ok.stderr);
  t.regex(ok.stdout, /ok — 6 rule\(s\) in 1 file\(s\), policy [0-9a-f]{16}/);
  const bad = await runBindwall(['policy', 'check', fixture('policies', 'invalid')]);
  t.is(bad.status, 1);
  t.regex(bad.stderr, /10-rules\.yaml:20:7: error: unknown key "grup" in rules\[0\]\.when \(hint: did you mean "group"\?\)/);
  t.regex(bad.stderr, /bindwall: 26 error\(s\), 6 warning\(s\)/);
  const combined = await runBindwall(['policy', 'check', policies, join(policies, 'examples', '10-contractors-off-hours.yaml')]);
  t.is(combined.status, 0, combined.stderr);
  t.regex(combined.stdout, /ok — 7 rule\(s\) in 2 file\(s\)/);
});

test('policy check --config: an app or attribute the configuration never produces is a warning with a did-you-mean', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'p.yaml'), 'version: 1\nrules:\n  - id: vpn\n    when: { app: vnp, attribute: { employeType: [contractor] } }\n    action: demote\ndefault: { action: approve }\n');
  writeFileSync(join(dir, 'bindwall.yaml'), 'listeners:\n  - name: vpn\n    port: 0\ndirectory:\n  urls: [ldap://127.0.0.1:1]\n  lookup:\n    bindDn: cn=x\n    password: x\n    baseDn: dc=x\n    extraAttributes: [employeeType]\npolicy:\n  dir: policies\n');
  const r = await runBindwall(['policy', 'check', '--config', join(dir, 'bindwall.yaml')]);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.stderr.trim().split('\n'), [
    `${join(dir, 'policies', 'p.yaml')}:4:18: warning: no listener or behavior.apps entry is called "vnp": this condition never matches (hint: did you mean "vpn"?)`,
    `${join(dir, 'policies', 'p.yaml')}:4:36: warning: attribute "employeType" is not fetched: add it to directory.lookup.extraAttributes (hint: did you mean "employeeType"?)`,
  ]);
});
