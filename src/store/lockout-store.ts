/** Smart-lockout state, in the behaviour database: `bindwall lockouts` lists and releases it; a running proxy syncs. */
import type { Bucket, LockoutState } from '../threat/lockout.js';
import type { Db } from './db.js';
import type { FleetOutbox } from './fleet-outbox.js';

interface Row {
  identity: string;
  bucket: string;
  locked_until: number;
  lockouts: number;
  since: number;
}

export interface StoredLockout extends Omit<LockoutState, 'failures'> {
  since: number;
}

const toState = (r: Row): StoredLockout => ({ identity: r.identity, bucket: r.bucket as Bucket, lockedUntil: r.locked_until, lockouts: r.lockouts, since: r.since });

export const LOCKOUT_RELEASE_KIND = 'lockout-release';

export class LockoutStore {
  readonly #db: Db;
  readonly #outbox: FleetOutbox | undefined;

  /** With an outbox (fleet mode; `bindwall lockouts release` on a node's store), a release also goes to the fleet. */
  constructor(db: Db, opts: { outbox?: FleetOutbox | undefined } = {}) {
    this.#db = db;
    this.#outbox = opts.outbox;
  }

  put(s: StoredLockout): void {
    this.#db.prepare(`INSERT INTO lockouts (identity, bucket, locked_until, lockouts, since) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(identity, bucket) DO UPDATE SET locked_until = excluded.locked_until, lockouts = excluded.lockouts, since = excluded.since`)
      .run(s.identity, s.bucket, s.lockedUntil, s.lockouts, s.since);
  }

  /** Lifts an identity's lockouts (both buckets); true when one was in force. */
  release(identity: string, now: number, remote = false): boolean {
    return this.#db.transaction(() => {
      const live = this.#db.prepare('SELECT COUNT(*) AS n FROM lockouts WHERE identity = ? AND locked_until > ?').get(identity, now) as { n: number };
      this.#db.prepare('DELETE FROM lockouts WHERE identity = ?').run(identity);
      if (!remote) this.#outbox?.add(LOCKOUT_RELEASE_KIND, identity, { identity, changedAt: now }, now);
      return live.n > 0;
    })();
  }

  /** Lockouts in force at `now` (optionally one identity's), read only (for readonly storage). */
  list(now: number, identity?: string): StoredLockout[] {
    const rows = identity === undefined
      ? this.#db.prepare('SELECT * FROM lockouts WHERE locked_until > ? ORDER BY locked_until DESC').all(now) as Row[]
      : this.#db.prepare('SELECT * FROM lockouts WHERE identity = ? AND locked_until > ?').all(identity, now) as Row[];
    return rows.map(toState);
  }

  /** Lockouts in force at `now` (optionally one identity's), and forgets the ended ones. */
  active(now: number, identity?: string): StoredLockout[] {
    this.#db.prepare('DELETE FROM lockouts WHERE locked_until <= ?').run(now);
    const rows = identity === undefined
      ? this.#db.prepare('SELECT * FROM lockouts ORDER BY locked_until DESC').all() as Row[]
      : this.#db.prepare('SELECT * FROM lockouts WHERE identity = ? ORDER BY locked_until DESC').all(identity) as Row[];
    return rows.map(toState);
  }
}
