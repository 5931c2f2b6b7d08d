/**
 * A compiled policy: ordered rules, first match wins, then the default. Deciding walks
 * precompiled predicates over one reused context and returns a decision object built at
 * load, so the bind path allocates next to nothing. `explain` walks the same rules and
 * records why each one hit or missed.
 */
import type { Restriction } from '../proxy/restriction.js';
import type { ExplainLine, MappingCond, Where } from './conditions.js';
import { EvalContext, type PolicyInput } from './input.js';
import type { ActionName, MfaMethod, Severity } from './schema.js';

export interface Outcome {
  action: ActionName;
  method?: MfaMethod;
  /** For mfa: what to do when Okta is unreachable (default from the MFA config). */
  failMode?: 'secure' | 'safe' | 'known-endpoint';
  /** Demote profile name and what it restricts. */
  profile?: string;
  restriction?: Restriction;
  /** Incident severity if a challenge under this rule fails. */
  severity: Severity;
  onFailure: { quarantine: boolean; notify: readonly string[]; respond?: string };
  /** As written in the rule; unset follows policy.mode. */
  mode?: 'enforce' | 'audit';
}

/** A decision a rule in audit mode would have made (logged and stored, not enforced). */
export interface AuditedDecision {
  ruleId: string;
  action: ActionName;
}

export interface CompiledRule {
  id: string;
  description?: string;
  when: MappingCond;
  /** Exceptions: the rule does not apply when any holds. */
  unless: readonly MappingCond[];
  outcome: Outcome;
  file: string;
  line: number;
  where: Where;
}

/** A name in the policy that the configuration must know, and where it is written. */
export interface PolicyReference {
  kind: 'app' | 'attribute' | 'workflow' | 'notify' | 'until-verified';
  value: string;
  file: string;
  line: number;
  col: number;
}

/** The rule id a decision carries when no rule matched. */
export const DEFAULT_RULE_ID = 'default';
/** The rule id of the approval that stands in for an audited default (policy.mode audit). */
export const AUDIT_RULE_ID = 'audit-mode';

const isAudit = (o: Outcome, auditAll: boolean): boolean => o.mode === 'audit' || (auditAll && o.mode !== 'enforce');

export interface PolicyDecision extends Outcome {
  ruleId: string;
  policyHash: string;
  description?: string;
  /** The first rule in audit mode that matched before the one that decided. */
  audit?: AuditedDecision;
}

export interface RuleTrace {
  id: string;
  file: string;
  line: number;
  /** audit: matched, but in audit mode (what it would do is recorded; later rules decide). */
  result: 'match' | 'miss' | 'excepted' | 'audit' | 'not-reached';
  lines: ExplainLine[];
}

export interface Explanation {
  decision: PolicyDecision;
  rules: RuleTrace[];
}

export class CompiledPolicy {
  readonly hash: string;
  readonly files: readonly string[];
  readonly rules: readonly CompiledRule[];
  readonly #decisions: readonly PolicyDecision[];
  readonly #fallback: PolicyDecision;
  /** What an audited default is enforced as: approve. */
  readonly #auditApprove: PolicyDecision;
  readonly fallbackFile: string;
  readonly fallbackLine: number;
  /** Some condition needs directory facts (groups, department, site, title, attributes). */
  readonly usesFacts: boolean;
  readonly references: readonly PolicyReference[];
  readonly #ctx = new EvalContext();

  constructor(o: { hash: string; files: readonly string[]; rules: readonly CompiledRule[]; fallback: Outcome & { description?: string }; fallbackFile: string; fallbackLine: number; usesFacts: boolean; references?: readonly PolicyReference[] }) {
    this.hash = o.hash;
    this.files = Object.freeze([...o.files]);
    this.rules = Object.freeze([...o.rules]);
    const freeze = (d: PolicyDecision): PolicyDecision => Object.freeze({ ...d, onFailure: Object.freeze({ ...d.onFailure, notify: Object.freeze([...d.onFailure.notify]) }) });
    this.#decisions = this.rules.map((r) => freeze({ ...r.outcome, ruleId: r.id, policyHash: o.hash, ...(r.description !== undefined ? { description: r.description } : {}) }));
    this.#fallback = freeze({ ...o.fallback, ruleId: DEFAULT_RULE_ID, policyHash: o.hash });
    this.#auditApprove = freeze({ action: 'approve', severity: 'medium', onFailure: { quarantine: false, notify: [] }, ruleId: AUDIT_RULE_ID, policyHash: o.hash });
    this.fallbackFile = o.fallbackFile;
    this.fallbackLine = o.fallbackLine;
    this.usesFacts = o.usesFacts;
    this.references = Object.freeze([...(o.references ?? [])]);
  }

  /** What `default` decides. */
  get fallback(): PolicyDecision {
    return this.#fallback;
  }

  /**
   * First matching enforced rule's decision, else the default. A matching rule in audit mode
   * (its own `mode: audit`, or policy.mode audit for rules that do not say `mode: enforce`)
   * does not decide: the first such is carried on the decision as `audit`. Under policy.mode
   * audit the default is audited too, and the bind approved. Synchronous, not re-entrant.
   */
  decide(input: PolicyInput, auditAll = false): PolicyDecision {
    const c = this.#ctx.reset(input);
    const rules = this.rules;
    let audit: AuditedDecision | undefined;
    outer: for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (!r.when.test(c)) continue;
      for (const u of r.unless) if (u.test(c)) continue outer;
      if (isAudit(r.outcome, auditAll)) {
        audit ??= { ruleId: r.id, action: r.outcome.action };
        continue;
      }
      return audit ? { ...this.#decisions[i]!, audit } : this.#decisions[i]!;
    }
    if (isAudit(this.#fallback, auditAll) && this.#fallback.action !== 'approve') {
      return { ...this.#auditApprove, audit: audit ?? { ruleId: DEFAULT_RULE_ID, action: this.#fallback.action } };
    }
    return audit ? { ...this.#fallback, audit } : this.#fallback;
  }

  /** Every rule's hit or miss, with why, and the decision. */
  explain(input: PolicyInput, auditAll = false): Explanation {
    const c = new EvalContext().reset(input);
    const traces: RuleTrace[] = [];
    let decision: PolicyDecision | undefined;
    let audit: AuditedDecision | undefined;
    this.rules.forEach((r, i) => {
      const base = { id: r.id, file: r.file, line: r.line };
      if (decision) {
        traces.push({ ...base, result: 'not-reached', lines: [] });
        return;
      }
      const lines: ExplainLine[] = [];
      const hit = r.when.explain(c, lines, 1);
      let result: RuleTrace['result'] = hit ? 'match' : 'miss';
      if (hit) {
        r.unless.forEach((u, j) => {
          const sub: ExplainLine[] = [];
          const applies = u.explain(c, sub, 2);
          lines.push({ depth: 1, ok: !applies, text: `exception ${j + 1}${applies ? ' applies' : ' does not apply'}:` }, ...sub);
          if (applies) result = 'excepted';
        });
      }
      if (result === 'match' && isAudit(r.outcome, auditAll)) {
        result = 'audit';
        audit ??= { ruleId: r.id, action: r.outcome.action };
      }
      traces.push({ ...base, result, lines });
      if (result === 'match') decision = audit ? { ...this.#decisions[i]!, audit } : this.#decisions[i]!;
    });
    if (!decision && isAudit(this.#fallback, auditAll) && this.#fallback.action !== 'approve') {
      decision = { ...this.#auditApprove, audit: audit ?? { ruleId: DEFAULT_RULE_ID, action: this.#fallback.action } };
    }
    return { decision: decision ?? (audit ? { ...this.#fallback, audit } : this.#fallback), rules: traces };
  }
}
