/**
 * The policy as the proxy's decision function: builds the policy input from a bind attempt
 * (the same account, kind and app mapping behaviour uses, the score and reasons, directory
 * facts and quarantine state), asks the current policy, and turns its decision into the
 * proxy's. The policy can be swapped at any time (hot reload); a decision in progress keeps
 * the policy it started with, since deciding is synchronous.
 */
import type { EventMapper } from '../behavior/logon-event.js';
import type { QuarantineView } from '../incidents/quarantine.js';
import type { BindAttempt, Decision } from '../proxy/decision.js';
import type { PolicyInput } from './input.js';
import type { CompiledPolicy, PolicyDecision } from './policy.js';

export class PolicyDecider {
  #policy: CompiledPolicy;
  readonly #mapper: EventMapper;
  readonly #quarantine: QuarantineView | undefined;
  readonly #converted = new WeakMap<PolicyDecision, Decision>();
  /** policy.mode audit: rules that do not say `mode: enforce` are only recorded. */
  readonly #auditAll: boolean;

  constructor(policy: CompiledPolicy, mapper: EventMapper, quarantine?: QuarantineView, opts: { audit?: boolean } = {}) {
    this.#policy = policy;
    this.#mapper = mapper;
    this.#quarantine = quarantine;
    this.#auditAll = opts.audit ?? false;
  }

  get auditAll(): boolean {
    return this.#auditAll;
  }

  get policy(): CompiledPolicy {
    return this.#policy;
  }

  swap(policy: CompiledPolicy): void {
    this.#policy = policy;
  }

  readonly decide = (attempt: BindAttempt): Decision => {
    const d = this.#policy.decide(this.inputFor(attempt), this.#auditAll);
    let out = this.#converted.get(d);
    if (!out) this.#converted.set(d, (out = toProxyDecision(d)));
    return out;
  };

  inputFor(attempt: BindAttempt): PolicyInput {
    const facts = attempt.facts ?? null;
    // Kept on the attempt: the challenger, the incident and the bind line use the same logon.
    const logon = (attempt.logon ??= this.#mapper.fromAttempt(attempt, facts));
    const a = attempt.assessment;
    return {
      time: attempt.receivedAt,
      account: logon.account,
      bindDn: attempt.bindDn,
      kind: logon.kind,
      endpoint: attempt.clientAddress,
      app: logon.app,
      tls: attempt.tls,
      facts,
      score: a?.score ?? 0,
      signals: a ? a.signals.map((s) => s.code) : [],
      ...(a ? { riskReasons: a.reasons } : {}),
      accountRisk: a?.accountRisk ?? 0,
      endpointRisk: a?.endpointRisk ?? 0,
      quarantined: this.#quarantine?.isQuarantined(logon.account, attempt.receivedAt) ?? false,
      ...((r) => (r ? { quarantineRelease: r } : {}))(this.#quarantine?.releaseOf(logon.account, attempt.receivedAt)),
      ...(attempt.threatLevel ? { threatLevel: attempt.threatLevel } : {}),
      ...(attempt.threatKinds ? { threatKinds: attempt.threatKinds } : {}),
      cloudAccess: (a?.cloud?.access ?? false) || (attempt.okta?.apps.length ?? 0) > 0,
      ...(attempt.okta ? { okta: attempt.okta } : {}),
    };
  }
}

/** The proxy's decision for a policy decision, built once per rule and reused. */
export function toProxyDecision(d: PolicyDecision): Decision {
  const base = {
    ruleId: d.ruleId,
    policyHash: d.policyHash,
    reasons: Object.freeze([d.description ? `${d.ruleId}: ${d.description}` : `rule ${d.ruleId}`]),
    ...(d.audit ? { audit: d.audit } : {}),
  };
  switch (d.action) {
    case 'approve':
      return Object.freeze({ ...base, action: 'approve' });
    case 'block':
      return Object.freeze({ ...base, action: 'block' });
    case 'demote':
      return Object.freeze({ ...base, action: 'demote', ...(d.profile ? { profile: d.profile } : {}), ...(d.restriction ? { restriction: d.restriction } : {}) });
    case 'mfa':
      return Object.freeze({ ...base, action: 'challenge', method: d.method ?? 'push', severity: d.severity, onFailure: d.onFailure, ...(d.failMode ? { failMode: d.failMode } : {}) });
  }
}
