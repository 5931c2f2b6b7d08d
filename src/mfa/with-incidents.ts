/**
 * Wraps a challenger so that a failed challenge becomes an incident before the proxy answers
 * the client. Only failures of the person's challenge count (denied, timed out, wrong code,
 * abandoned, locked, push-bombing guard); Okta being unreachable or a user not enrolled is
 * an operational problem, logged but not an incident. A passed challenge is never one.
 */
import type { EventMapper } from '../behavior/logon-event.js';
import type { IncidentRecorder } from '../incidents/recorder.js';
import type { Challenger } from '../proxy/decision.js';
import { FailureKind, type ChallengeOutcome } from './outcome.js';

const INCIDENT_FAILURES: ReadonlySet<string> = new Set([
  FailureKind.Denied, FailureKind.TimedOut, FailureKind.WrongCode, FailureKind.Abandoned, FailureKind.Locked, FailureKind.PromptLimit,
]);

/** `onPassed`: a prompt the person passed (releases a quarantine that waits for verification). */
export function withIncidents(challenger: Challenger, recorder: IncidentRecorder, mapper: EventMapper, onPassed?: (account: string, outcome: ChallengeOutcome) => void): Challenger {
  return async (attempt, decision) => {
    const r = await challenger(attempt, decision);
    const o = r.outcome;
    // Fleet mode: the node that ran the challenge opens its incident (once, for every node's binds).
    if (r.result === 'failed' && o?.failure && INCIDENT_FAILURES.has(o.failure) && o.decidedBy === undefined) {
      const incident = recorder.record(attempt, decision, o, attempt.logon ?? mapper.fromAttempt(attempt, attempt.facts));
      return { ...r, incidentId: incident.id };
    }
    if (r.result === 'passed' && o && onPassed) onPassed((attempt.logon ?? mapper.fromAttempt(attempt, attempt.facts)).account, o);
    return r;
  };
}
