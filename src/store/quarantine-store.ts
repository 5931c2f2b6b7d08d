/** Quarantined accounts, kept in the same database as behaviour (one row per account). */
import { durably, type Db } from './db.js';
import type { FleetOutbox } from './fleet-outbox.js';

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

/**
 * A quarantine change as the fleet shares it: the row in force, or its release; `changedAt`
 * (the deciding node's clock) orders changes to one account, the latest wins.
 */
export interface QuarantineChange {
  account: string;
  row: QuarantineRow | null;
  changedAt: number;
}

export const QUARANTINE_KIND = 'quarantine';

export class QuarantineStore {
  readonly #db: Db;
  readonly #outbox: FleetOutbox | undefined;

  /** With an outbox (fleet mode), every change is also queued for the fleet, in the same transaction. */
  constructor(db: Db, opts: { outbox?: FleetOutbox | undefined } = {}) {
    this.#db = db;
    this.#outbox = opts.outbox;
  }

  /** Quarantine changes are committed power-loss durable, like incidents. */
  put(row: QuarantineRow, changedAt = row.since): void {
    durably(this.#db, () => {
      this.#write(row);
      this.#outbox?.add(QUARANTINE_KIND, row.account, { account: row.account, row, changedAt } satisfies QuarantineChange, changedAt);
    });
  }

  remove(account: string, changedAt: number): boolean {
    return durably(this.#db, () => {
      const had = this.#delete(account);
      this.#outbox?.add(QUARANTINE_KIND, account, { account, row: null, changedAt } satisfies QuarantineChange, changedAt);
      return had;
    });
  }

  /** A change from another node: written here, not queued again. */
  apply(change: QuarantineChange): void {
    durably(this.#db, () => (change.row ? this.#write(change.row) : this.#delete(change.account)));
  }

  #delete(account: string): boolean {
    return this.#db.prepare('DELETE FROM quarantine WHERE account = ?').run(account).changes > 0;
  }

  #write(row: QuarantineRow): void {
    this.#db.prepare(`INSERT INTO quarantine (account, since, until, reason, source, release_on, incident_id) VALUES (@account, @since, @until, @reason, @source, @releaseOn, @incidentId)
      ON CONFLICT(account) DO UPDATE SET since = excluded.since, until = excluded.until, reason = excluded.reason, source = excluded.source,
        release_on = excluded.release_on, incident_id = excluded.incident_id`).run({ ...row, releaseOn: row.releaseOn ?? 'analyst', incidentId: row.incidentId ?? null });
  }

  get(account: string): QuarantineRow | undefined {
    return this.#db.prepare('SELECT account, since, until, reason, source, release_on AS releaseOn, incident_id AS incidentId FROM quarantine WHERE account = ?').get(account) as QuarantineRow | undefined;
  }

  /** Quarantines still in force at `now`. */
  active(now: number): QuarantineRow[] {
    return this.#db.prepare('SELECT account, since, until, reason, source, release_on AS releaseOn, incident_id AS incidentId FROM quarantine WHERE until IS NULL OR until > ? ORDER BY since').all(now) as QuarantineRow[];
  }
}
