/**
 * The challenger used when a policy asks for MFA but no MFA connector is configured: it
 * cannot pass, so the bind is refused (fail closed), with a log line that says why.
 */
import type { Logger } from '../log/logger.js';
import { ChallengeResult, type Challenger } from '../proxy/decision.js';

export function unconfiguredChallenger(log: Logger): Challenger {
  return async (attempt, decision) => {
    log.warn({ event: 'mfa_unavailable', conn: attempt.connectionId, ruleId: decision.ruleId, method: decision.method, client: attempt.clientAddress },
      `rule ${decision.ruleId ?? '?'} asks for MFA (${decision.method ?? 'push'}) but no MFA connector is configured; refusing the bind`);
    return { result: ChallengeResult.Failed, detail: 'no MFA connector configured' };
  };
}
