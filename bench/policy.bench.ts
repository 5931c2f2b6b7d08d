/**
 * Policy evaluation speed: a generated 50-rule policy (lists, named conditions, exceptions,
 * time windows, CIDR lists, groups, attributes, risk ranges and signal codes), decided for
 * varied binds where most fall through to the default, so nearly every rule is evaluated.
 * Measured side by side: the compiled policy alone, the proxy's decision function (input
 * mapping included) and the approve-all decision function as the floor.
 * Target: ≥ 200,000 decisions per second for the 50-rule policy.
 */
import { EventMapper } from '../src/behavior/logon-event.js';
import { SignalCode } from '../src/behavior/signals.js';
import type { UserFacts } from '../src/directory/facts.js';
import { compilePolicy } from '../src/policy/compile.js';
import { PolicyDecider } from '../src/policy/decider.js';
import type { PolicyInput } from '../src/policy/input.js';
import { approveAll, type BindAttempt } from '../src/proxy/decision.js';
import { prng } from '../src/util/random.js';

const RULES = 50;
const TARGET = 200_000;

export function benchPolicyText(): string {
  const lines = ['version: 1', 'timeZone: Europe/London', 'lists:',
    `  offices: [${Array.from({ length: 20 }, (_, i) => `10.${i}.0.0/16`).join(', ')}]`,
    `  admin_groups: [domain-admins, tier0-operators, "*-admins", backup-operators, dns-admins]`,
    '  unfamiliar: [new_endpoint, endpoint_not_associated, new_subnet]',
    'conditions:',
    '  office_hours:',
    '    time: { days: mon-fri, hours: "08:00-18:00" }',
    '  high_risk:',
    '    risk: { atLeast: 90 }',
    'rules:'];
  for (let i = 0; i < RULES; i++) {
    lines.push(`  - id: rule-${i}`);
    switch (i % 5) {
      case 0:
        lines.push(`    when: { group: [$admin_groups, g-${i}], kind: privileged, signals: $unfamiliar }`, '    action: mfa');
        break;
      case 1:
        lines.push(`    when: { user: "svc-app${i}*", endpoint: $offices }`, '    unless: [ { condition: office_hours } ]', '    action: block');
        break;
      case 2:
        lines.push(`    when: { department: dept-${i}, risk: { atLeast: 60 } }`, '    action: mfa');
        break;
      case 3:
        lines.push(`    when: { ou: ou-${i}, condition: office_hours, not: { endpoint: 10.99.0.0/16 } }`, '    action: demote');
        break;
      default:
        lines.push(`    when: { attribute: { employeeType: [type-${i}] }, any: [ { site: site-${i} }, { title: "*admin-${i}*" } ] }`, '    action: block');
    }
  }
  lines.push('default: { action: approve }');
  return `${lines.join('\n')}\n`;
}

function inputs(n: number): PolicyInput[] {
  const rnd = prng(11);
  const codes = Object.values(SignalCode);
  const people: UserFacts[] = Array.from({ length: 200 }, (_, i) => ({
    dn: `uid=user${i},ou=ou-${i % 30},ou=people,dc=corp,dc=example`, ous: [`ou-${i % 30}`, 'people'], department: `dept-${i % 40}`,
    site: `site-${i % 7}`, title: i % 13 === 0 ? 'sysadmin' : 'analyst', groups: [`cn=staff,ou=groups,dc=corp,dc=example`, `cn=team-${i % 25},ou=groups,dc=corp,dc=example`],
    groupNames: ['staff', `team-${i % 25}`], privileged: i % 50 === 0, attributes: { employeetype: [i % 9 === 0 ? 'contractor' : 'employee'] },
  }));
  return Array.from({ length: n }, (_, i) => {
    const f = people[i % people.length]!;
    return {
      time: Date.UTC(2026, 10, 16) + Math.floor(rnd() * 7 * 86_400_000), account: `user${i % people.length}`, bindDn: f.dn,
      kind: f.privileged ? 'privileged' : 'human', endpoint: `10.${Math.floor(rnd() * 40)}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}`,
      app: 'ldap', tls: false, facts: f, score: Math.floor(rnd() * 60), signals: rnd() < 0.2 ? [codes[Math.floor(rnd() * codes.length)]!] : [],
      accountRisk: 0, endpointRisk: 0, quarantined: false,
    };
  });
}

function rate(label: string, n: number, fn: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(n, 50_000); i++) fn(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn(i);
  const s = Number(process.hrtime.bigint() - start) / 1e9;
  const perSec = n / s;
  console.log(`  ${label.padEnd(44)} ${Math.round(perSec).toLocaleString('en-US').padStart(12)} decisions/s  ${(1e6 / perSec).toFixed(2).padStart(6)} µs each`);
  return perSec;
}

export function runPolicyBench(): { policyPerSec: number; deciderPerSec: number } {
  const { policy, diagnostics } = compilePolicy([{ file: 'bench.yaml', text: benchPolicyText() }]);
  if (!policy) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  const list = inputs(4096);
  const mask = list.length - 1;
  const counts = new Map<string, number>();
  for (const i of list) counts.set(policy.decide(i).ruleId, (counts.get(policy.decide(i).ruleId) ?? 0) + 1);
  const byDefault = counts.get('default') ?? 0;
  console.log(`\nPolicy evaluation: ${policy.rules.length} rules; ${Math.round((100 * byDefault) / list.length)}% of the sample binds fall through to the default (every rule evaluated)`);
  const decider = new PolicyDecider(policy, new EventMapper());
  const attempts: BindAttempt[] = list.map((i, k) => ({
    connectionId: k, listener: 'ldap', clientAddress: i.endpoint, clientPort: 1, bindDn: i.bindDn, tls: false, receivedAt: i.time,
    signal: new AbortController().signal, facts: i.facts!,
    assessment: { score: i.score, signals: i.signals.map((c) => ({ code: c as SignalCode, points: 10, reason: '' })), reasons: [], maturity: 1, accountRisk: 0, endpointRisk: 0, hourOfWeek: 0 },
  }));
  const N = 2_000_000;
  const floor = rate('approve-all decision function (floor)', N, (k) => approveAll(attempts[k & mask]!));
  const policyPerSec = rate('compiled policy: decide(input)', N, (k) => policy.decide(list[k & mask]!));
  const deciderPerSec = rate('proxy decision function (input mapping too)', N, (k) => decider.decide(attempts[k & mask]!));
  // Without a lookup account there are no facts: OUs come from the bind DN.
  const bare = list.map((i) => ({ ...i, facts: null }));
  rate('compiled policy, no directory facts', N, (k) => policy.decide(bare[k & mask]!));
  console.log(`  target ≥ ${TARGET.toLocaleString('en-US')}/s: compiled ${(policyPerSec / TARGET).toFixed(1)}× the target ${policyPerSec >= TARGET ? '(met)' : '(MISSED)'}, ` +
    `decision function ${(deciderPerSec / TARGET).toFixed(1)}× ${deciderPerSec >= TARGET ? '(met)' : '(MISSED)'}; floor/decision function ${(floor / deciderPerSec).toFixed(1)}×`);
  return { policyPerSec, deciderPerSec };
}

if (import.meta.url === `file://${process.argv[1]}`) runPolicyBench();
