/**
 * What a session asks of the threat pool and smart lockout. One question before the directory
 * sees a bind (the screen), two reports after it answers (failed, succeeded), and the same for
 * password tests other than binds (oracles). In one process the answers are synchronous; a
 * worker asks the process that keeps the state (workers/), so every question may also be
 * answered by a promise.
 */
import type { ThreatVerdict } from '../threat/pool.js';
import type { Bucket } from '../threat/lockout.js';
import type { OracleAttempt, OracleKind, OracleVerdict } from '../threat/oracles.js';
import type { ConnectionContext } from './bind-event.js';

/** Who binds, from which kind of source, and until when that is locked out (0: it is not). */
export interface LockoutKey {
  identity: string;
  bucket: Bucket;
  until: number;
}

export interface ScreenInput {
  bindName: string;
  address: string;
  connection?: ConnectionContext;
  /**
   * Smart lockout applies (a simple bind, not a honeytoken): the password as received, hashed
   * only when this identity has recent failures to compare it with. A worker sends its keyed
   * hash (`tag`) instead; the password never leaves the process that received it.
   */
  lockout?: { password: Uint8Array } | { tag: string };
}

export interface Screen {
  /** The pool's verdict for the source (absent: the source has no entry). */
  threat?: ThreatVerdict;
  /** Smart lockout's key for the bind, when it applies. */
  lockout?: LockoutKey;
  /** The same password was already wrong for this identity and kind of source (a retry). */
  repeated?: boolean;
}

export interface SessionGuard {
  /** The listener's threat mode is enforce (else the pool and lockout only log). */
  enforce: boolean;
  screen(input: ScreenInput): Screen | Promise<Screen>;
  /** The directory said wrong (a plain wrong password); only then is the password hashed. */
  failed(key: LockoutKey, address: string, password: Uint8Array): void;
  succeeded(key: LockoutKey): void;
  /** Password tests other than binds; absent when password oracles are not guarded. */
  oracles?: SessionOracles;
}

export interface SessionOracles {
  check(kind: OracleKind, name: string, address: string, secret: Uint8Array): OracleVerdict | Promise<OracleVerdict>;
  /** The directory answered a forwarded test: wrong or right (anything else is not counted). */
  settle(attempt: OracleAttempt, wrong: boolean): void;
}

export const isThenable = <T>(v: T | Promise<T>): v is Promise<T> => typeof (v as { then?: unknown } | null)?.then === 'function';

/**
 * The guard as the process that keeps the state serves it to workers: the same questions, with
 * the password already reduced to its keyed tag by the worker.
 */
export interface HubGuard {
  screen(input: ScreenInput): Screen;
  failed(key: LockoutKey, address: string, tag: string): void;
  succeeded(key: LockoutKey): void;
  oracleCheck?(kind: OracleKind, name: string, address: string, tag: string): OracleVerdict;
  oracleSettle?(attempt: OracleAttempt, wrong: boolean): void;
}
