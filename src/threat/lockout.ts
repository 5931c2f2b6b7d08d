/**
 * Smart lockout at the proxy (after Microsoft Entra's): failed binds are counted per identity
 * and per kind of source — a device the identity is known to use (familiar), any other
 * direct source (unfamiliar), and each app server that binds for its users (its own bucket,
 * so a spray through the portal does not spend the person's typos at the mail server) — and
 * past the threshold a non-familiar bucket is locked at the proxy, for a minute first and
 * longer on repeats. Whatever the buckets, the directory's own counter is budgeted: the
 * failures passed to it since the identity's last success stay below its lockout threshold,
 * so the directory never locks the account; the owner at a familiar device has the budget the
 * attacker's buckets cannot spend. The same wrong password retried counts once: only a keyed
 * hash of the last few wrong passwords is kept, with a per-process random key, in memory,
 * never stored or logged.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../util/clock.js';
import { LruMap } from '../util/lru.js';

export interface LockoutOptions {
  /** Failed binds (distinct wrong passwords) per identity in a non-familiar bucket before it is locked. */
  threshold: number;
  /**
   * Failures the directory may see from bindwall per identity since its last success
   * (its lockout threshold minus one); at the budget every bucket waits for the directory
   * to forget (windowMs after the last failure) or for an administrator's release.
   */
  budget: number;
  /** The first lockout; each repeat doubles it, up to maxDurationMs. */
  durationMs: number;
  maxDurationMs: number;
  /** Failures older than this are forgotten (the directory's observation window: AD's default is 30 minutes). */
  windowMs: number;
  maxIdentities: number;
}

export const defaultLockoutOptions: Readonly<LockoutOptions> = Object.freeze({
  threshold: 3, budget: 6, durationMs: 60_000, maxDurationMs: 3_600_000, windowMs: 30 * 60_000, maxIdentities: 100_000,
});

/** "familiar", "unfamiliar", or "via ADDRESS" for an app server binding for its users. */
export type Bucket = 'familiar' | 'unfamiliar' | `via ${string}`;
export const viaBucket = (address: string): Bucket => `via ${address}`;

interface Counter {
  failures: number;
  since: number;
  /** Keyed hashes of the last wrong passwords (hex, truncated): a retry of one counts once. */
  tags: string[];
  lockedUntil: number;
  lockouts: number;
}

/** What the directory has seen from bindwall for one identity since its last success. */
interface Budget {
  failures: number;
  last: number;
}

export interface LockoutState {
  identity: string;
  bucket: Bucket | 'all';
  failures: number;
  lockedUntil: number;
  lockouts: number;
}

const MAX_TAGS = 4;

export class SmartLockout {
  readonly #o: LockoutOptions;
  readonly #clock: Clock;
  /**
   * The key of password tags. Random per process, and handed to worker processes (workers/) so
   * that their tags match; it never leaves the host's own processes.
   */
  readonly tagKey: Buffer = randomBytes(32);
  readonly #counters: LruMap<Counter>;
  readonly #budgets: LruMap<Budget>;

  /** Told when an identity is locked out (storage: `bindwall lockouts` reads it there). */
  onLocked: ((s: LockoutState & { since: number }) => void) | undefined;
  /** Buckets this process stored, to tell a release by the CLI from one it never wrote. */
  readonly #written = new Set<string>();

  constructor(o: Partial<LockoutOptions>, clock: Clock) {
    this.#o = { ...defaultLockoutOptions, ...o };
    if (o.budget === undefined) this.#o.budget = 2 * this.#o.threshold;
    this.#clock = clock;
    this.#counters = new LruMap(this.#o.maxIdentities);
    this.#budgets = new LruMap(this.#o.maxIdentities);
  }

  get threshold(): number {
    return this.#o.threshold;
  }

  get budget(): number {
    return this.#o.budget;
  }

  /** The thresholds once the directory's own is known (threat/lockout-threshold.ts). */
  setThreshold(n: number, budget = 2 * n, windowMs = this.#o.windowMs): void {
    this.#o.threshold = Math.max(1, Math.floor(n));
    this.#o.budget = Math.max(1, Math.floor(budget));
    this.#o.windowMs = windowMs;
  }

  /** A keyed hash of a password, to recognise a retry without keeping the password. */
  tag(password: string | Uint8Array): string {
    return passwordTag(this.tagKey, password);
  }

  /** Until when this identity is locked out from this kind of source (0: it is not). */
  lockedUntil(identity: string, bucket: Bucket): number {
    const now = this.#clock.now();
    const c = this.#counters.get(`${bucket}\u0000${identity}`);
    const own = c && c.lockedUntil > now ? c.lockedUntil : 0;
    return Math.max(own, this.#budgetLockedUntil(identity, now));
  }

  /** The whole budget spent: nothing more may reach the directory until it forgets. */
  #budgetLockedUntil(identity: string, now: number): number {
    const b = this.#budgets.get(identity);
    if (!b || b.failures < this.#o.budget) return 0;
    const until = b.last + this.#o.windowMs;
    return until > now ? until : 0;
  }

  /** Any wrong password counted for this identity and bucket within the window (else no retry to recognise)? */
  hasRecentFailures(identity: string, bucket: Bucket): boolean {
    const c = this.#counters.get(`${bucket}\u0000${identity}`);
    return c !== undefined && c.tags.length > 0 && this.#clock.now() - c.since <= this.#o.windowMs;
  }

  /**
   * Was this exact password already wrong for this identity from this kind of source, within
   * the window? (An app retrying a stale password: enforce mode answers it without the directory.)
   */
  repeated(identity: string, bucket: Bucket, tag: string): boolean {
    const c = this.#counters.get(`${bucket}\u0000${identity}`);
    return c !== undefined && this.#clock.now() - c.since <= this.#o.windowMs && c.tags.includes(tag);
  }

  /**
   * Told of each failure counted here and of each success that resets a count, so every node
   * of a fleet (fleet/) counts what the shared directory saw. No password tag is told.
   */
  onCounted: ((identity: string, bucket: Bucket, failed: boolean) => void) | undefined;

  /**
   * Another node's count: a failure there is a distinct wrong password here (its tag stays
   * on the node that hashed it), a success resets the count as the directory did.
   */
  counted(identity: string, bucket: Bucket, failed: boolean, id: string): void {
    if (failed) this.failed(identity, bucket, `remote:${id}`, true);
    else this.succeeded(identity, bucket, true);
  }

  /** A wrong password from this kind of source, which the directory saw; returns the lock's end when this one locked it. */
  failed(identity: string, bucket: Bucket, tag: string, remote = false): number {
    if (!remote) this.onCounted?.(identity, bucket, true);
    const key = `${bucket}\u0000${identity}`;
    const now = this.#clock.now();
    let c = this.#counters.get(key);
    if (!c || (now - c.since > this.#o.windowMs && c.lockedUntil <= now)) {
      c = { failures: 0, since: now, tags: [], lockedUntil: 0, lockouts: c?.lockouts ?? 0 };
    }
    this.#counters.set(key, c);
    // The directory counts every failure it sees, a retry too: the budget spent, every bucket waits.
    let b = this.#budgets.get(identity);
    if (!b || now - b.last > this.#o.windowMs) b = { failures: 0, last: now };
    b.failures++;
    b.last = now;
    this.#budgets.set(identity, b);
    const spent = b.failures === this.#o.budget ? now + this.#o.windowMs : 0;
    if (spent) this.#told(identity, 'all', spent, c.lockouts + 1, now);
    if (c.tags.includes(tag)) return spent; // the same wrong password again: an app retrying
    c.tags.push(tag);
    if (c.tags.length > MAX_TAGS) c.tags.shift();
    c.failures++;
    // The owner's own devices have the budget; other buckets their threshold each.
    if (bucket === 'familiar' || c.failures < this.#o.threshold || c.lockedUntil > now) return spent;
    c.lockedUntil = now + Math.min(this.#o.maxDurationMs, this.#o.durationMs * 2 ** c.lockouts);
    c.lockouts++;
    c.failures = 0;
    c.since = now;
    this.#told(identity, bucket, c.lockedUntil, c.lockouts, now);
    return Math.max(spent, c.lockedUntil);
  }

  #told(identity: string, bucket: Bucket | 'all', lockedUntil: number, lockouts: number, now: number): void {
    if (!this.onLocked) return;
    const key = `${bucket}\u0000${identity}`;
    this.#written.add(key);
    if (this.#written.size > this.#o.maxIdentities) this.#written.delete(this.#written.values().next().value as string);
    this.onLocked({ identity, bucket, failures: this.#o.threshold, lockedUntil, lockouts, since: now });
  }

  /** A right password: the directory's counter is reset, and that bucket starts over (its lockout history stays). */
  succeeded(identity: string, bucket: Bucket, remote = false): void {
    // Only a success that resets something is worth telling the fleet: most binds have no failure behind them.
    if (!remote && this.onCounted && (this.#budgets.has(identity) || (this.#counters.get(`${bucket}\u0000${identity}`)?.failures ?? 0) > 0)) this.onCounted(identity, bucket, false);
    const now = this.#clock.now();
    this.#budgets.delete(identity);
    const key = `${bucket}\u0000${identity}`;
    const c = this.#counters.get(key);
    if (c && c.lockedUntil <= now) this.#counters.set(key, { ...c, failures: 0, tags: [], since: now });
  }

  /**
   * Takes in what storage holds: a lockout stored elsewhere (another run) is adopted; one this
   * process stored that storage no longer has was released (bindwall lockouts release).
   */
  sync(stored: readonly { identity: string; bucket: Bucket | 'all'; lockedUntil: number; lockouts: number }[]): void {
    const now = this.#clock.now();
    const keys = new Set<string>();
    for (const s of stored) {
      const key = `${s.bucket}\u0000${s.identity}`;
      keys.add(key);
      this.#written.add(key);
      if (s.bucket === 'all') {
        const b = this.#budgets.get(s.identity);
        if (!b || b.failures < this.#o.budget) this.#budgets.set(s.identity, { failures: this.#o.budget, last: s.lockedUntil - this.#o.windowMs });
        continue;
      }
      const c = this.#counters.get(key);
      if (!c) this.#counters.set(key, { failures: 0, since: now, tags: [], lockedUntil: s.lockedUntil, lockouts: s.lockouts });
      else if (c.lockedUntil < s.lockedUntil) c.lockedUntil = s.lockedUntil;
    }
    for (const key of [...this.#written]) {
      if (keys.has(key)) continue;
      this.#written.delete(key);
      const [bucket, identity] = key.split('\u0000') as [string, string];
      if (bucket === 'all') {
        if (this.#budgetLockedUntil(identity, now) > 0) this.#budgets.delete(identity);
        continue;
      }
      const c = this.#counters.get(key);
      if (c && c.lockedUntil > now) this.#counters.delete(key);
    }
  }

  /** Identities locked out now. */
  locked(): LockoutState[] {
    const now = this.#clock.now();
    const out: LockoutState[] = [];
    for (const [key, c] of this.#counters.entries()) {
      if (c.lockedUntil <= now) continue;
      const [bucket, identity] = key.split('\u0000') as [Bucket, string];
      out.push({ identity, bucket, failures: c.failures, lockedUntil: c.lockedUntil, lockouts: c.lockouts });
    }
    for (const [identity, b] of this.#budgets.entries()) {
      const until = this.#budgetLockedUntil(identity, now);
      if (until > 0) out.push({ identity, bucket: 'all', failures: b.failures, lockedUntil: until, lockouts: 1 });
    }
    return out;
  }

  /** Lifts an identity's lockouts (every bucket, and the directory budget); true when it was locked. */
  release(identity: string): boolean {
    const now = this.#clock.now();
    let was = this.#budgetLockedUntil(identity, now) > 0;
    this.#budgets.delete(identity);
    for (const [key, c] of [...this.#counters.entries()]) {
      if (!key.endsWith(`\u0000${identity}`)) continue;
      if (c.lockedUntil > now) was = true;
      this.#counters.delete(key);
    }
    return was;
  }
}

/** A keyed hash of a password (smart lockout's retry check): the same key gives the same tag in every process. */
export function passwordTag(key: Buffer, password: string | Uint8Array): string {
  return createHmac('sha256', key).update(password).digest('hex').slice(0, 32);
}
