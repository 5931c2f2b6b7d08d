/** Ids of imported history events, so importing the same file twice changes nothing. */
import type { Db } from './db.js';

export class ImportStore {
  readonly #db: Db;
  // Prepared once: an import asks for every one of its events.
  readonly #has;
  readonly #add;

  constructor(db: Db) {
    this.#db = db;
    this.#has = db.prepare('SELECT 1 FROM imported WHERE id = ?').pluck();
    this.#add = db.readonly ? undefined : db.prepare('INSERT OR IGNORE INTO imported (id, time) VALUES (?, ?)');
  }

  has(id: string): boolean {
    return this.#has.get(id) !== undefined;
  }

  add(entries: readonly { id: string; time: number }[]): void {
    const add = this.#add!;
    this.#db.transaction(() => {
      for (const e of entries) add.run(e.id, e.time);
    })();
  }
}
