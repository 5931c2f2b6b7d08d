/** Quarantined accounts, kept in the same database as behaviour (one row per account). */
import { durably, type Db } from './db.js';

export interface QuarantineRow {
  account: string;
  since: number;
  /** Clock time the quarantine ends; null until released. */
  until: number | null;
  reason: string;
  /** Who put it there: "cli", a rule id, a report … */
  source: string;
}

export class QuarantineStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Quarantine changes are committed power-loss durable, like incidents. */
  put(row: QuarantineRow): void {
    durably(this.#db, () => this.#db.prepare(`INSERT INTO quarantine (account, since, until, reason, source) VALUES (@account, @since, @until, @reason, @source)
      ON CONFLICT(account) DO UPDATE SET since = excluded.since, until = excluded.until, reason = excluded.reason, source = excluded.source`).run(row));
  }

  remove(account: string): boolean {
    return durably(this.#db, () => this.#db.prepare('DELETE FROM quarantine WHERE account = ?').run(account).changes > 0);
  }

  /** Quarantines still in force at `now`. */
  active(now: number): QuarantineRow[] {
    return this.#db.prepare('SELECT account, since, until, reason, source FROM quarantine WHERE until IS NULL OR until > ? ORDER BY since').all(now) as QuarantineRow[];
  }
}
