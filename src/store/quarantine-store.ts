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
  /** analyst: only `bindwall quarantine release` ends it; verified: so does the person passing a step-up. */
  releaseOn?: 'analyst' | 'verified';
  /** The incident whose response put it there. */
  incidentId?: number | null;
}

export class QuarantineStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Quarantine changes are committed power-loss durable, like incidents. */
  put(row: QuarantineRow): void {
    durably(this.#db, () => this.#db.prepare(`INSERT INTO quarantine (account, since, until, reason, source, release_on, incident_id) VALUES (@account, @since, @until, @reason, @source, @releaseOn, @incidentId)
      ON CONFLICT(account) DO UPDATE SET since = excluded.since, until = excluded.until, reason = excluded.reason, source = excluded.source,
        release_on = excluded.release_on, incident_id = excluded.incident_id`).run({ ...row, releaseOn: row.releaseOn ?? 'analyst', incidentId: row.incidentId ?? null }));
  }

  remove(account: string): boolean {
    return durably(this.#db, () => this.#db.prepare('DELETE FROM quarantine WHERE account = ?').run(account).changes > 0);
  }

  get(account: string): QuarantineRow | undefined {
    return this.#db.prepare('SELECT account, since, until, reason, source, release_on AS releaseOn, incident_id AS incidentId FROM quarantine WHERE account = ?').get(account) as QuarantineRow | undefined;
  }

  /** Quarantines still in force at `now`. */
  active(now: number): QuarantineRow[] {
    return this.#db.prepare('SELECT account, since, until, reason, source, release_on AS releaseOn, incident_id AS incidentId FROM quarantine WHERE until IS NULL OR until > ? ORDER BY since').all(now) as QuarantineRow[];
  }
}
