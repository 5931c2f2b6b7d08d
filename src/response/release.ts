/**
 * "Quarantined until identity verification can be confirmed": a quarantine a response put in
 * place with `releaseOn: verified` ends when the person passes a step-up prompt — a real one,
 * not a remembered pass or a fail mode letting them through while Okta was down.
 */
import type { Quarantine } from '../incidents/quarantine.js';
import type { Logger } from '../log/logger.js';
import type { ChallengeOutcome } from '../mfa/outcome.js';
import type { IncidentStore } from '../store/incident-store.js';
import type { Clock } from '../util/clock.js';

export function releaseWhenVerified(o: { quarantine: Quarantine; store: IncidentStore; clock: Clock; log: Logger }) {
  return (account: string, outcome: ChallengeOutcome): boolean => {
    const now = o.clock.now();
    if (outcome.result !== 'passed' || outcome.via !== undefined || o.quarantine.releaseOf(account, now) !== 'verified') return false;
    const row = o.quarantine.get(account);
    o.quarantine.release(account);
    const what = `account ${account} released from quarantine: the person passed a step-up (${outcome.method ?? 'mfa'})`;
    o.log.info({ event: 'quarantine_released', account, by: 'verification', method: outcome.method, incident: row?.incidentId ?? undefined }, what);
    if (row?.incidentId) o.store.update(row.incidentId, { time: now, what });
    return true;
  };
}
