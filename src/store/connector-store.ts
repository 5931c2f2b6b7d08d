/**
 * Connectors' state in the behaviour database: the cursor to resume from (written with the
 * ids of the page's events, in one transaction, after each page), the health the running
 * process reports (`bindwall connectors` reads it), and a bounded set of event ids already
 * taken in, so an event delivered twice (a page re-read after a crash, an event hook and the
 * poll) is learned once.
 */
import type { ConnectorHealth } from '../connectors/health.js';
import type { Db } from './db.js';
import type { FleetOutbox } from './fleet-outbox.js';

export const CONNECTOR_KIND = 'connector';

/** A page a connector took in, as the fleet shares it. */
export interface ConnectorPage {
  name: string;
  origin: string;
  cursor: string;
  events: readonly { uuid: string; time: number }[];
  /** The polling node's health (every node's `bindwall connectors` shows it). */
  health: ConnectorHealth;
}

export class ConnectorStore {
  readonly #db: Db;
  readonly #maxSeen: number;
  // Prepared once, for every page; absent on storage written by an older bindwall (schema < 8).
  readonly #seen;
  readonly #addSeen;

  readonly #outbox: FleetOutbox | undefined;

  /** With an outbox (fleet mode), each page's cursor and event ids also go to the fleet: another node resumes where this one stopped. */
  constructor(db: Db, maxSeen = 200_000, opts: { outbox?: FleetOutbox | undefined } = {}) {
    this.#db = db;
    this.#maxSeen = maxSeen;
    this.#outbox = opts.outbox;
    const current = (db.pragma('user_version', { simple: true }) as number) >= 8;
    this.#seen = current ? db.prepare('SELECT 1 FROM connector_seen WHERE connector = ? AND uuid = ?').pluck() : undefined;
    this.#addSeen = current && !db.readonly ? db.prepare('INSERT OR IGNORE INTO connector_seen (connector, uuid, time) VALUES (?, ?, ?)') : undefined;
  }

  /** The saved cursor, if it was saved for this origin (a connector pointed at another org starts over). */
  cursor(name: string, origin: string): string | undefined {
    const r = this.#db.prepare('SELECT cursor, origin FROM connectors WHERE name = ?').get(name) as { cursor: string | null; origin: string | null } | undefined;
    return r?.cursor && r.origin === origin ? r.cursor : undefined;
  }

  /** Which of these ids were taken in before. */
  seen(name: string, uuids: readonly string[]): Set<string> {
    const out = new Set<string>();
    for (const u of uuids) if (this.#seen!.get(name, u) !== undefined) out.add(u);
    return out;
  }

  /** After a page: its events' ids and the cursor for the next one, together. */
  savePage(name: string, origin: string, cursor: string, events: readonly { uuid: string; time: number }[], health: ConnectorHealth): void {
    this.#db.transaction(() => {
      this.#page(name, origin, cursor, events, health);
      this.#outbox?.add(CONNECTOR_KIND, name, { name, origin, cursor, events, health } satisfies ConnectorPage, health.updated);
    })();
  }

  /** Another node's page (fleet mode): where to resume, and what was taken in. */
  applyPage(p: ConnectorPage): void {
    this.#db.transaction(() => this.#page(p.name, p.origin, p.cursor, p.events, p.health))();
  }

  /** Inside the caller's transaction. */
  #page(name: string, origin: string, cursor: string, events: readonly { uuid: string; time: number }[], health: ConnectorHealth): void {
    for (const e of events) this.#addSeen!.run(name, e.uuid, e.time);
    this.#db.prepare(`INSERT INTO connectors (name, cursor, origin, health, updated) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(name) DO UPDATE SET cursor = excluded.cursor, origin = excluded.origin, health = excluded.health, updated = excluded.updated`)
      .run(name, cursor, origin, JSON.stringify(health), health.updated);
    const n = (this.#db.prepare('SELECT COUNT(*) FROM connector_seen WHERE connector = ?').pluck().get(name) as number);
    if (n > this.#maxSeen) {
      this.#db.prepare(`DELETE FROM connector_seen WHERE connector = ? AND time <= (SELECT time FROM connector_seen WHERE connector = ? ORDER BY time LIMIT 1 OFFSET ?)`)
        .run(name, name, n - this.#maxSeen);
    }
  }

  /** Ids taken in outside a page (an event hook's batch). */
  markSeen(name: string, events: readonly { uuid: string; time: number }[]): void {
    if (events.length === 0) return;
    this.#db.transaction(() => {
      for (const e of events) this.#addSeen!.run(name, e.uuid, e.time);
    })();
  }

  saveHealth(h: ConnectorHealth): void {
    this.#db.prepare(`INSERT INTO connectors (name, health, updated) VALUES (?, ?, ?)
      ON CONFLICT(name) DO UPDATE SET health = excluded.health, updated = excluded.updated`).run(h.name, JSON.stringify(h), h.updated);
  }

  saveFacts(account: string, facts: object, now: number): void {
    this.#db.prepare('INSERT INTO cloud_facts (account, data, updated) VALUES (?, ?, ?) ON CONFLICT(account) DO UPDATE SET data = excluded.data, updated = excluded.updated')
      .run(account, JSON.stringify(facts), now);
  }

  /** What the connector last read of a person in Okta (readonly storage works: a plain read). */
  facts<T>(account: string): T | undefined {
    if ((this.#db.pragma('user_version', { simple: true }) as number) < 10) return undefined;
    const data = this.#db.prepare('SELECT data FROM cloud_facts WHERE account = ?').pluck().get(account) as string | undefined;
    return data ? (JSON.parse(data) as T) : undefined;
  }

  health(): ConnectorHealth[] {
    return (this.#db.prepare('SELECT health FROM connectors ORDER BY name').pluck().all() as string[]).map((h) => JSON.parse(h) as ConnectorHealth);
  }
}
