/**
 * What-if before deploying: re-decides recorded binds (the ones the directory accepted, so a
 * policy decided them) under a candidate policy, with the score, reasons and facts recorded
 * at the time, and reports every decision that would change: counts per transition and per
 * candidate rule, and examples.
 */
import type { AccountKind } from '../behavior/logon-event.js';
import type { UserFacts } from '../directory/facts.js';
import type { QuarantineView } from '../incidents/quarantine.js';
import type { BehaviorStore, ReplayRow } from '../store/behavior-store.js';
import type { PolicyInput } from './input.js';
import type { CompiledPolicy } from './policy.js';

export interface ReplayExample {
  time: string;
  account: string;
  endpoint: string;
  app: string;
  score: number;
  before: { action: string; ruleId: string | null };
  after: { action: string; ruleId: string };
}

export interface ReplayReport {
  policyHash: string;
  since: string | null;
  until: string | null;
  /** Recorded binds re-decided. */
  events: number;
  /** Of those, how many get another action. */
  changed: number;
  /** Same action, decided by another rule. */
  sameActionOtherRule: number;
  transitions: { from: string; to: string; count: number; examples: ReplayExample[] }[];
  byRule: { ruleId: string; decided: number; changed: number }[];
  /** Policy versions that made the recorded decisions. */
  recordedPolicies: string[];
  /**
   * Recorded binds a rule in audit mode would have decided otherwise (policy.mode audit, or a
   * rule's mode: audit): what was approved and what would have happened, per rule, with how
   * the candidate decides them — what enforcing would do.
   */
  audited: { ruleId: string; action: string; count: number; candidate: Record<string, number>; examples: ReplayExample[] }[];
  /** Binds the candidate's own audit-mode rules would record instead of enforcing. */
  candidateAudited: number;
}

const OUTCOME_ACTION: Record<string, string> = {
  approved: 'approve', demoted: 'demote', blocked: 'block', challenge_passed: 'mfa', challenge_failed: 'mfa',
};

/** The recorded action, in the policy's words (the proxy says "challenge" for mfa). */
function recordedAction(r: ReplayRow): string {
  if (r.action) return r.action === 'challenge' ? 'mfa' : r.action;
  return OUTCOME_ACTION[r.outcome ?? ''] ?? 'unknown';
}

export function replay(o: { policy: CompiledPolicy; store: BehaviorStore; since: number; until: number; examples: number; quarantine?: QuarantineView; now: number }): ReplayReport {
  const facts = new Map<string, UserFacts | null>();
  const transitions = new Map<string, { from: string; to: string; count: number; examples: ReplayExample[] }>();
  const byRule = new Map<string, { ruleId: string; decided: number; changed: number }>();
  const recorded = new Set<string>();
  let events = 0;
  let changed = 0;
  let otherRule = 0;
  let candidateAudited = 0;
  const audited = new Map<string, ReplayReport['audited'][number]>();
  for (const r of o.store.decidedEvents(o.since, o.until)) {
    events++;
    if (r.policyHash) recorded.add(r.policyHash);
    let f = facts.get(r.account);
    if (f === undefined) facts.set(r.account, (f = o.store.facts(r.account) ?? null));
    const input: PolicyInput = {
      time: r.time, account: r.account, bindDn: r.bindName, kind: r.kind as AccountKind, endpoint: r.endpoint, app: r.app,
      tls: r.tls, facts: f, score: r.score, signals: r.codes, riskReasons: r.reasons, accountRisk: r.accountRisk, endpointRisk: r.endpointRisk,
      quarantined: o.quarantine?.isQuarantined(r.account, o.now) ?? false,
    };
    const d = o.policy.decide(input);
    if (d.audit) candidateAudited++;
    const before = recordedAction(r);
    if (r.auditRuleId && r.auditAction) {
      const key = `${r.auditRuleId}\u0000${r.auditAction}`;
      let a = audited.get(key);
      if (!a) audited.set(key, (a = { ruleId: r.auditRuleId, action: r.auditAction, count: 0, candidate: {}, examples: [] }));
      a.count++;
      a.candidate[d.action] = (a.candidate[d.action] ?? 0) + 1;
      if (a.examples.length < o.examples) {
        a.examples.push({
          time: new Date(r.time).toISOString(), account: r.account, endpoint: r.endpoint, app: r.app, score: r.score,
          before: { action: before, ruleId: r.ruleId }, after: { action: d.action, ruleId: d.ruleId },
        });
      }
    }
    let rule = byRule.get(d.ruleId);
    if (!rule) byRule.set(d.ruleId, (rule = { ruleId: d.ruleId, decided: 0, changed: 0 }));
    rule.decided++;
    if (before === d.action) {
      if (r.ruleId && r.ruleId !== d.ruleId) otherRule++;
      continue;
    }
    changed++;
    rule.changed++;
    const key = `${before}→${d.action}`;
    let t = transitions.get(key);
    if (!t) transitions.set(key, (t = { from: before, to: d.action, count: 0, examples: [] }));
    t.count++;
    if (t.examples.length < o.examples) {
      t.examples.push({
        time: new Date(r.time).toISOString(), account: r.account, endpoint: r.endpoint, app: r.app, score: r.score,
        before: { action: before, ruleId: r.ruleId }, after: { action: d.action, ruleId: d.ruleId },
      });
    }
  }
  const order = new Map([...o.policy.rules.map((r, i) => [r.id, i] as const), ['default', o.policy.rules.length]]);
  return {
    policyHash: o.policy.hash,
    since: o.since > 0 ? new Date(o.since).toISOString() : null,
    until: o.until < Number.MAX_SAFE_INTEGER ? new Date(o.until).toISOString() : null,
    events,
    changed,
    sameActionOtherRule: otherRule,
    transitions: [...transitions.values()].sort((a, b) => b.count - a.count || a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
    byRule: [...byRule.values()].sort((a, b) => (order.get(a.ruleId) ?? 0) - (order.get(b.ruleId) ?? 0)),
    recordedPolicies: [...recorded].sort(),
    audited: [...audited.values()].sort((a, b) => b.count - a.count || a.ruleId.localeCompare(b.ruleId)),
    candidateAudited,
  };
}

const pct = (n: number, of: number): string => (of === 0 ? '0%' : `${((100 * n) / of).toFixed(n === of || n === 0 ? 0 : 1)}%`);

export function formatReplay(r: ReplayReport, o: { policyLabel: string }): string {
  const out: string[] = [];
  out.push(`Replay of ${r.events} recorded bind(s)${r.since ? ` since ${r.since}` : ''}${r.until ? ` until ${r.until}` : ''} under ${o.policyLabel} (policy ${r.policyHash})`);
  if (r.recordedPolicies.length) out.push(`Recorded decisions were made by policy ${r.recordedPolicies.join(', ')}`);
  out.push(`${r.changed} decision(s) would change (${pct(r.changed, r.events)}); ${r.sameActionOtherRule} keep their action under another rule`);
  if (r.transitions.length) {
    out.push('', 'Changes');
    for (const t of r.transitions) {
      out.push(`  ${t.from} → ${t.to}: ${t.count}`);
      for (const e of t.examples) {
        out.push(`    ${e.time}  ${e.account} from ${e.endpoint} via ${e.app}, risk ${Math.round(e.score)}: was ${e.before.action}${e.before.ruleId ? ` (${e.before.ruleId})` : ''}, now ${e.after.action} (${e.after.ruleId})`);
      }
    }
  }
  if (r.audited.length) {
    out.push('', 'Audited (recorded, not enforced: what audit mode would have done)');
    for (const a of r.audited) {
      const cand = Object.entries(a.candidate).sort((x, y) => y[1] - x[1]).map(([k, n]) => `${k} ${n}`).join(', ');
      out.push(`  ${a.ruleId} would have: ${a.action} ${a.count}; the candidate decides them: ${cand}`);
      for (const e of a.examples) {
        out.push(`    ${e.time}  ${e.account} from ${e.endpoint} via ${e.app}, risk ${Math.round(e.score)}: was ${e.before.action}${e.before.ruleId ? ` (${e.before.ruleId})` : ''}, candidate ${e.after.action} (${e.after.ruleId})`);
      }
    }
  }
  out.push('', 'By rule of the candidate policy');
  for (const b of r.byRule) out.push(`  ${b.ruleId}: decides ${b.decided}, ${b.changed} changed`);
  if (r.candidateAudited) out.push(`  ${r.candidateAudited} bind(s) would be audited by the candidate's rules in audit mode (recorded, not enforced)`);
  return out.join('\n');
}
