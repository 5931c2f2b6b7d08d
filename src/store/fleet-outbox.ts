/**
 * Fleet mode's local half (fleet/): changes this node made that PostgreSQL has not taken yet,
 * written in the same SQLite transaction as the change itself, so a change is never lost
 * between the two stores, whether the database is down or the process dies. And, per kind
 * of record, how far this node has read the fleet's changes (PostgreSQL's sequence number).
 */
import type { Db } from './db.js';

/**
 * JSON that PostgreSQL takes: its text and jsonb refuse NUL, which a client's bind name may
 * carry. A NUL becomes U+FFFD, in the keys and the data alike.
 */
export function pgJson(value: unknown): string {
  // The escape \u0000, not a literal backslash followed by "u0000" (an odd run of backslashes before it).
  return JSON.stringify(value).replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd');
}

export interface OutboxEntry {
  id: number;
  kind: string;
  key: string;
  /** The change as JSON (the kind's own shape). */
  data: string;
  time: number;
}

export class FleetOutbox {
  readonly #db: Db;
  readonly #add;
  readonly #peek;
  readonly #done;
  readonly #pending;
  readonly #size;
  readonly #cursor;
  readonly #setCursor;

  constructor(db: Db) {
    this.#db = db;
    this.#add = db.prepare('INSERT INTO fleet_outbox (kind, key, data, time) VALUES (?, ?, ?, ?)');
    this.#peek = db.prepare('SELECT id, kind, key, data, time FROM fleet_outbox ORDER BY id LIMIT ?');
    this.#done = db.prepare('DELETE FROM fleet_outbox WHERE id = ?');
    this.#pending = db.prepare('SELECT 1 FROM fleet_outbox WHERE kind = ? AND key = ? LIMIT 1').pluck();
    this.#size = db.prepare('SELECT COUNT(*) FROM fleet_outbox').pluck();
    this.#cursor = db.prepare('SELECT seq FROM fleet_cursor WHERE kind = ?').pluck();
    this.#setCursor = db.prepare('INSERT INTO fleet_cursor (kind, seq) VALUES (?, ?) ON CONFLICT(kind) DO UPDATE SET seq = MAX(seq, excluded.seq)');
  }

  /** Call inside the transaction that makes the change. */
  add(kind: string, key: string, change: unknown, time: number): void {
    this.#add.run(kind, key.replaceAll('\u0000', '\ufffd'), pgJson(change), time);
  }

  /** The oldest entries first: replayed in the order they were made. */
  peek(limit: number): OutboxEntry[] {
    return this.#peek.all(limit) as OutboxEntry[];
  }

  done(id: number): void {
    this.#done.run(id);
  }

  /** A change of this node to `key` still waits: what the fleet says of it now is older. */
  pending(kind: string, key: string): boolean {
    return this.#pending.get(kind, key) !== undefined;
  }

  size(): number {
    return this.#size.get() as number;
  }

  cursor(kind: string): number {
    return (this.#cursor.get(kind) as number | undefined) ?? 0;
  }

  setCursor(kind: string, seq: number): void {
    this.#setCursor.run(kind, seq);
  }

  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }
}

/**
 * The outbox for a store that belongs to a fleet: configured with storage.postgres, or
 * having read the fleet's changes before (a command given only --db on a node's store).
 * A change made there by the CLI must reach the other nodes like one made by the node.
 */
export function fleetOutboxFor(db: Db, fleet: boolean): FleetOutbox | undefined {
  if (fleet) return new FleetOutbox(db);
  // A writable store is migrated on open: the table is there.
  return db.prepare('SELECT 1 FROM fleet_cursor LIMIT 1').get() !== undefined ? new FleetOutbox(db) : undefined;
}
