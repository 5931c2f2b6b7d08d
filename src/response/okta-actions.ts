/**
 * The Okta steps of a response: sign the person out everywhere, suspend them, reset their
 * factors. The Okta user is found by the same login the step-up uses (mfa.okta.loginTemplate).
 */
import type { UserFacts } from '../directory/facts.js';
import { BindwallError, ErrorCode } from '../errors.js';
import { loginFor } from '../mfa/login-template.js';
import type { OktaClient } from '../okta/client.js';
import type { Clock } from '../util/clock.js';
import { StepKind } from '../config/responses.js';

export type OktaAction = typeof StepKind.OktaClearSessions | typeof StepKind.OktaSuspend | typeof StepKind.OktaResetFactors;

export class OktaActions {
  constructor(private readonly o: { client: OktaClient; loginTemplate: string; requestTimeoutMs: number; clock: Clock }) {}

  /** The Okta login of an account, or undefined when the template needs an attribute the facts lack. */
  loginOf(account: string, facts?: UserFacts | null): string | undefined {
    return loginFor(this.o.loginTemplate, account, facts);
  }

  /** Carries the action out; says what happened (for the timeline). Throws a BindwallError on failure. */
  async run(action: OktaAction, login: string): Promise<string> {
    const deadline = this.o.clock.now() + this.o.requestTimeoutMs * 3;
    const user = await this.o.client.getUser(login, deadline);
    switch (action) {
      case StepKind.OktaClearSessions:
        await this.o.client.clearSessions(user.id, deadline);
        return `Okta sessions of ${login} cleared`;
      case StepKind.OktaSuspend:
        return (await this.o.client.suspend(user.id, deadline)) === 'suspended' ? `Okta user ${login} suspended` : `Okta user ${login} was not active (${user.status}); left as it is`;
      case StepKind.OktaResetFactors:
        await this.o.client.resetFactors(user.id, deadline);
        return `Okta factors of ${login} reset (the person enrols again)`;
      default:
        throw new BindwallError(ErrorCode.Internal, `unknown Okta action ${String(action)}`);
    }
  }
}

/** Worth another try: Okta down or busy, the network. A missing user or a refused token stays so until someone fixes it. */
export function isTransient(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  if (code === ErrorCode.OktaUserUnknown || code === ErrorCode.OktaAuth || code === ErrorCode.OktaProtocol || code === ErrorCode.Internal) return false;
  return true;
}
