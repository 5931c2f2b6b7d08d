/** Renders a policy explanation for people: the bind, what is known, each rule, the decision. */
import { basename } from 'node:path';
import type { ExplainLine } from './conditions.js';
import type { PolicyInput } from './input.js';
import type { CompiledPolicy, Explanation, PolicyDecision } from './policy.js';

const MARK = { true: '✓', false: '✗' } as const;

export function describeOutcome(d: PolicyDecision): string {
  switch (d.action) {
    case 'mfa':
      return `mfa (${d.method ?? 'push'}; severity ${d.severity}${d.failMode ? `; if Okta is unreachable: ${d.failMode}` : ''}${d.onFailure.quarantine ? ', quarantine on failure' : ''}${d.onFailure.notify.length ? `, notify ${d.onFailure.notify.join(', ')}` : ''}${d.onFailure.respond ? `, respond ${d.onFailure.respond}` : ''})`;
    case 'demote':
      return `demote (profile ${d.profile ?? 'read-only'})`;
    default:
      return d.action;
  }
}

function lines(out: string[], list: readonly ExplainLine[], indent: string): void {
  for (const l of list) out.push(`${indent}${'  '.repeat(l.depth)}${MARK[`${l.ok}`]} ${l.text}`);
}

export function formatExplanation(o: { policy: CompiledPolicy; input: PolicyInput; explanation: Explanation; dir: string; hasStorage: boolean; learning?: string; cloud?: string }): string {
  const { policy, input, explanation } = o;
  const out: string[] = [];
  const f = input.facts;
  out.push(`Policy    ${policy.files.map((p) => basename(p)).join(', ')} (policy ${policy.hash}, ${policy.rules.length} rules)`);
  out.push(`Bind      ${input.bindDn} from ${input.endpoint} via ${input.app}${input.tls ? ' (TLS)' : ''} at ${new Date(input.time).toISOString()}`);
  out.push(`Account   ${input.account} — kind ${input.kind}${input.quarantined ? ', QUARANTINED' : ''}${o.learning ? `; learning: ${o.learning}` : ''}`);
  if (o.cloud) out.push(`Cloud     ${o.cloud}`);
  if (f) {
    out.push(`Facts     entry ${f.dn}`);
    out.push(`          groups: ${f.groupNames.length ? f.groupNames.join(', ') : '(none)'}`);
    const more = [['OUs', f.ous.join(', ')], ['department', f.department], ['site', f.site], ['title', f.title]]
      .filter(([, v]) => v).map(([k, v]) => `${k}: ${v}`);
    if (more.length) out.push(`          ${more.join('; ')}`);
    for (const [k, v] of Object.entries(f.attributes)) out.push(`          ${k}: ${v.join(', ')}`);
  } else {
    out.push('Facts     none recorded for this account (group, department, site, title and attribute conditions cannot match)');
  }
  if (o.hasStorage) {
    out.push(`Risk      ${Math.round(input.score)}/100 (account risk ${Math.round(input.accountRisk)}, endpoint risk ${Math.round(input.endpointRisk)})`);
    for (const r of input.riskReasons ?? []) out.push(`          - ${r}`);
    if (input.signals.length) out.push(`          signals: ${input.signals.join(', ')}`);
  } else {
    out.push('Risk      no behaviour data (give --config or --db): score 0, no signals');
  }
  out.push('', 'Rules (first match decides)');
  for (const r of explanation.rules) {
    const where = `${basename(r.file)}:${r.line}`;
    const rule = policy.rules.find((x) => x.id === r.id)!;
    switch (r.result) {
      case 'match':
        out.push(`  ${MARK.true} ${r.id} (${where}) → ${describeOutcome({ ...rule.outcome, ruleId: r.id, policyHash: policy.hash })}`);
        break;
      case 'excepted':
        out.push(`  ${MARK.false} ${r.id} (${where}) — conditions hold, but an exception applies`);
        break;
      case 'audit':
        out.push(`  ${MARK.true} ${r.id} (${where}) — audit mode: would ${describeOutcome({ ...rule.outcome, ruleId: r.id, policyHash: policy.hash })}; recorded, the next rules decide`);
        break;
      case 'miss':
        out.push(`  ${MARK.false} ${r.id} (${where})`);
        break;
      case 'not-reached':
        out.push(`  · ${r.id} (${where}) — not evaluated: an earlier rule decided`);
        break;
    }
    lines(out, r.lines, '    ');
  }
  const d = explanation.decision;
  if (d.ruleId === 'default') out.push(`  → no rule matched: default (${basename(policy.fallbackFile)}:${policy.fallbackLine})`);
  out.push('', `Decision  ${describeOutcome(d)} — ${d.ruleId === 'default' ? 'the default' : d.ruleId === 'audit-mode' ? 'policy.mode audit (nothing enforced)' : `rule ${d.ruleId}`}${d.description ? `: ${d.description}` : ''}`);
  if (d.audit) out.push(`Audit     ${d.audit.ruleId} would ${d.audit.action} (audit mode: recorded, not enforced)`);
  return out.join('\n');
}
