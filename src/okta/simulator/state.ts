/**
 * The Okta simulator's world: users with enrolled Okta Verify factors (push and TOTP), push
 * transactions that a person or a test approves or denies, and the lockout after repeated
 * wrong codes. Pure state with an injectable clock; server.ts puts HTTP in front of it.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Clock } from '../../util/clock.js';
import { newTotpSecret, verifyTotp } from '../totp.js';

export type FactorType = 'push' | 'token:software:totp';
export type PushResult = 'WAITING' | 'SUCCESS' | 'REJECTED' | 'TIMEOUT';
export type UserStatus = 'ACTIVE' | 'LOCKED_OUT' | 'SUSPENDED' | 'DEPROVISIONED' | 'STAGED' | 'PROVISIONED' | 'RECOVERY' | 'PASSWORD_EXPIRED';

export interface SimFactor {
  id: string;
  factorType: FactorType;
  status: 'ACTIVE' | 'PENDING_ACTIVATION';
  created: number;
  /** TOTP secret (base32); never leaves the simulator except through its own test page. */
  secret?: string;
  /** Last TOTP step accepted (replays of it are refused). */
  lastStep?: number;
  deviceName?: string;
}

export interface SimUser {
  id: string;
  login: string;
  email: string;
  firstName: string;
  lastName: string;
  status: UserStatus;
  created: number;
  factors: SimFactor[];
  failedVerifies: number;
  /** Apps assigned to the user (appLinks' labels). */
  apps: string[];
  /** How often an admin (or bindwall) cleared the user's sessions. */
  sessionsCleared?: number;
}

export interface PushTransaction {
  id: string;
  userId: string;
  factorId: string;
  created: number;
  expiresAt: number;
  result: PushResult;
  /** Number matching: the number shown to the user. */
  correctAnswer?: number;
  /** What the caller said about the end user (shown on the "phone"). */
  clientIp?: string;
  userAgent?: string;
}

/** Okta ids: a prefix and base62 characters, 20 in all. */
function oktaId(prefix: string): string {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let s = prefix;
  const bytes = randomBytes(20);
  for (let i = 0; s.length < 20; i++) s += chars[bytes[i]! % chars.length];
  return s;
}

/** Consecutive wrong codes before the user is locked out (Okta Classic: 5). */
export const MAX_FAILED_VERIFIES = 5;

export class OktaState {
  readonly clock: Clock;
  readonly pushLifetimeMs: number;
  readonly #users = new Map<string, SimUser>();
  readonly #byLogin = new Map<string, SimUser>();
  readonly #transactions = new Map<string, PushTransaction>();
  /** Called when a push is sent (the demo prints it; tests may answer it). */
  onPush: ((t: PushTransaction, u: SimUser) => void) | undefined;
  /** Its own System Log events (push sent, MFA verified or failed, user locked): the server's log. */
  onEvent: ((e: { eventType: string; user: SimUser; result: string; reason?: string; factor?: string; clientIp?: string }) => void) | undefined;

  constructor(opts: { clock: Clock; pushLifetimeMs?: number }) {
    this.clock = opts.clock;
    this.pushLifetimeMs = opts.pushLifetimeMs ?? 300_000;
  }

  addUser(u: { login: string; email?: string; firstName?: string; lastName?: string; status?: UserStatus; push?: boolean; totp?: boolean | string; apps?: string[] }): SimUser {
    const now = this.clock.now();
    const user: SimUser = {
      id: oktaId('00u'), login: u.login, email: u.email ?? u.login, firstName: u.firstName ?? u.login.split('@')[0]!, lastName: u.lastName ?? 'User',
      status: u.status ?? 'ACTIVE', created: now, factors: [], failedVerifies: 0, apps: u.apps ?? [],
    };
    if (u.push !== false) user.factors.push({ id: oktaId('opf'), factorType: 'push', status: 'ACTIVE', created: now, deviceName: `${user.firstName}'s phone` });
    if (u.totp !== false) user.factors.push({ id: oktaId('ost'), factorType: 'token:software:totp', status: 'ACTIVE', created: now, secret: typeof u.totp === 'string' ? u.totp : newTotpSecret() });
    this.#users.set(user.id, user);
    this.#byLogin.set(user.login.toLowerCase(), user);
    return user;
  }

  /** By id, or by login (case-insensitive), as Okta's getUser accepts either. */
  user(idOrLogin: string): SimUser | undefined {
    return this.#users.get(idOrLogin) ?? this.#byLogin.get(idOrLogin.toLowerCase());
  }

  users(): SimUser[] {
    return [...this.#users.values()];
  }

  startPush(user: SimUser, factor: SimFactor, o: { numberMatching: boolean; clientIp?: string; userAgent?: string }): PushTransaction {
    const now = this.clock.now();
    const t: PushTransaction = {
      id: `v2mst.${randomBytes(16).toString('base64url')}`, userId: user.id, factorId: factor.id, created: now, expiresAt: now + this.pushLifetimeMs,
      result: 'WAITING', ...(o.numberMatching ? { correctAnswer: randomInt(10, 100) } : {}),
      ...(o.clientIp ? { clientIp: o.clientIp } : {}), ...(o.userAgent ? { userAgent: o.userAgent } : {}),
    };
    // Finished transactions are kept an hour for polls, then forgotten (the demo runs for long).
    for (const [id, old] of this.#transactions) if (old.result !== 'WAITING' && old.created < now - 3_600_000) this.#transactions.delete(id);
    this.#transactions.set(t.id, t);
    this.onPush?.(t, user);
    this.onEvent?.({ eventType: 'system.push.send_factor_verify_push', user, result: 'SUCCESS', factor: 'OKTA_VERIFY_PUSH', ...(t.clientIp ? { clientIp: t.clientIp } : {}) });
    return t;
  }

  /** The transaction with its result as of now (a waiting push past its expiry has timed out). */
  transaction(id: string): PushTransaction | undefined {
    const t = this.#transactions.get(id);
    if (t && t.result === 'WAITING' && this.clock.now() >= t.expiresAt) t.result = 'TIMEOUT';
    return t;
  }

  pending(): PushTransaction[] {
    return [...this.#transactions.keys()].map((id) => this.transaction(id)!).filter((t) => t.result === 'WAITING');
  }

  /** The person answers on their phone. */
  answer(id: string, approve: boolean): PushTransaction | undefined {
    const t = this.transaction(id);
    if (!t || t.result !== 'WAITING') return t;
    t.result = approve ? 'SUCCESS' : 'REJECTED';
    const user = this.#users.get(t.userId);
    if (user) {
      this.onEvent?.({
        eventType: 'user.authentication.auth_via_mfa', user, result: approve ? 'SUCCESS' : 'FAILURE', factor: 'OKTA_VERIFY_PUSH',
        ...(approve ? {} : { reason: 'USER_REJECTED_OKTA_VERIFY_PUSH' }), ...(t.clientIp ? { clientIp: t.clientIp } : {}),
      });
    }
    return t;
  }

  /** The newest waiting push of a user (tests and the page answer "the" push). */
  latestPending(login: string): PushTransaction | undefined {
    const u = this.user(login);
    return u ? this.pending().filter((t) => t.userId === u.id).sort((a, b) => b.created - a.created)[0] : undefined;
  }

  cancel(id: string): boolean {
    const t = this.transaction(id);
    if (!t) return false;
    if (t.result === 'WAITING') t.result = 'TIMEOUT';
    return true;
  }

  /** Okta's response actions (what bindwall's response workflows call), each with its System Log event. */
  clearSessions(user: SimUser): void {
    user.sessionsCleared = (user.sessionsCleared ?? 0) + 1;
    this.onEvent?.({ eventType: 'user.session.clear', user, result: 'SUCCESS' });
  }

  /** Only an active user can be suspended (Okta answers 400 otherwise). */
  suspend(user: SimUser): boolean {
    if (user.status !== 'ACTIVE') return false;
    user.status = 'SUSPENDED';
    this.onEvent?.({ eventType: 'user.lifecycle.suspend', user, result: 'SUCCESS' });
    return true;
  }

  unsuspend(user: SimUser): boolean {
    if (user.status !== 'SUSPENDED') return false;
    user.status = 'ACTIVE';
    this.onEvent?.({ eventType: 'user.lifecycle.unsuspend', user, result: 'SUCCESS' });
    return true;
  }

  resetFactors(user: SimUser): void {
    user.factors = [];
    this.onEvent?.({ eventType: 'user.mfa.factor.reset_all', user, result: 'SUCCESS' });
  }

  /** TOTP verification with replay protection and lockout; the outcome names Okta's answer. */
  verifyCode(user: SimUser, factor: SimFactor, code: string): 'SUCCESS' | 'INVALID' | 'REPLAYED' | 'LOCKED' {
    if (user.status === 'LOCKED_OUT') return 'LOCKED';
    const step = verifyTotp(factor.secret ?? '', code, this.clock.now());
    if (step === null) {
      user.failedVerifies++;
      this.onEvent?.({ eventType: 'user.authentication.auth_via_mfa', user, result: 'FAILURE', reason: 'INVALID_CREDENTIALS', factor: 'OKTA_VERIFY_TOTP' });
      if (user.failedVerifies >= MAX_FAILED_VERIFIES) {
        user.status = 'LOCKED_OUT';
        this.onEvent?.({ eventType: 'user.account.lock', user, result: 'SUCCESS', reason: 'LOCKED_OUT' });
      }
      return 'INVALID';
    }
    if (factor.lastStep !== undefined && step <= factor.lastStep) return 'REPLAYED';
    factor.lastStep = step;
    user.failedVerifies = 0;
    this.onEvent?.({ eventType: 'user.authentication.auth_via_mfa', user, result: 'SUCCESS', factor: 'OKTA_VERIFY_TOTP' });
    return 'SUCCESS';
  }
}
