/**
 * Smart lockout at the proxy (after Microsoft Entra's): failed binds are counted per identity
 * and per kind of source — one the identity is known to use (familiar) or not — and past the
 * threshold that bucket is locked at the proxy, for a minute first and longer on repeats,
 * before the directory's own lockout threshold is reached. The owner at a familiar device
 * keeps working while an attacker's unfamiliar sources are locked out. The same wrong
 * password retried (an app retrying) counts once: only a keyed hash of the last few wrong
 * passwords is kept, with a per-process random key, in memory, never stored or logged.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../util/clock.js';
import { LruMap } from '../util/lru.js';

export interface LockoutOptions {
  /** Failed binds (distinct wrong passwords) per identity and bucket before it is locked. */
  threshold: number;
  /** The first lockout; each repeat doubles it, up to maxDurationMs. */
  durationMs: number;
  maxDurationMs: number;
  /** Failures older than this are forgotten. */
  windowMs: number;
  maxIdentities: number;
}

export const defaultLockoutOptions: Readonly<LockoutOptions> = Object.freeze({
  threshold: 3, durationMs: 60_000, maxDurationMs: 3_600_000, windowMs: 30 * 60_000, maxIdentities: 100_000,
});

export type Bucket = 'familiar' | 'unfamiliar';

interface Counter {
  failures: number;
  since: number;
  /** Keyed hashes of the last wrong passwords (hex, truncated): a retry of one counts once. */
  tags: string[];
  lockedUntil: number;
  lockouts: number;
}

export interface LockoutState {
  identity: string;
  bucket: Bucket;
  failures: number;
  lockedUntil: number;
  lockouts: number;
}

const MAX_TAGS = 4;

export class SmartLockout {
  readonly #o: LockoutOptions;
  readonly #clock: Clock;
  readonly #key = randomBytes(32);
  readonly #counters: LruMap<Counter>;

  /** Told when an identity is locked out (storage: `bindwall lockouts` reads it there). */
  onLocked: ((s: LockoutState & { since: number }) => void) | undefined;
  /** Buckets this process stored, to tell a release by the CLI from one it never wrote. */
  readonly #written = new Set<string>();

  constructor(o: Partial<LockoutOptions>, clock: Clock) {
    this.#o = { ...defaultLockoutOptions, ...o };
    this.#clock = clock;
    this.#counters = new LruMap(this.#o.maxIdentities);
  }

  get threshold(): number {
    return this.#o.threshold;
  }

  /** The threshold once the directory's own is known (threat/lockout-threshold.ts). */
  setThreshold(n: number): void {
    this.#o.threshold = Math.max(1, Math.floor(n));
  }

  /** A keyed hash of a password, to recognise a retry without keeping the password. */
  tag(password: string | Uint8Array): string {
    return createHmac('sha256', this.#key).update(password).digest('hex').slice(0, 32);
  }

  /** Until when this identity is locked out from this kind of source (0: it is not). */
  lockedUntil(identity: string, bucket: Bucket): number {
    const c = this.#counters.get(`${bucket}\u0000${identity}`);
    const now = this.#clock.now();
    return c && c.lockedUntil > now ? c.lockedUntil : 0;
  }

  /**
   * Was this exact password already wrong for this identity from this kind of source, within
   * the window? (An app retrying a stale password: enforce mode answers it without the directory.)
   */
  repeated(identity: string, bucket: Bucket, tag: string): boolean {
    const c = this.#counters.get(`${bucket}\u0000${identity}`);
    return c !== undefined && this.#clock.now() - c.since <= this.#o.windowMs && c.tags.includes(tag);
  }

  /** A wrong password from this kind of source; returns the lock's end when this one locked it. */
  failed(identity: string, bucket: Bucket, tag: string): number {
    const key = `${bucket}\u0000${identity}`;
    const now = this.#clock.now();
    let c = this.#counters.get(key);
    if (!c || (now - c.since > this.#o.windowMs && c.lockedUntil <= now)) {
      c = { failures: 0, since: now, tags: [], lockedUntil: 0, lockouts: c?.lockouts ?? 0 };
    }
    this.#counters.set(key, c);
    if (c.tags.includes(tag)) return 0; // the same wrong password again: an app retrying
    c.tags.push(tag);
    if (c.tags.length > MAX_TAGS) c.tags.shift();
    c.failures++;
    if (c.failures < this.#o.threshold || c.lockedUntil > now) return 0;
    c.lockedUntil = now + Math.min(this.#o.maxDurationMs, this.#o.durationMs * 2 ** c.lockouts);
    c.lockouts++;
    c.failures = 0;
    c.since = now;
    if (this.onLocked) {
      this.#written.add(key);
      if (this.#written.size > this.#o.maxIdentities) this.#written.delete(this.#written.values().next().value as string);
      this.onLocked({ identity, bucket, failures: this.#o.threshold, lockedUntil: c.lockedUntil, lockouts: c.lockouts, since: now });
    }
    return c.lockedUntil;
  }

  /** A right password: that bucket starts over (its lockout history stays for the next). */
  succeeded(identity: string, bucket: Bucket): void {
    const key = `${bucket}\u0000${identity}`;
    const c = this.#counters.get(key);
    if (c && c.lockedUntil <= this.#clock.now()) this.#counters.set(key, { ...c, failures: 0, tags: [], since: this.#clock.now() });
  }

  /**
   * Takes in what storage holds: a lockout stored elsewhere (another run) is adopted; one this
   * process stored that storage no longer has was released (bindwall lockouts release).
   */
  sync(stored: readonly { identity: string; bucket: Bucket; lockedUntil: number; lockouts: number }[]): void {
    const now = this.#clock.now();
    const keys = new Set<string>();
    for (const s of stored) {
      const key = `${s.bucket}\u0000${s.identity}`;
      keys.add(key);
      const c = this.#counters.get(key);
      if (!c) this.#counters.set(key, { failures: 0, since: now, tags: [], lockedUntil: s.lockedUntil, lockouts: s.lockouts });
      else if (c.lockedUntil < s.lockedUntil) c.lockedUntil = s.lockedUntil;
      this.#written.add(key);
    }
    for (const key of [...this.#written]) {
      if (keys.has(key)) continue;
      this.#written.delete(key);
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
    return out;
  }

  /** Lifts an identity's lockouts (both buckets); true when it was locked. */
  release(identity: string): boolean {
    let was = false;
    for (const bucket of ['familiar', 'unfamiliar'] as const) {
      const key = `${bucket}\u0000${identity}`;
      const c = this.#counters.get(key);
      if (c && c.lockedUntil > this.#clock.now()) was = true;
      this.#counters.delete(key);
    }
    return was;
  }
}
