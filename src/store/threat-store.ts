/** Threat-pool entries, in the behaviour database: the CLI lists, adds and releases them; a running proxy syncs. */
import type { ThreatEntry, ThreatKind, ThreatLevel } from '../threat/pool.js';
import type { Db } from './db.js';
import type { FleetOutbox } from './fleet-outbox.js';

interface Row {
  key: string;
  level: string;
  reasons: string;
  since: number;
  updated: number;
  expires: number;
  exempt: string | null;
  manual: number;
  blocked: number;
  kinds: string | null;
}

const toEntry = (r: Row): ThreatEntry => ({
  key: r.key, level: r.level as ThreatLevel, reasons: JSON.parse(r.reasons) as string[], since: r.since, updated: r.updated, expires: r.expires,
  ...(r.exempt ? { exempt: r.exempt } : {}), ...(r.manual ? { manual: true } : {}), ...(r.blocked ? { blocked: r.blocked } : {}),
  ...(r.kinds ? { kinds: JSON.parse(r.kinds) as ThreatKind[] } : {}),
});

export const THREAT_ENTRY_KIND = 'threat-entry';

/** An administrator's change to the pool, as the fleet shares it: an entry added, or one released. */
export interface ThreatChange {
  key: string;
  entry: ThreatEntry | null;
  changedAt: number;
}

export class ThreatStore {
  readonly #db: Db;
  readonly #outbox: FleetOutbox | undefined;

  /**
   * With an outbox (fleet mode; `bindwall threats` on a node's store), an administrator's add
   * or release also goes to the fleet. The pool's own entries are not sent: every node counts
   * the same observations (fleet/streams.ts) and raises them itself.
   */
  constructor(db: Db, opts: { outbox?: FleetOutbox | undefined } = {}) {
    this.#db = db;
    this.#outbox = opts.outbox;
  }

  put(e: ThreatEntry): void {
    this.#db.transaction(() => {
      this.#put(e);
      this.#outbox?.add(THREAT_ENTRY_KIND, e.key, { key: e.key, entry: e, changedAt: e.updated } satisfies ThreatChange, e.updated);
    })();
  }

  /** Another node's change (fleet mode): written here, not sent again. */
  apply(c: ThreatChange): void {
    if (c.entry) this.#put(c.entry);
    else this.#remove(c.key);
  }

  #put(e: ThreatEntry): void {
    this.#db.prepare(`INSERT INTO threats (key, level, reasons, since, updated, expires, exempt, manual, blocked, kinds) VALUES (@key, @level, @reasons, @since, @updated, @expires, @exempt, @manual, @blocked, @kinds)
      ON CONFLICT(key) DO UPDATE SET level = excluded.level, reasons = excluded.reasons, since = excluded.since, updated = excluded.updated,
        expires = excluded.expires, exempt = excluded.exempt, manual = excluded.manual, blocked = MAX(threats.blocked, excluded.blocked), kinds = excluded.kinds`)
      .run({ key: e.key, level: e.level, reasons: JSON.stringify(e.reasons), since: e.since, updated: e.updated, expires: e.expires, exempt: e.exempt ?? null, manual: e.manual ? 1 : 0, blocked: e.blocked ?? 0, kinds: e.kinds ? JSON.stringify(e.kinds) : null });
  }

  remove(key: string, changedAt: number): boolean {
    return this.#db.transaction(() => {
      const had = this.#remove(key);
      this.#outbox?.add(THREAT_ENTRY_KIND, key, { key, entry: null, changedAt } satisfies ThreatChange, changedAt);
      return had;
    })();
  }

  #remove(key: string): boolean {
    return this.#db.prepare('DELETE FROM threats WHERE key = ?').run(key).changes > 0;
  }

  get(key: string, now: number): ThreatEntry | undefined {
    const r = this.#db.prepare('SELECT * FROM threats WHERE key = ? AND expires > ?').get(key, now) as Row | undefined;
    return r ? toEntry(r) : undefined;
  }

  /** Entries in force at `now`, and forgets the expired ones. */
  active(now: number): ThreatEntry[] {
    this.#db.prepare('DELETE FROM threats WHERE expires <= ?').run(now);
    return (this.#db.prepare('SELECT * FROM threats ORDER BY updated DESC').all() as Row[]).map(toEntry);
  }
}
