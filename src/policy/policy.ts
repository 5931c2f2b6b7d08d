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
  onFailure: { quarantine: boolean; notify: readonly string[] };
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
  kind: 'app' | 'attribute';
  value: string;
  file: string;
  line: number;
  col: number;
}

/** The rule id a decision carries when no rule matched. */
export const DEFAULT_RULE_ID = 'default';

export interface PolicyDecision extends Outcome {
  ruleId: string;
  policyHash: string;
  description?: string;
}

export interface RuleTrace {
  id: string;
  file: string;
  line: number;
  result: 'match' | 'miss' | 'excepted' | 'not-reached';
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
    this.fallbackFile = o.fallbackFile;
    this.fallbackLine = o.fallbackLine;
    this.usesFacts = o.usesFacts;
    this.references = Object.freeze([...(o.references ?? [])]);
  }

  /** First matching rule's decision, else the default. Synchronous and not re-entrant. */
  decide(input: PolicyInput): PolicyDecision {
    const c = this.#ctx.reset(input);
    const rules = this.rules;
    outer: for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (!r.when.test(c)) continue;
      for (const u of r.unless) if (u.test(c)) continue outer;
      return this.#decisions[i]!;
    }
    return this.#fallback;
  }

  /** Every rule's hit or miss, with why, and the decision. */
  explain(input: PolicyInput): Explanation {
    const c = new EvalContext().reset(input);
    const traces: RuleTrace[] = [];
    let decision: PolicyDecision | undefined;
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
      traces.push({ ...base, result, lines });
      if (result === 'match') decision = this.#decisions[i]!;
    });
    return { decision: decision ?? this.#fallback, rules: traces };
  }
}
