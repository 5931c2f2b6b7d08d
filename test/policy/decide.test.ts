/**
 * Decision tables: input binds → the rule and action the shipped policies give them. Each
 * row reads as a sentence about the posture; a change in the policy files that changes
 * one of these answers fails here first.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UserFacts } from '../../src/directory/facts.js';
import { compilePolicy } from '../../src/policy/compile.js';
import type { PolicyInput } from '../../src/policy/input.js';
import { repoRoot } from '../helpers/paths.js';

const file = (...p: string[]): { file: string; text: string } => {
  const path = join(repoRoot, 'policies', ...p);
  return { file: path, text: readFileSync(path, 'utf8') };
};

const facts = (o: Partial<UserFacts> = {}): UserFacts => ({
  dn: 'uid=x,ou=people,dc=corp,dc=example', ous: ['people'], groups: [], groupNames: [], privileged: false, attributes: {}, ...o,
});

// Tuesday 2026-11-17 10:00 UTC (= 10:00 in London) and 22:30 the same day.
const TUE_10 = Date.UTC(2026, 10, 17, 10, 0);
const TUE_2230 = Date.UTC(2026, 10, 17, 22, 30);
const SAT_11 = Date.UTC(2026, 10, 21, 11, 0);

const input = (o: Partial<PolicyInput>): PolicyInput => ({
  time: TUE_10, account: 'alice', bindDn: 'uid=alice,ou=people,dc=corp,dc=example', kind: 'human', endpoint: '10.1.2.3', app: 'ldap',
  tls: false, facts: null, score: 5, signals: [], accountRisk: 0, endpointRisk: 0, quarantined: false, ...o,
});

type Row = [string, Partial<PolicyInput>, string, string];

const defaultTable: Row[] = [
  ['an ordinary bind is approved by default', {}, 'default', 'approve'],
  ['a quarantined account is blocked, whatever else', { quarantined: true, kind: 'privileged', score: 0 }, 'quarantined-users-blocked', 'block'],
  ['risk 90 is blocked', { score: 90 }, 'high-risk-blocked', 'block'],
  ['risk 89 steps up', { score: 89 }, 'medium-risk-step-up', 'mfa'],
  ['risk 50 steps up', { score: 50 }, 'medium-risk-step-up', 'mfa'],
  ['risk 49 is approved', { score: 49 }, 'default', 'approve'],
  ['a privileged account from a new endpoint steps up, even at low risk', { kind: 'privileged', score: 20, signals: ['new_endpoint'] }, 'privileged-unfamiliar-endpoint', 'mfa'],
  ['a privileged account from someone else\'s endpoint steps up', { kind: 'privileged', score: 30, signals: ['endpoint_not_associated'] }, 'privileged-unfamiliar-endpoint', 'mfa'],
  ['a privileged account at an unusual hour only is approved', { kind: 'privileged', score: 20, signals: ['unusual_hour'] }, 'default', 'approve'],
  ['a human from a new endpoint at low risk is approved', { signals: ['new_endpoint'], score: 20 }, 'default', 'approve'],
  ['a service account from a new host is blocked', { kind: 'service', account: 'svc-backup', score: 60, signals: ['service_new_host'] }, 'service-account-new-host', 'block'],
  ['a service account from its usual host is approved', { kind: 'service', account: 'svc-backup', score: 0 }, 'default', 'approve'],
];

const base = file('default.yaml');
const shipped = compilePolicy([base]).policy!;
for (const [name, o, ruleId, action] of defaultTable) {
  test(`default policy: ${name}`, (t) => {
    const d = shipped.decide(input(o));
    t.deepEqual([d.ruleId, d.action], [ruleId, action]);
    t.is(d.policyHash, shipped.hash);
  });
}

test('default policy: privileged step-up uses push-then-otp, high severity, quarantine and notify on failure', (t) => {
  const d = shipped.decide(input({ kind: 'privileged', signals: ['new_subnet'], score: 35 }));
  t.is(d.method, 'push-then-otp');
  t.is(d.severity, 'high');
  t.deepEqual(d.onFailure, { quarantine: true, notify: ['security-team'] });
});

const contractors = compilePolicy([base, file('examples', '10-contractors-off-hours.yaml')]).policy!;
const contractor = facts({ groupNames: ['contractors', 'staff'], groups: ['cn=contractors,ou=groups,dc=corp,dc=example'] });
const contractorTable: Row[] = [
  ['a contractor in office hours is approved', { facts: contractor }, 'default', 'approve'],
  ['a contractor at 22:30 is demoted', { facts: contractor, time: TUE_2230 }, 'contractors-off-hours', 'demote'],
  ['a contractor on Saturday is demoted', { facts: contractor, time: SAT_11 }, 'contractors-off-hours', 'demote'],
  ['an employee at 22:30 is approved', { facts: facts({ groupNames: ['staff'] }), time: TUE_2230 }, 'default', 'approve'],
  ['a contractor at high risk is still blocked first', { facts: contractor, time: TUE_2230, score: 95 }, 'high-risk-blocked', 'block'],
  ['a quarantined contractor at night is blocked, not demoted', { facts: contractor, time: TUE_2230, quarantined: true }, 'quarantined-users-blocked', 'block'],
  ['external staff (the other listed group) at night is demoted', { facts: facts({ groupNames: ['external-staff'] }), time: TUE_2230 }, 'contractors-off-hours', 'demote'],
];
for (const [name, o, ruleId, action] of contractorTable) {
  test(`contractors example: ${name}`, (t) => {
    const d = contractors.decide(input(o));
    t.deepEqual([d.ruleId, d.action], [ruleId, action]);
  });
}

test('contractors example: the demote profile strips privileged memberOf values and hides the Admins subtree', (t) => {
  const d = contractors.decide(input({ facts: contractor, time: TUE_2230 }));
  const r = d.restriction!;
  t.is(d.profile, 'contractor-after-hours');
  t.true(r.readRestricted);
  t.true(r.stripsValue('memberOf', 'CN=Domain Admins,OU=Groups,DC=corp,DC=example'));
  t.true(r.stripsValue('memberof;x-option', 'cn=Tier0 Operators,ou=groups,dc=corp,dc=example'));
  t.false(r.stripsValue('memberOf', 'cn=staff,ou=groups,dc=corp,dc=example'));
  t.false(r.stripsValue('mail', 'cn=domain admins,x'));
  t.true(r.hidesDn('uid=root, ou=Admins, dc=corp, dc=example'));
  t.true(r.hidesDn('ou=admins,dc=corp,dc=example'));
  t.false(r.hidesDn('ou=notadmins,dc=corp,dc=example'));
});

const legacy = compilePolicy([base, file('examples', '10-legacy-app-hosts.yaml')]).policy!;
const legacyTable: Row[] = [
  ['the payroll account from a payroll server is approved even at medium risk', { account: 'svc-payroll', kind: 'service', endpoint: '10.20.1.15', score: 60 }, 'payroll-app-known-hosts', 'approve'],
  ['the payroll account from the server range is approved', { account: 'svc-payroll', kind: 'service', endpoint: '10.20.2.14' }, 'payroll-app-known-hosts', 'approve'],
  ['the payroll account just outside the range is blocked', { account: 'svc-payroll', kind: 'service', endpoint: '10.20.2.16' }, 'payroll-app-elsewhere', 'block'],
  ['the payroll account at risk 95, even from a payroll server, is blocked', { account: 'svc-payroll', kind: 'service', endpoint: '10.20.1.15', score: 95 }, 'payroll-app-elsewhere', 'block'],
  ['the payroll account quarantined is blocked', { account: 'svc-payroll', kind: 'service', endpoint: '10.20.1.15', quarantined: true }, 'payroll-app-elsewhere', 'block'],
  ['another service account from a payroll server follows the default posture', { account: 'svc-other', kind: 'service', endpoint: '10.20.1.15' }, 'default', 'approve'],
];
for (const [name, o, ruleId, action] of legacyTable) {
  test(`legacy app example: ${name}`, (t) => {
    const d = legacy.decide(input(o));
    t.deepEqual([d.ruleId, d.action], [ruleId, action]);
  });
}

test('conditions: any / not / exceptions / attributes / DN patterns / time zones / IPv6 compose as written', (t) => {
  const text = `version: 1
timeZone: America/New_York
rules:
  - id: composite
    when:
      any:
        - { attribute: { employeeType: [contractor, "temp*"] } }
        - { dn: "*,ou=vendors,dc=corp,dc=example" }
      not: { endpoint: ["fd00::/8"] }
    unless:
      - time: { days: weekdays, hours: "09:00-17:00" }
    action: block
  - id: night-shift
    when:
      time: { hours: "22:00-06:00" }
    action: demote
default: { action: approve }
`;
  const p = compilePolicy([{ file: 'c.yaml', text }]).policy!;
  // 10:00 UTC on a Tuesday is 05:00 in New York: outside 09–17, inside 22–06.
  const ny5am = TUE_10;
  const ny11am = Date.UTC(2026, 10, 17, 16, 0);
  const vendor = { bindDn: 'uid=v,OU=Vendors, dc=corp,dc=example' };
  t.is(p.decide(input({ ...vendor, time: ny5am })).ruleId, 'composite');
  t.is(p.decide(input({ ...vendor, time: ny11am })).ruleId, 'default', 'the exception: office hours in New York');
  t.is(p.decide(input({ ...vendor, time: ny5am, endpoint: 'fd12::1' })).ruleId, 'night-shift', 'not: from fd00::/8');
  t.is(p.decide(input({ facts: facts({ attributes: { employeeType: ['Temporary'] } }), time: ny5am })).ruleId, 'composite');
  t.is(p.decide(input({ facts: facts({ attributes: { employeeType: ['staff'] } }), time: ny5am })).ruleId, 'night-shift');
  // Monday 03:00 in New York belongs to Sunday night's window; the window is any day here.
  t.is(p.decide(input({ time: Date.UTC(2026, 10, 16, 8, 0) })).ruleId, 'night-shift');
});

test('explain says why each rule hit or missed, and agrees with decide', (t) => {
  const i = input({ facts: contractor, time: TUE_2230 });
  const e = contractors.explain(i);
  t.is(e.decision, contractors.decide(i));
  const rule = e.rules.find((r) => r.id === 'contractors-off-hours')!;
  t.is(rule.result, 'match');
  t.true(rule.lines.some((l) => l.ok && /member of \[contractors, external-staff\] — groups: contractors, staff/.test(l.text)));
  t.true(rule.lines.some((l) => !l.ok && /time within Mon,Tue,Wed,Thu,Fri, 08:00-18:00 \(Europe\/London\) — local time: Tue 22:30 Europe\/London/.test(l.text)));
  const day = contractors.explain(input({ facts: contractor }));
  t.is(day.rules.find((r) => r.id === 'contractors-off-hours')!.result, 'excepted');
});
