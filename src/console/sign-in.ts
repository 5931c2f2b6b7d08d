/**
 * Console sign-in: the admin's name and password go through bindwall's own LDAP path (a
 * session on the configured listener's threat pool and lockout, scored and decided like any
 * bind, as app "console" from the browser's address), and must step up with Okta. The role
 * comes from the directory groups the lookup read for that bind. A sign-in runs in the
 * background while the browser polls; how many may wait at once is bounded.
 */
import { randomBytes } from 'node:crypto';
import type { ConsoleConfig } from '../config/load.js';
import type { UserFacts } from '../directory/facts.js';
import { describeError } from '../errors.js';
import { LdapClient } from '../ldap/client.js';
import type { Logger } from '../log/logger.js';
import type { BindAttempt, DecideFn, Decision } from '../proxy/decision.js';
import type { Proxy } from '../proxy/server.js';
import { ConsoleRole } from '../store/console-store.js';
import type { Clock } from '../util/clock.js';
import { normalizeDn } from '../util/dn.js';

/** The listener name (and so the app) console sign-ins carry in logs, behaviour and policy. */
export const CONSOLE_LISTENER = 'console';

const MAX_PENDING = 64;
const MAX_PENDING_PER_ADDRESS = 4;
/** How long a finished sign-in waits for its browser to collect it. */
const KEEP_DONE_MS = 120_000;

export type SignInState =
  | { state: 'waiting'; since: number }
  | { state: 'done'; operator: string; dn: string; role: ConsoleRole; address: string }
  | { state: 'refused' };

/** The proxy's way in for binds that start inside bindwall (proxy/server.ts). */
export type InternalConnect = Proxy['connectInternal'];

/** The first role, admin first, whose groups the person is in (DNs compared normalised, names as common names). */
export function roleOf(facts: Pick<UserFacts, 'groups' | 'groupNames'>, roles: ConsoleConfig['roles']): ConsoleRole | undefined {
  const dns = new Set(facts.groups.map(normalizeDn));
  const cns = new Set(facts.groupNames);
  const member = (g: string): boolean => (g.includes('=') ? dns.has(normalizeDn(g)) : cns.has(g.trim().toLowerCase()));
  for (const role of [ConsoleRole.Admin, ConsoleRole.Analyst, ConsoleRole.Viewer]) if (roles[role].some(member)) return role;
  return undefined;
}

interface Pending {
  address: string;
  started: number;
  result: SignInState;
  finished?: number;
}

export class SignIns {
  readonly #pending = new Map<string, Pending>();

  constructor(private readonly o: {
    connect: InternalConnect; console: ConsoleConfig; otpDelimiter?: string; deadlineMs: number; clock: Clock; log: Logger;
    /** A user name as people type it ("alice") to the entry's DN, through the lookup account: OpenLDAP binds only DNs. */
    resolveDn?: (name: string) => Promise<string | undefined>;
  }) {}

  /** Starts a sign-in; returns its id, or undefined when too many are waiting (from this address or at all). */
  start(f: { user: string; password: string; otp?: string; address: string; port: number }): string | undefined {
    this.#sweep();
    const waiting = [...this.#pending.values()].filter((p) => p.result.state === 'waiting');
    if (waiting.length >= MAX_PENDING || waiting.filter((p) => p.address === f.address).length >= MAX_PENDING_PER_ADDRESS) return undefined;
    const id = randomBytes(18).toString('base64url');
    const now = this.o.clock.now();
    const p: Pending = { address: f.address, started: now, result: { state: 'waiting', since: now } };
    this.#pending.set(id, p);
    void this.#run(f, p);
    return id;
  }

  /** What became of a sign-in; a finished one is handed out once. */
  take(id: string): SignInState | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    if (p.result.state !== 'waiting') this.#pending.delete(id);
    return p.result;
  }

  async #run(f: { user: string; password: string; otp?: string; address: string; port: number }, p: Pending): Promise<void> {
    let facts: UserFacts | undefined;
    let role: ConsoleRole | undefined;
    let why = 'the directory refused the name or password';
    const stepUp = this.o.console.stepUp === 'always';
    const decide = async (attempt: BindAttempt, next: DecideFn): Promise<Decision> => {
      // Groups unknown or no role: refused before anyone's phone buzzes.
      if (!attempt.facts) {
        why = 'the directory lookup did not answer, so the console role is unknown';
        return { action: 'block', reasons: [`console: ${why}`], ruleId: 'console-sign-in' };
      }
      facts = attempt.facts;
      role = roleOf(attempt.facts, this.o.console.roles);
      if (!role) {
        why = 'not in any group admin.console.roles names';
        return { action: 'block', reasons: [`console: ${why}`], ruleId: 'console-sign-in' };
      }
      const d = await next(attempt);
      if (d.action === 'block' || d.action === 'challenge' || !stepUp) {
        why = d.action === 'block' ? `the policy blocked it (${d.ruleId ?? 'default'})` : 'the step-up was not passed';
        return d;
      }
      why = 'the step-up was not passed';
      return {
        action: 'challenge', method: f.otp ? 'otp' : 'push', severity: 'high', failMode: 'secure', fresh: true, onFailure: { quarantine: false, notify: [] },
        reasons: [...(d.reasons ?? []), 'console sign-in: always steps up (admin.console.stepUp)'], ruleId: 'console-sign-in', ...(d.policyHash ? { policyHash: d.policyHash } : {}),
      };
    };
    let client: LdapClient | undefined;
    const timer = this.o.clock.setTimer(this.o.deadlineMs, () => client?.destroy());
    try {
      const password = f.otp && this.o.otpDelimiter ? `${f.password}${this.o.otpDelimiter}${f.otp}` : f.password;
      const name = f.user.includes('=') ? f.user : ((await this.o.resolveDn?.(f.user).catch(() => undefined)) ?? f.user);
      client = LdapClient.fromSocket(this.o.connect({ via: this.o.console.via, as: CONSOLE_LISTENER, peer: { address: f.address, port: f.port }, decide }));
      const r = await client.bind(name, password);
      if (r.resultCode === 0 && facts && role) {
        const operator = facts.login ?? f.user;
        p.result = { state: 'done', operator, dn: facts.dn, role, address: f.address };
        this.o.log.info({ event: 'console_sign_in', operator, role, address: f.address }, `console: ${operator} signed in as ${role}`);
      } else {
        p.result = { state: 'refused' };
        this.o.log.warn({ event: 'console_sign_in_refused', user: f.user.slice(0, 256), address: f.address, resultCode: r.resultCode, reason: why }, `console: sign-in refused (${why})`);
      }
    } catch (err) {
      p.result = { state: 'refused' };
      this.o.log.warn({ event: 'console_sign_in_refused', user: f.user.slice(0, 256), address: f.address, reason: 'no answer', error: describeError(err) }, 'console: sign-in refused (no answer in time)');
    } finally {
      timer.cancel();
      p.finished = this.o.clock.now();
      client?.destroy();
    }
  }

  #sweep(): void {
    const now = this.o.clock.now();
    for (const [id, p] of this.#pending) if (p.finished !== undefined && now - p.finished > KEEP_DONE_MS) this.#pending.delete(id);
  }
}
