/**
 * Turns a failed verification into an incident: a failed step-up, a honeytoken, or a person
 * saying "this wasn't me" about a sign-in afterwards. Severity from the rule, raised one level
 * for each earlier incident of the same account or endpoint within the escalation window; then
 * the response — the rule's quarantine and notify, and its workflow (response/runner.ts). The
 * row and the quarantine are committed before the caller answers the client; whatever calls
 * out goes afterwards.
 */
import { flushLogSync, type Logger } from '../log/logger.js';
import type { LogonEvent } from '../behavior/logon-event.js';
import type { BindAttempt, ChallengeDecision } from '../proxy/decision.js';
import type { ChallengeOutcome } from '../mfa/outcome.js';
import { IncidentStatus, type Incident, type IncidentStore, type ReportedEvent } from '../store/incident-store.js';
import type { Clock } from '../util/clock.js';
import type { ResponseRunner } from '../response/runner.js';
import { StepKind, type ResponseStep } from '../config/responses.js';
import type { UserFacts } from '../directory/facts.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

export interface EscalationOptions {
  windowMs: number;
  /** Severity rises one level per this many earlier incidents in the window. */
  everyIncidents: number;
}

/** Told of every incident once its response has started (the person's failed step-up email); must not throw. */
export type IncidentObserver = (incident: Incident, logon: LogonEvent) => void;

export type OnFailure = { quarantine: boolean; notify: readonly string[]; respond?: string };

export class IncidentRecorder {
  /** Told of each incident after its response started (UserInsight's failed step-up notice). */
  observer: IncidentObserver | undefined;

  constructor(private readonly o: { store: IncidentStore; clock: Clock; log: Logger; escalation: EscalationOptions; runner: ResponseRunner }) {}

  /** One incident per challenge: a second bind that shared the failed challenge gets the first's. */
  record(attempt: BindAttempt, decision: ChallengeDecision, outcome: ChallengeOutcome, logon: LogonEvent): Incident {
    const earlier = outcome.challengeId ? this.o.store.byChallenge(outcome.challengeId) : undefined;
    if (earlier) return earlier;
    return this.open({
      logon, assessment: attempt.assessment, facts: attempt.facts, severity: decision.severity, ruleId: decision.ruleId ?? null, policyHash: decision.policyHash ?? null,
      method: outcome.method ?? null, failure: outcome.failure ?? 'unknown', first: `challenge failed (${outcome.failure}): ${outcome.detail}`,
      ...(outcome.challengeId ? { challengeId: outcome.challengeId } : {}),
    }, decision.onFailure);
  }

  /** Opens an incident for a failed verification of any kind, then runs its response. */
  open(f: {
    logon: LogonEvent; assessment?: BindAttempt['assessment']; facts?: UserFacts | null | undefined; severity?: string | undefined; ruleId: string | null; policyHash: string | null;
    method: string | null; failure: string; first: string; extra?: readonly string[]; reported?: ReportedEvent; challengeId?: string;
  }, onFailure: OnFailure | undefined): Incident {
    const o = this.o;
    const now = o.clock.now();
    const logon = f.logon;
    const base = Math.max(0, SEVERITIES.indexOf((f.severity ?? 'medium') as (typeof SEVERITIES)[number]));
    const earlier = o.store.recentFor(logon.account, logon.endpoint, now - o.escalation.windowMs);
    const raised = Math.min(SEVERITIES.length - 1, base + Math.floor(earlier / Math.max(1, o.escalation.everyIncidents)));
    const timeline = [{ time: now, what: f.first }, ...(f.extra ?? []).map((what) => ({ time: now, what }))];
    if (raised > base) timeline.push({ time: now, what: `severity raised from ${SEVERITIES[base]} to ${SEVERITIES[raised]}: ${earlier} earlier incident(s) for this account or endpoint` });
    const a = f.assessment;
    let incident = o.store.insert({
      time: now, account: logon.account, kind: logon.kind, endpoint: logon.endpoint, app: logon.app, score: a?.score ?? 0,
      reasons: a?.reasons ?? [], signals: a?.signals.map((s) => s.code) ?? [], ruleId: f.ruleId, policyHash: f.policyHash,
      method: f.method, failure: f.failure, severity: SEVERITIES[raised]!, status: IncidentStatus.Open, timeline, ...(f.reported ? { reported: f.reported } : {}),
    }, f.challengeId);
    o.log.warn({ event: 'incident', incident: incident.id, account: incident.account, client: incident.endpoint, app: incident.app, failure: incident.failure, severity: incident.severity, ruleId: incident.ruleId },
      `incident #${incident.id}: ${incident.failure} for ${incident.account} from ${incident.endpoint} (${incident.severity})`);
    flushLogSync(o.log); // on disk before the client is answered, like the row
    incident = this.respond(incident, onFailure, logon.account, f.facts);
    try {
      this.observer?.(incident, logon);
    } catch (err) {
      o.log.error({ event: 'incident_observer_failed', incident: incident.id, error: String(err) }, 'telling others of an incident failed');
    }
    return incident;
  }

  /** The response to an incident: the rule's own quarantine and notify first, then its workflow. */
  respond(incident: Incident, onFailure: OnFailure | undefined, account: string, facts?: UserFacts | null): Incident {
    const o = this.o;
    const inline: ResponseStep[] = [];
    if (onFailure?.quarantine) inline.push({ kind: StepKind.Quarantine, releaseOn: 'analyst' });
    if (onFailure?.notify.length) inline.push({ kind: StepKind.Notify, targets: onFailure.notify });
    const target = { incident, account, ...(facts !== undefined ? { facts } : {}) };
    if (inline.length > 0) target.incident = o.runner.run(`rule:${incident.ruleId ?? '?'}`, target, inline);
    if (onFailure?.respond) target.incident = o.runner.run(onFailure.respond, target);
    return target.incident;
  }
}
