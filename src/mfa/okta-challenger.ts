/**
 * Step-up through Okta Verify: maps the LDAP account to an Okta login, finds the enrolled
 * factors, and runs the rule's method — push (poll the transaction until the person answers,
 * it times out, or every waiting client has gone), otp (a code appended to the password), or
 * push-then-otp. Binds of one login share one challenge; passes are remembered; prompts are
 * capped per account. When Okta cannot be reached, the rule's fail mode decides.
 */
import type { EventMapper } from '../behavior/logon-event.js';
import { BindwallError, describeError, ErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { OktaClient, OktaFactor, OktaUser } from '../okta/client.js';
import type { BindAttempt, Challenger, ChallengeDecision } from '../proxy/decision.js';
import type { Clock } from '../util/clock.js';
import { Challenges, type ChallengeProgress } from './challenges.js';
import type { CodeInbox } from './code-inbox.js';
import { loginFor } from './login-template.js';
import { FailureKind, type ChallengeOutcome } from './outcome.js';

export const FailMode = { Secure: 'secure', Safe: 'safe', KnownEndpoint: 'known-endpoint' } as const;
export type FailMode = (typeof FailMode)[keyof typeof FailMode];

export interface OktaChallengerOptions {
  client: OktaClient;
  clock: Clock;
  log: Logger;
  mapper: EventMapper;
  challenges: Challenges;
  /** e.g. "{account}@corp.example" or "{mail}" (see login-template.ts). */
  loginTemplate: string;
  /** The whole challenge, from the first call to Okta to the answer. */
  challengeTimeoutMs: number;
  pollIntervalMs: number;
  numberMatching: boolean;
  /** When Okta is unreachable and the rule names no fail mode (privileged accounts: always secure). */
  defaultFailMode: FailMode;
  /** When the person has no Okta user or no usable factor (privileged accounts: always secure). */
  unenrolled: FailMode;
  /** The account has logged on from this endpoint before (behaviour), for known-endpoint. */
  isKnownEndpoint: (account: string, endpoint: string) => boolean;
  /** When the account's quarantine began, if it is quarantined: remembered passes from before do not count. */
  quarantinedSince?: (account: string) => number | undefined;
  /** Identifies bindwall to Okta; the end user's app and address are appended. */
  userAgent: string;
  /** Codes typed on the challenge page, when it is enabled. */
  inbox?: CodeInbox;
}

const failed = (failure: FailureKind, detail: string, method?: 'push' | 'otp'): ChallengeOutcome => ({ result: 'failed', failure, detail, ...(method ? { method } : {}) });

/** How long a user's Okta id, status and factors are reused between challenges. */
const ENROLMENT_TTL_MS = 60_000;
const ENROLMENT_CACHE_MAX = 50_000;

/** The longest wait between two polls of one push. */
export const MAX_POLL_DELAY_MS = 30_000;

/**
 * How long to wait before polling a push again: pollIntervalMs while it is young, then a tenth
 * of its age (at most MAX_POLL_DELAY_MS). Most people answer within seconds; a push still
 * waiting after minutes is answered late if at all, and thousands of those must not poll Okta
 * (and spend bindwall's CPU) at the young ones' rate. An answer is seen within a tenth of the
 * time the person took.
 */
export function pollDelayMs(pollIntervalMs: number, ageMs: number): number {
  return Math.max(pollIntervalMs, Math.min(Math.floor(ageMs / 10), MAX_POLL_DELAY_MS));
}

export class OktaChallenger {
  #o: OktaChallengerOptions;
  /** Okta user and factors by login: two calls saved on every challenge after the first. */
  readonly #enrolments = new Map<string, { user: OktaUser; factors: OktaFactor[]; until: number }>();

  /** New settings (a config reload); challenges under way finish with the old ones. */
  tune(t: Pick<OktaChallengerOptions, 'challengeTimeoutMs' | 'pollIntervalMs' | 'numberMatching' | 'defaultFailMode' | 'unenrolled'>): void {
    this.#o = { ...this.#o, ...t };
  }

  constructor(o: OktaChallengerOptions) {
    this.#o = o;
  }

  readonly challenge: Challenger = async (attempt, decision) => {
    const outcome = await this.run(attempt, decision);
    return { result: outcome.result, detail: outcome.detail, outcome };
  };

  async run(attempt: BindAttempt, decision: ChallengeDecision): Promise<ChallengeOutcome> {
    const logon = attempt.logon ?? this.#o.mapper.fromAttempt(attempt, attempt.facts);
    const key = Challenges.key(logon.account, attempt.clientAddress, logon.app);
    const c = this.#o.challenges;
    if (!decision.fresh && c.rememberedPass(key, this.#o.quarantinedSince?.(logon.account))) return { result: 'passed', detail: 'passed a challenge for this login recently', via: 'remembered' };
    if (!c.pending(key) && !c.allowPrompt(logon.account)) {
      return failed(FailureKind.PromptLimit, `too many prompts for ${logon.account}; not prompting again yet (push-bombing guard)`);
    }
    if (!c.pending(key) && !c.allowSourcePrompt(attempt.clientAddress)) {
      this.#o.log.warn({ event: 'mfa_source_prompt_limit', conn: attempt.connectionId, account: logon.account, client: attempt.clientAddress, ruleId: decision.ruleId },
        `too many step-ups from ${attempt.clientAddress}; refusing without prompting (mfa.maxPromptsPerSource)`);
      return failed(FailureKind.SourcePromptLimit, `too many step-ups from ${attempt.clientAddress} in this window; refused without prompting`);
    }
    const privileged = logon.kind === 'privileged';
    const deadline = this.#o.clock.now() + this.#o.challengeTimeoutMs;
    return c.share(key, attempt.signal, async (abandoned, progress) => this.#enrolmentMode(attempt, decision, logon.account, privileged,
      await this.#challenge(attempt, decision, logon.account, logon.app, privileged, abandoned, deadline, progress)), {
      deadline, resume: (pollHref, until, abandoned) => this.#pollPush({ pollHref }, attempt, logon.app, until, abandoned, this.#o.clock.now()),
      fresh: decision.fresh === true, notBefore: this.#o.quarantinedSince?.(logon.account),
    });
  }

  /**
   * A person Okta does not know, or who has no factor the rule can use, cannot be challenged:
   * mfa.unenrolled decides (privileged accounts: always secure). Logged as such; it is not a
   * failed challenge, so never an incident.
   */
  #enrolmentMode(attempt: BindAttempt, decision: ChallengeDecision, account: string, privileged: boolean, outcome: ChallengeOutcome): ChallengeOutcome {
    if (outcome.result !== 'failed' || (outcome.failure !== FailureKind.UnknownUser && outcome.failure !== FailureKind.NoFactor)) return outcome;
    const mode: FailMode = privileged || decision.fresh ? FailMode.Secure : this.#o.unenrolled;
    const known = this.#o.isKnownEndpoint(account, attempt.clientAddress);
    const allow = mode === FailMode.Safe || (mode === FailMode.KnownEndpoint && known);
    this.#o.log.warn({ event: 'mfa_unenrolled', conn: attempt.connectionId, account, client: attempt.clientAddress, ruleId: decision.ruleId, mode, knownEndpoint: known, allowed: allow, detail: outcome.detail },
      `${account} cannot be challenged (${outcome.detail}); mfa.unenrolled ${mode}${privileged ? ' (privileged account)' : ''}: ${allow ? 'allowing' : 'refusing'} the bind`);
    if (allow) return { result: 'passed', detail: `not enrolled in Okta; allowed by mfa.unenrolled ${mode}`, via: mode === FailMode.Safe ? 'unenrolled_safe' : 'unenrolled_known_endpoint' };
    return outcome;
  }

  async #challenge(attempt: BindAttempt, decision: ChallengeDecision, account: string, app: string, privileged: boolean, abandoned: AbortSignal, deadline: number, progress?: ChallengeProgress): Promise<ChallengeOutcome> {
    const o = this.#o;
    const method = decision.method ?? 'push';
    try {
      const login = loginFor(o.loginTemplate, account, attempt.facts);
      if (!login) return failed(FailureKind.UnknownUser, `no Okta login for ${account}: the template ${o.loginTemplate} needs a directory attribute this account lacks`);
      const { user, factors } = await this.#enrolment(login, deadline);
      if (user.status === 'LOCKED_OUT') return failed(FailureKind.Locked, `Okta user ${login} is locked out`);
      if (user.status !== 'ACTIVE') return failed(FailureKind.Inactive, `Okta user ${login} is ${user.status}, not ACTIVE`);
      const push = factors.find((f) => f.factorType === 'push' && f.provider === 'OKTA');
      const totp = factors.find((f) => f.factorType === 'token:software:totp');
      const code = attempt.otp?.reveal();
      const wantsOtp = method === 'otp' || (method === 'push-then-otp' && (code !== undefined || !push));
      if (wantsOtp) {
        if (!totp) return failed(FailureKind.NoFactor, `${login} has no Okta Verify OTP factor enrolled`, 'otp');
        if (code !== undefined) return await this.#otp(totp, code, deadline, attempt, app);
        if (!o.inbox) return failed(FailureKind.NoCode, 'no one-time code was given (append it to the password)', 'otp');
        const typed = await o.inbox.wait({ account, app, endpoint: attempt.clientAddress, deadline, signal: abandoned }).code;
        if (typed !== undefined) return await this.#otp(totp, typed, deadline, attempt, app);
        return abandoned.aborted ? failed(FailureKind.Abandoned, 'the client disconnected while waiting for a code', 'otp')
          : failed(FailureKind.TimedOut, 'no code was typed on the challenge page in time', 'otp');
      }
      if (!push) return failed(FailureKind.NoFactor, `${login} has no Okta Verify push factor enrolled`, 'push');
      // push-then-otp with the page on: a code typed there counts as well as the push.
      const fallback = method === 'push-then-otp' && totp && o.inbox ? { totp, account } : undefined;
      return await this.#push(push, attempt, app, deadline, abandoned, fallback, progress);
    } catch (err) {
      const e = describeError(err);
      this.#enrolments.clear(); // an error may mean a changed user or factor: look again next time
      if (err instanceof BindwallError && err.code === ErrorCode.OktaUserUnknown) return failed(FailureKind.UnknownUser, e.message);
      if (err instanceof BindwallError && err.code === ErrorCode.OktaUserLocked) return failed(FailureKind.Locked, e.message);
      if (err instanceof BindwallError && err.code === ErrorCode.OktaNoFactor) return failed(FailureKind.NoFactor, e.message);
      if (err instanceof BindwallError && err.code === ErrorCode.OktaRateLimited) {
        // Rate limiting is not an outage: anyone able to trigger enough step-ups could
        // otherwise turn failMode safe into approvals without MFA. Always refused.
        o.log.warn({ event: 'mfa_rate_limited', conn: attempt.connectionId, account, client: attempt.clientAddress, ruleId: decision.ruleId, error: e },
          `Okta rate limit reached (${e.message}); refusing the bind (rate limiting never fails open)`);
        return failed(FailureKind.RateLimited, `Okta rate limit reached; refused (${e.message})`);
      }
      return this.#unreachable(attempt, decision, account, privileged, e);
    }
  }

  async #enrolment(login: string, deadline: number): Promise<{ user: OktaUser; factors: OktaFactor[] }> {
    const now = this.#o.clock.now();
    const cached = this.#enrolments.get(login);
    if (cached && now < cached.until) return cached;
    const user = await this.#o.client.getUser(login, deadline);
    const factors = user.status === 'ACTIVE' ? (await this.#o.client.listFactors(user.id, deadline)).filter((f) => f.status === 'ACTIVE') : [];
    if (this.#enrolments.size >= ENROLMENT_CACHE_MAX) this.#enrolments.clear();
    if (user.status === 'ACTIVE') this.#enrolments.set(login, { user, factors, until: now + ENROLMENT_TTL_MS });
    return { user, factors };
  }

  /** Okta could not be asked: the rule's fail mode (secure for privileged accounts) decides. */
  #unreachable(attempt: BindAttempt, decision: ChallengeDecision, account: string, privileged: boolean, e: { code: string; message: string }): ChallengeOutcome {
    const mode: FailMode = privileged ? FailMode.Secure : (decision.failMode as FailMode | undefined) ?? this.#o.defaultFailMode;
    const known = this.#o.isKnownEndpoint(account, attempt.clientAddress);
    const allow = mode === FailMode.Safe || (mode === FailMode.KnownEndpoint && known);
    this.#o.log.warn({ event: 'mfa_fail_mode', conn: attempt.connectionId, account, client: attempt.clientAddress, ruleId: decision.ruleId, failMode: mode, knownEndpoint: known, allowed: allow, error: e },
      `Okta unreachable (${e.code}); fail mode ${mode}${privileged && decision.failMode && decision.failMode !== 'secure' ? ' (privileged account)' : ''}: ${allow ? 'allowing' : 'refusing'} the bind`);
    if (allow) return { result: 'passed', detail: `Okta unreachable; allowed by fail mode ${mode}`, via: mode === FailMode.Safe ? 'fail_safe' : 'fail_known_endpoint' };
    return failed(FailureKind.Unavailable, `Okta unreachable (${e.message}); refused by fail mode ${mode}`);
  }

  async #otp(factor: OktaFactor, code: string, deadline: number, attempt: BindAttempt, app: string): Promise<ChallengeOutcome> {
    const ctx = { clientIp: attempt.clientAddress, userAgent: `${this.#o.userAgent} (app ${app}; endpoint ${attempt.clientAddress})` };
    switch (await this.#o.client.verifyPasscode(factor, code, deadline, ctx)) {
      case 'SUCCESS':
        return { result: 'passed', method: 'otp', detail: 'one-time code verified' };
      case 'REPLAYED':
        return failed(FailureKind.WrongCode, 'the one-time code was already used', 'otp');
      case 'LOCKED':
        return failed(FailureKind.Locked, 'Okta locked the user after repeated wrong codes', 'otp');
      default:
        return failed(FailureKind.WrongCode, 'wrong one-time code', 'otp');
    }
  }

  async #push(factor: OktaFactor, attempt: BindAttempt, app: string, deadline: number, abandoned: AbortSignal, fallback?: { totp: OktaFactor; account: string }, progress?: ChallengeProgress): Promise<ChallengeOutcome> {
    const page = fallback && this.#o.inbox ? this.#o.inbox.wait({ account: fallback.account, app, endpoint: attempt.clientAddress, deadline, signal: abandoned }) : undefined;
    try {
      return await this.#pushLoop(factor, attempt, app, deadline, abandoned, page && fallback ? { ...page, totp: fallback.totp } : undefined, progress);
    } finally {
      if (page) this.#o.inbox!.cancel(page.id);
    }
  }

  async #pushLoop(factor: OktaFactor, attempt: BindAttempt, app: string, deadline: number, abandoned: AbortSignal, page?: { code: Promise<string | undefined>; totp: OktaFactor }, progress?: ChallengeProgress): Promise<ChallengeOutcome> {
    const o = this.#o;
    const started = await o.client.startPush(factor, {
      clientIp: attempt.clientAddress, userAgent: `${o.userAgent} (app ${app}; endpoint ${attempt.clientAddress})`, numberMatching: o.numberMatching,
    }, deadline);
    if (started.correctAnswer !== undefined) {
      o.log.info({ event: 'mfa_number_matching', conn: attempt.connectionId, number: started.correctAnswer }, `number to choose on the phone: ${started.correctAnswer}`);
    }
    progress?.pushStarted(started.pollHref, started.cancelHref);
    return this.#pollPush(started, attempt, app, deadline, abandoned, o.clock.now(), page);
  }

  /** Polls a push to its end: one this process started, or one a fleet node that died had started. */
  async #pollPush(started: { pollHref: string; cancelHref?: string | undefined }, attempt: BindAttempt, app: string, deadline: number, abandoned: AbortSignal, sentAt: number, page?: { code: Promise<string | undefined>; totp: OktaFactor }): Promise<ChallengeOutcome> {
    const o = this.#o;
    const cancel = (): void => {
      if (started.cancelHref) void o.client.cancelPush(started.cancelHref, o.clock.now() + 5_000);
    };
    for (;;) {
      if (abandoned.aborted) {
        cancel();
        return failed(FailureKind.Abandoned, 'the client disconnected while the push was pending', 'push');
      }
      const r = await o.client.pollPush(started.pollHref, deadline);
      if (r === 'SUCCESS') return { result: 'passed', method: 'push', detail: 'push approved' };
      if (r === 'REJECTED') return failed(FailureKind.Denied, 'push denied on the phone', 'push');
      if (r === 'TIMEOUT') {
        // Not answered: the code on the challenge page is the fallback, until the deadline.
        const typed = page ? await page.code : undefined;
        if (typed !== undefined) return await this.#otp(page!.totp, typed, deadline, attempt, app);
        return failed(FailureKind.TimedOut, 'push not answered before Okta timed it out', 'push');
      }
      const now = o.clock.now();
      if (now + o.pollIntervalMs >= deadline) {
        cancel();
        return failed(FailureKind.TimedOut, 'push not answered in time', 'push');
      }
      // An older push is polled less often, and a last poll still comes before the deadline.
      const wait = Math.min(pollDelayMs(o.pollIntervalMs, now - sentAt), Math.max(o.pollIntervalMs, deadline - now - o.pollIntervalMs));
      const typed = await Promise.race([this.#sleep(wait, abandoned).then(() => undefined), page?.code ?? new Promise<undefined>(() => {})]);
      if (typed !== undefined && page) {
        cancel();
        return await this.#otp(page.totp, typed, deadline, attempt, app);
      }
    }
  }

  #sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.#o.clock.setTimer(ms, done);
      function done(): void {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }
      function onAbort(): void {
        timer.cancel();
        done();
      }
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
