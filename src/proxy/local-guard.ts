/**
 * The guard where the threat pool and smart lockout live: the questions a session asks before
 * the directory sees a password (guard.ts), answered from this process's state. A worker's
 * sessions get the same answers through workers/ (the hub serves this object).
 */
import { ErrorCode } from '../errors.js';
import type { LogBudget } from '../log/budget.js';
import type { Logger } from '../log/logger.js';
import type { ThreatPool } from '../threat/pool.js';
import type { Bucket, SmartLockout } from '../threat/lockout.js';
import { OracleKind, type OracleVerdict } from '../threat/oracles.js';
import { loginNameOf } from '../util/dn.js';
import type { Clock } from '../util/clock.js';
import type { ConnectionContext } from './bind-event.js';
import type { HubGuard, LockoutKey, Screen, ScreenInput, SessionGuard } from './guard.js';

export interface GuardDeps {
  pool: ThreatPool;
  lockout: SmartLockout;
  /** Behaviour's view of a bind: one identity for every name form, and whether the source relays for others. */
  behavior?: {
    lockoutKey?(bindName: string, address: string, connection?: ConnectionContext): { identity: string; bucket: Bucket };
    relays?(address: string, bindName: string, connection?: ConnectionContext): boolean;
  };
  clock: Clock;
  log: Logger;
  /** threat.passwordOracles: compare / passwordModify refused outright, or guarded like binds. */
  oracleModes: { compare: string; passwordModify: string };
  /** A warning a client can cause at will, within its address's budget. */
  warnAbout: (address: string, fields: Record<string, unknown>, msg: string) => void;
  /** Lines about what bindwall answered itself, budgeted per address. */
  answeredHere: LogBudget;
}

/** One listener's guard, with the passwords already reduced to keyed tags. */
export function hubGuard(d: GuardDeps, listener: { name: string; enforce: boolean }): HubGuard {
  const { pool, lockout: lock, clock } = d;
  const keyOf = (name: string, address: string, connection?: ConnectionContext): LockoutKey => {
    // One counter per person whichever name form the client binds with, when behaviour knows them.
    const k = d.behavior?.lockoutKey?.(name, address, connection) ?? { identity: loginNameOf(name), bucket: 'unfamiliar' as const };
    return { ...k, until: lock.lockedUntil(k.identity, k.bucket) };
  };
  // An app server's sources are never blocked as a whole, learned or declared, or seen relaying on this connection.
  const verdict = (address: string, name: string, connection?: ConnectionContext) => pool.verdict(address, () => d.behavior?.relays?.(address, name, connection) ?? false);
  const failed = (key: LockoutKey, address: string, tag: string): void => {
    const until = lock.failed(key.identity, key.bucket, tag);
    if (until === 0) return;
    // The owner's own devices have no threshold of their own: locked there, the directory's budget is spent.
    const all = lock.lockedUntil(key.identity, 'familiar') > 0;
    d.warnAbout(address, { event: 'lockout', identity: key.identity, bucket: all ? 'all' : key.bucket, until: new Date(until).toISOString(), code: ErrorCode.LockedOut },
      all ? `${key.identity} locked out at the proxy from every source: one more wrong password would lock it in the directory` : `${key.identity} locked out at the proxy from ${key.bucket} sources`);
  };
  const said = (address: string, kind: OracleKind, name: string, outcome: string): void => {
    const suppressed = d.answeredHere.take(address);
    if (suppressed === undefined) return;
    d.log.info({ event: 'password_oracle', client: address, kind, name, outcome, listener: listener.name, ...(suppressed > 0 ? { suppressed } : {}) }, `password test by ${kind.replace('_', ' ')}: ${outcome}`);
  };
  return {
    screen: (input: ScreenInput): Screen => {
      const threat = verdict(input.address, input.bindName, input.connection);
      const out: Screen = threat.entry ? { threat } : {};
      if (!input.lockout) return out;
      const key = (out.lockout = keyOf(input.bindName, input.address, input.connection));
      // Hashed only when there is something to compare it with: most binds have no recent failure.
      if (lock.hasRecentFailures(key.identity, key.bucket)) {
        const tag = 'tag' in input.lockout ? input.lockout.tag : lock.tag(input.lockout.password);
        if (lock.repeated(key.identity, key.bucket, tag)) out.repeated = true;
      }
      return out;
    },
    failed,
    succeeded: (key) => lock.succeeded(key.identity, key.bucket),
    oracleCheck: (kind, name, address, tag): OracleVerdict => {
      if ((kind === OracleKind.Compare ? d.oracleModes.compare : d.oracleModes.passwordModify) === 'refuse') {
        said(address, kind, name, 'refused (threat.passwordOracles)');
        return { action: 'refuse' };
      }
      const key = keyOf(name, address);
      const threat = verdict(address, name);
      const why = threat.action === 'block' ? 'threat' as const : key.until > 0 ? 'locked_out' as const : lock.repeated(key.identity, key.bucket, tag) ? 'repeated' as const : undefined;
      if (why && listener.enforce) {
        if (why === 'threat') pool.observe({ time: clock.now(), address, account: name.trim().toLowerCase(), failed: true, blocked: true });
        said(address, kind, name, `answered as a wrong password by bindwall (${why === 'threat' ? 'threat pool' : why === 'locked_out' ? 'locked out' : 'a retry of a wrong password'})`);
        return { action: 'wrong', why };
      }
      return { action: 'forward', attempt: { kind, identity: key.identity, bucket: key.bucket, tag, address, account: name.trim().toLowerCase() } };
    },
    oracleSettle: (a, wrong) => {
      const key = { identity: a.identity, bucket: a.bucket, until: 0 };
      if (wrong) failed(key, a.address, a.tag);
      else lock.succeeded(a.identity, a.bucket);
      pool.observe({ time: clock.now(), address: a.address, account: a.account, failed: wrong });
      said(a.address, a.kind, a.account, wrong ? 'wrong password (counted)' : 'right password');
    },
  };
}

/** The session's view of a guard in the same process: passwords are tagged here, answers are synchronous. */
export function sessionGuard(hub: HubGuard, tag: (password: Uint8Array) => string, enforce: boolean): SessionGuard {
  return {
    enforce,
    screen: (input) => hub.screen(input),
    failed: (key, address, password) => hub.failed(key, address, tag(password)),
    succeeded: (key) => hub.succeeded(key),
    ...(hub.oracleCheck && hub.oracleSettle ? {
      oracles: {
        check: (kind, name, address, secret) => hub.oracleCheck!(kind, name, address, tag(secret)),
        settle: (attempt, wrong) => hub.oracleSettle!(attempt, wrong),
      },
    } : {}),
  };
}
