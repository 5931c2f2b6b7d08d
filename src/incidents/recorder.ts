/**
 * Turns a failed step-up into an incident: severity from the rule, raised one level for each
 * earlier incident of the same account or endpoint within the escalation window; then the
 * rule's response — quarantine the account, notify targets. The row is committed before the
 * caller answers the client; notifications go out afterwards.
 */
import { flushLogSync, type Logger } from '../log/logger.js';
import type { LogonEvent } from '../behavior/logon-event.js';
import type { BindAttempt, ChallengeDecision } from '../proxy/decision.js';
import type { ChallengeOutcome } from '../mfa/outcome.js';
import { IncidentStatus, type Incident, type IncidentStore } from '../store/incident-store.js';
import type { Clock } from '../util/clock.js';
import type { Quarantine } from './quarantine.js';

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

export interface EscalationOptions {
  windowMs: number;
  /** Severity rises one level per this many earlier incidents in the window. */
  everyIncidents: number;
}

export interface IncidentSink {
  /** Sends the incident to the named targets (notify.ts); must not throw. */
  notify(incident: Incident, targets: readonly string[]): void;
}

export class IncidentRecorder {
  constructor(private readonly o: { store: IncidentStore; clock: Clock; log: Logger; quarantine?: Quarantine; escalation: EscalationOptions; sink?: IncidentSink }) {}

  record(attempt: BindAttempt, decision: ChallengeDecision, outcome: ChallengeOutcome, logon: LogonEvent): Incident {
    const o = this.o;
    const now = o.clock.now();
    const base = Math.max(0, SEVERITIES.indexOf((decision.severity ?? 'medium') as (typeof SEVERITIES)[number]));
    const earlier = o.store.recentFor(logon.account, logon.endpoint, now - o.escalation.windowMs);
    const raised = Math.min(SEVERITIES.length - 1, base + Math.floor(earlier / Math.max(1, o.escalation.everyIncidents)));
    const timeline = [{ time: now, what: `challenge failed (${outcome.failure}): ${outcome.detail}` }];
    if (raised > base) timeline.push({ time: now, what: `severity raised from ${SEVERITIES[base]} to ${SEVERITIES[raised]}: ${earlier} earlier incident(s) for this account or endpoint` });
    const a = attempt.assessment;
    let incident = o.store.insert({
      time: now, account: logon.account, kind: logon.kind, endpoint: logon.endpoint, app: logon.app, score: a?.score ?? 0,
      reasons: a?.reasons ?? [], signals: a?.signals.map((s) => s.code) ?? [], ruleId: decision.ruleId ?? null, policyHash: decision.policyHash ?? null,
      method: outcome.method ?? null, failure: outcome.failure ?? 'unknown', severity: SEVERITIES[raised]!, status: IncidentStatus.Open, timeline,
    });
    o.log.warn({ event: 'incident', incident: incident.id, account: incident.account, client: incident.endpoint, app: incident.app, failure: incident.failure, severity: incident.severity, ruleId: incident.ruleId },
      `incident #${incident.id}: ${incident.failure} for ${incident.account} from ${incident.endpoint} (${incident.severity})`);
    flushLogSync(o.log); // on disk before the client is answered, like the row
    if (decision.onFailure?.quarantine && o.quarantine) {
      o.quarantine.add(logon.account, { reason: `incident #${incident.id}: ${incident.failure}`, source: `rule:${decision.ruleId ?? '?'}` });
      incident = o.store.update(incident.id, { time: now, what: `account ${logon.account} quarantined` }) ?? incident;
    }
    const targets = decision.onFailure?.notify ?? [];
    if (targets.length > 0 && o.sink) o.sink.notify(incident, targets);
    return incident;
  }
}
