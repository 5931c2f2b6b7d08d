/** Ids of imported history events, so importing the same file twice changes nothing. */
import type { Db } from './db.js';

export class ImportStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  has(id: string): boolean {
    return this.#db.prepare('SELECT 1 FROM imported WHERE id = ?').pluck().get(id) !== undefined;
  }

  add(entries: readonly { id: string; time: number }[]): void {
    this.#db.transaction(() => {
      const stmt = this.#db.prepare('INSERT OR IGNORE INTO imported (id, time) VALUES (?, ?)');
      for (const e of entries) stmt.run(e.id, e.time);
    })();
  }
}
