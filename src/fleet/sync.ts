/**
 * A node's link to the fleet (README.md here): pushes this node's outbox to PostgreSQL in
 * order, listens for the other nodes' changes and applies them, and re-reads what it may
 * have missed every `reloadMs`. PostgreSQL being down never stops the node: changes wait in
 * the outbox, the node decides from what it has, and everything is caught up on return.
 */
import type pg from 'pg';
import type { PostgresConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { ErrorCode } from '../errors.js';
import type { FleetOutbox } from '../store/fleet-outbox.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { ReplicatedKind } from './kinds.js';
import { describePgError, openClient, openPool } from './postgres.js';
import { LOCK_PUSH, LOCK_SPACE, migratePg } from './schema.js';

export const FLEET_CHANNEL = 'bindwall_fleet';

/** How often the outbox is looked at: a change made by the CLI on this node's store waits at most this. */
const PUSH_EVERY_MS = 100;
/** Outbox entries per push transaction, and records per pull query. */
const BATCH = 500;
/** Reconnecting after a failure: from half a second, doubling, to this. */
const MAX_BACKOFF_MS = 15_000;
/** The loud error about the database is repeated at most this often while it lasts. */
const COMPLAIN_EVERY_MS = 60_000;

export interface FleetStatus {
  node: string;
  /** The database answered the last statement (and the schema is migrated). */
  connected: boolean;
  /** Notifications arrive (LISTEN is up); without it, changes arrive with the reload. */
  listening: boolean;
  /** This node's changes not yet in PostgreSQL. */
  outbox: number;
  /** Changes from other nodes applied since start. */
  applied: number;
  lastError?: string;
  /** Clock time the database last answered. */
  lastContactAt?: number;
}

export interface FleetSyncOptions {
  config: PostgresConfig;
  outbox: FleetOutbox;
  kinds: readonly ReplicatedKind[];
  clock: Clock;
  log: Logger;
}

export class FleetSync {
  readonly #o: FleetSyncOptions;
  readonly #kinds: Map<string, ReplicatedKind>;
  #pool: pg.Pool | undefined;
  #listener: pg.Client | undefined;
  #connected = false;
  #listening = false;
  #failures = 0;
  #retryAt = 0;
  #lastComplaint = -Infinity;
  #lastError: string | undefined;
  #lastContactAt: number | undefined;
  #reloadAt = 0;
  /** Kinds a notification (or a reconnect) asked to be read now. */
  readonly #wanted = new Set<string>();
  #applied = 0;
  #busy = false;
  #timer: TimerHandle | undefined;
  #stopped = false;
  /** Waiters for the next completed round (tests and shutdown). */
  #rounds: (() => void)[] = [];

  constructor(o: FleetSyncOptions) {
    this.#o = o;
    this.#kinds = new Map(o.kinds.map((k) => [k.kind, k]));
  }

  start(): void {
    this.#schedule(0);
  }

  status(): FleetStatus {
    let outbox = -1;
    try {
      outbox = this.#o.outbox.size();
    } catch { /* reported as -1: the local store is failing, which its own checks say */ }
    return {
      node: this.#o.config.node, connected: this.#connected, listening: this.#listening, outbox, applied: this.#applied,
      ...(this.#lastError ? { lastError: this.#lastError } : {}), ...(this.#lastContactAt !== undefined ? { lastContactAt: this.#lastContactAt } : {}),
    };
  }

  /** Resolves after the next full round (push, then the pulls due). */
  nextRound(): Promise<void> {
    return new Promise((resolve) => {
      this.#rounds.push(resolve);
      this.#schedule(0);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    // A last push: what was changed just before a restart should not wait for the next start.
    if (this.#connected && !this.#busy) await this.#push().catch(() => undefined);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
    await this.#pool?.end().catch(() => undefined);
    for (const r of this.#rounds.splice(0)) r();
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer?.cancel();
    this.#timer = this.#o.clock.setTimer(delayMs, () => void this.#round());
  }

  async #round(): Promise<void> {
    if (this.#busy || this.#stopped) return;
    this.#busy = true;
    try {
      const now = this.#o.clock.now();
      if (!this.#connected && now >= this.#retryAt) await this.#connect();
      if (this.#connected) {
        if (!this.#listening && now >= this.#retryAt) await this.#listen();
        await this.#push();
        if (now >= this.#reloadAt) {
          for (const k of this.#kinds.keys()) this.#wanted.add(k);
          this.#reloadAt = now + this.#o.config.reloadMs;
        }
        for (const kind of [...this.#wanted]) {
          this.#wanted.delete(kind);
          await this.#pull(kind);
        }
        this.#failures = 0;
      }
    } catch (err) {
      this.#down(err);
    } finally {
      this.#busy = false;
      if (this.#connected || this.#o.clock.now() >= this.#retryAt) for (const r of this.#rounds.splice(0)) r();
      this.#schedule(this.#wanted.size ? 0 : PUSH_EVERY_MS);
    }
  }

  async #connect(): Promise<void> {
    this.#pool ??= openPool(this.#o.config);
    await migratePg(this.#pool);
    const wasDown = this.#lastError !== undefined;
    this.#connected = true;
    this.#contact();
    for (const k of this.#kinds.keys()) this.#wanted.add(k);
    const queued = this.#o.outbox.size();
    if (wasDown) this.#o.log.warn({ event: 'fleet_restored', node: this.#o.config.node, outbox: queued }, `fleet database reachable again; replaying ${queued} queued change(s)`);
    else this.#o.log.info({ event: 'fleet_connected', node: this.#o.config.node, outbox: queued }, 'connected to the fleet database');
    this.#lastError = undefined;
  }

  async #listen(): Promise<void> {
    const client = openClient(this.#o.config);
    const lost = (): void => {
      if (this.#listener !== client) return;
      this.#listener = undefined;
      this.#listening = false;
      client.end().catch(() => undefined);
      this.#schedule(0);
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (n) => {
      if (n.channel !== FLEET_CHANNEL) return;
      if (n.payload && this.#kinds.has(n.payload)) this.#wanted.add(n.payload);
      this.#schedule(0);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${FLEET_CHANNEL}`);
    } catch (err) {
      client.removeAllListeners();
      await client.end().catch(() => undefined);
      throw err;
    }
    this.#listener = client;
    this.#listening = true;
    // Whatever was notified while nobody listened is read now.
    for (const k of this.#kinds.keys()) this.#wanted.add(k);
  }

  /** Outbox entries in order, each batch in one transaction; deleted here only once committed there. */
  async #push(): Promise<void> {
    for (;;) {
      const entries = this.#o.outbox.peek(BATCH);
      if (!entries.length) return;
      const client = await this.#pool!.connect();
      const kinds = new Set<string>();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, LOCK_PUSH]);
        for (const e of entries) {
          const changedAt = e.time;
          // The latest change wins: a change replayed late from an outbox does not undo a newer one.
          await client.query(
            `INSERT INTO fleet_records (kind, key, data, changed_at, node, seq) VALUES ($1, $2, $3::jsonb, $4, $5, nextval('fleet_seq'))
             ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data, changed_at = excluded.changed_at, node = excluded.node, seq = excluded.seq
             WHERE fleet_records.changed_at <= excluded.changed_at`,
            [e.kind, e.key, e.data, changedAt, this.#o.config.node],
          );
          kinds.add(e.kind);
        }
        for (const k of kinds) await client.query('SELECT pg_notify($1, $2)', [FLEET_CHANNEL, k]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
      this.#contact();
      this.#o.outbox.transaction(() => { for (const e of entries) this.#o.outbox.done(e.id); });
      // The entries may have been written by a command on this node's store (bindwall
      // quarantine add): this node's own views read the store again, as the fleet's do.
      for (const k of kinds) this.#kinds.get(k)?.applied?.();
      if (entries.length < BATCH) return;
    }
  }

  /** The kind's changes past this node's cursor, in sequence order. */
  async #pull(kind: string): Promise<void> {
    const k = this.#kinds.get(kind);
    if (!k) return;
    let changed = false;
    for (;;) {
      const since = this.#o.outbox.cursor(kind);
      const r = await this.#pool!.query<{ key: string; data: unknown; node: string; seq: string }>(
        'SELECT key, data, node, seq FROM fleet_records WHERE kind = $1 AND seq > $2 ORDER BY seq LIMIT $3', [kind, since, BATCH]);
      this.#contact();
      if (!r.rows.length) break;
      this.#o.outbox.transaction(() => {
        for (const row of r.rows) {
          // Our own change, or one of ours still waiting (newer than what the fleet has): nothing to apply.
          if (row.node === this.#o.config.node || this.#o.outbox.pending(kind, row.key)) continue;
          try {
            k.apply(row.key, row.data);
            this.#applied++;
            changed = true;
          } catch (err) {
            this.#o.log.error({ event: 'fleet_record_invalid', kind, key: row.key, seq: Number(row.seq), error: (err as Error).message }, 'a fleet record could not be applied; skipped');
          }
        }
        this.#o.outbox.setCursor(kind, Number(r.rows[r.rows.length - 1]!.seq));
      });
      if (r.rows.length < BATCH) break;
    }
    if (changed) k.applied?.();
  }

  #contact(): void {
    this.#lastContactAt = this.#o.clock.now();
  }

  #down(err: unknown): void {
    const now = this.#o.clock.now();
    const error = describePgError(err);
    this.#connected = false;
    this.#listening = false;
    const listener = this.#listener;
    this.#listener = undefined;
    listener?.removeAllListeners();
    void listener?.end().catch(() => undefined);
    this.#failures++;
    this.#retryAt = now + Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.#failures - 1, 10));
    const changedError = error !== this.#lastError;
    this.#lastError = error;
    if (changedError || now - this.#lastComplaint >= COMPLAIN_EVERY_MS) {
      this.#lastComplaint = now;
      let outbox = -1;
      try { outbox = this.#o.outbox.size(); } catch { /* the local store's own problem */ }
      this.#o.log.error({ event: 'fleet_unavailable', code: ErrorCode.FleetUnavailable, node: this.#o.config.node, error, outbox, fix: 'check storage.postgres (url, passwordFile, tls) and that PostgreSQL is up; this node keeps deciding from its own state and queues its changes' },
        `fleet database unavailable: ${error}; deciding from this node's state, ${outbox} change(s) queued`);
    }
  }
}
