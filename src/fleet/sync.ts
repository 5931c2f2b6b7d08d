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
import { pgJson, type FleetOutbox } from '../store/fleet-outbox.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { ReplicatedKind } from './kinds.js';
import { describePgError, openClient, openPool } from './postgres.js';
import { migratePg } from './schema.js';
import { pruneFleet } from './prune.js';
import { FLEET_CHANNEL, inPushTransaction, latestPerRecord, upsertRecords } from './push.js';

/** The notification payload for new observations (record kinds notify their own name). */
const EVENTS = '~events';
/** Observations waiting for the database, at most: past it the oldest go (counted in status). */
const MAX_QUEUED_EVENTS = 10_000;
/** Observations are read by nodes within a second or two; a node back after longer counts afresh. */
const EVENTS_KEPT_MS = 15 * 60_000;
const PRUNE_EVERY_MS = 60_000;

/**
 * Observations every node counts as if it had seen them (threat pool, smart lockout): not
 * records with a latest state, but a stream. Kept in memory until pushed (bounded), and in
 * PostgreSQL for a quarter of an hour.
 */
export interface FleetStream {
  readonly kind: string;
  /** Applies another node's observation; `id` is unique in the fleet. */
  apply(data: unknown, id: string): void;
}

/** How often the outbox is looked at: a change made by the CLI on this node's store waits at most this. */
const PUSH_EVERY_MS = 100;
/** Outbox entries per push transaction, and records per pull query. */
const BATCH = 500;
/** Reconnecting after a failure: from half a second, doubling, to this (a node is back within 5 s of the database). */
const MAX_BACKOFF_MS = 5_000;
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
  /** Observations (threat pool, lockout) waiting for the database, and those dropped past the bound. */
  events: { queued: number; dropped: number; applied: number };
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
  /**
   * The node's store had no baselines when it started: it takes the fleet's copy (snapshots.ts)
   * and replays the observations since shortly before it, not only those from now on.
   */
  joining?: boolean;
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
  readonly #streams = new Map<string, FleetStream>();
  readonly #notified = new Map<string, () => void>();
  readonly #complained = new Map<string, number>();
  #events: { kind: string; time: number; data: unknown }[] = [];
  #eventsDropped = 0;
  #eventsApplied = 0;
  /** The last observation read; undefined until the first connect starts it at the newest. */
  #eventCursor: number | undefined;
  #pruneAt = 0;
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

  /** A kind known only once the proxy exists (the threat pool's, smart lockout's); read at the next round. */
  addKind(kind: ReplicatedKind): void {
    this.#kinds.set(kind.kind, kind);
    this.#wanted.add(kind.kind);
  }

  /** The pool while the database answers (challenges ask it directly); undefined while it does not. */
  get pool(): pg.Pool | undefined {
    return this.#connected ? this.#pool : undefined;
  }

  get node(): string {
    return this.#o.config.node;
  }

  /** The store had no baselines when this node started (it joins a running fleet). */
  get joining(): boolean {
    return this.#o.joining === true;
  }

  /** Calls `fn` on each notification with this payload (challenges: an outcome was written). */
  onNotification(payload: string, fn: () => void): void {
    this.#notified.set(payload, fn);
  }

  /** Tells every node, `payload` naming what changed. */
  async notify(payload: string): Promise<void> {
    await this.#pool?.query('SELECT pg_notify($1, $2)', [FLEET_CHANNEL, payload]);
  }

  /** A statement failed outside the sync's own rounds: the same reporting, the same reconnect. */
  failed(err: unknown): void {
    this.#down(err);
  }

  /** Registers a stream; the function returned publishes this node's observations to it. */
  addStream(stream: FleetStream): (data: unknown) => void {
    this.#streams.set(stream.kind, stream);
    return (data) => {
      if (this.#stopped) return;
      this.#events.push({ kind: stream.kind, time: this.#o.clock.now(), data });
      if (this.#events.length > MAX_QUEUED_EVENTS) {
        this.#events.shift();
        this.#eventsDropped++;
      }
    };
  }

  status(): FleetStatus {
    let outbox = -1;
    try {
      outbox = this.#o.outbox.size();
    } catch { /* reported as -1: the local store is failing, which its own checks say */ }
    return {
      node: this.#o.config.node, connected: this.#connected, listening: this.#listening, outbox, applied: this.#applied,
      events: { queued: this.#events.length, dropped: this.#eventsDropped, applied: this.#eventsApplied },
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
        await this.#pushEvents();
        if (now >= this.#reloadAt) {
          for (const k of this.#kinds.keys()) this.#wanted.add(k);
          this.#wanted.add(EVENTS);
          this.#reloadAt = now + this.#o.config.reloadMs;
        }
        for (const kind of [...this.#wanted]) {
          this.#wanted.delete(kind);
          if (kind === EVENTS) await this.#pullEvents();
          else await this.#pull(kind);
        }
        if (now >= this.#pruneAt) {
          this.#pruneAt = now + PRUNE_EVERY_MS;
          await this.#pool!.query('DELETE FROM fleet_events WHERE time < $1', [now - EVENTS_KEPT_MS]);
          const pruned = await pruneFleet(this.#pool!, now);
          if (Object.keys(pruned).length) this.#o.log.info({ event: 'fleet_pruned', ...pruned }, 'the fleet database forgot what no node needs any more');
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
    this.#wanted.add(EVENTS);
    if (this.#eventCursor === undefined) {
      // A node counts from now; one joining with an empty store from a little before its
      // baselines' snapshot, so that the logons in between are not missed (a few twice).
      // The copy it takes is at most one snapshot interval old.
      const since = this.#o.joining ? this.#o.clock.now() - Math.min(Math.round(this.#o.config.snapshotEveryMs * 1.5), EVENTS_KEPT_MS) : undefined;
      const r = since === undefined
        ? await this.#pool.query<{ seq: string }>('SELECT coalesce(max(seq), 0) AS seq FROM fleet_events')
        : await this.#pool.query<{ seq: string }>('SELECT coalesce((SELECT min(seq) - 1 FROM fleet_events WHERE time >= $1), (SELECT max(seq) FROM fleet_events), 0) AS seq', [since]);
      this.#eventCursor = Number(r.rows[0]!.seq);
    }
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
      const hook = n.payload ? this.#notified.get(n.payload) : undefined;
      if (hook) return hook();
      if (n.payload && (this.#kinds.has(n.payload) || n.payload === EVENTS)) this.#wanted.add(n.payload);
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
    this.#wanted.add(EVENTS);
  }

  /** This node's observations, in one transaction per batch; kept in memory until committed. */
  async #pushEvents(): Promise<void> {
    while (this.#events.length) {
      const batch = this.#events.slice(0, BATCH);
      try {
        await inPushTransaction(this.#pool!, async (client) => {
          await client.query(
            'INSERT INTO fleet_events (kind, node, time, data) SELECT k, $1, t, d FROM unnest($2::text[], $3::bigint[], $4::jsonb[]) AS e(k, t, d)',
            [this.#o.config.node, batch.map((e) => e.kind), batch.map((e) => e.time), batch.map((e) => pgJson(e.data))],
          );
        }, [EVENTS]);
      } catch (err) {
        if (isUnavailable(err)) throw err;
        // Observations are not kept for ever anyway: a batch the database refuses is counted as dropped.
        this.#eventsDropped += batch.length;
        this.#complain('fleet_events_refused', describePgError(err), `the fleet database refused ${batch.length} observation(s); dropped`);
      }
      this.#contact();
      // Whatever was published meanwhile stays queued behind.
      const sent = new Set(batch);
      this.#events = this.#events.filter((e) => !sent.has(e));
    }
  }

  /** The other nodes' observations past the cursor, in sequence order. */
  async #pullEvents(): Promise<void> {
    if (this.#eventCursor === undefined) return;
    for (;;) {
      const r: pg.QueryResult<{ seq: string; kind: string; data: unknown }> = await this.#pool!.query(
        'SELECT seq, kind, data FROM fleet_events WHERE seq > $1 AND node <> $2 ORDER BY seq LIMIT $3', [this.#eventCursor, this.#o.config.node, BATCH]);
      this.#contact();
      for (const row of r.rows) {
        const stream = this.#streams.get(row.kind);
        if (!stream) continue;
        try {
          stream.apply(row.data, `${row.seq}`);
          this.#eventsApplied++;
        } catch (err) {
          this.#o.log.error({ event: 'fleet_record_invalid', kind: row.kind, seq: Number(row.seq), error: (err as Error).message }, 'a fleet observation could not be applied; skipped');
        }
      }
      if (r.rows.length) this.#eventCursor = Number(r.rows[r.rows.length - 1]!.seq);
      if (r.rows.length < BATCH) break;
    }
  }

  /** Outbox entries in order, each batch in one transaction; deleted here only once committed there. */
  async #push(): Promise<void> {
    for (;;) {
      const entries = this.#o.outbox.peek(BATCH);
      if (!entries.length) return;
      const changes = latestPerRecord(entries.map((e) => ({ kind: e.kind, key: e.key, data: e.data, changedAt: e.time })));
      try {
        await upsertRecords(this.#pool!, this.#o.config.node, changes);
      } catch (err) {
        if (isUnavailable(err)) throw err;
        // Refused, not unreachable: one record the database will never take must not hold
        // back every change behind it. Each goes alone; what is refused alone is said, and dropped.
        for (const c of changes) {
          await upsertRecords(this.#pool!, this.#o.config.node, [c]).catch((e: unknown) => {
            if (isUnavailable(e)) throw e;
            this.#o.log.error({ event: 'fleet_record_refused', kind: c.kind, key: c.key, error: describePgError(e) }, 'the fleet database refused a record; it stays on this node only');
          });
        }
      }
      this.#contact();
      this.#o.outbox.transaction(() => { for (const e of entries) this.#o.outbox.done(e.id); });
      // The entries may have been written by a command on this node's store (bindwall
      // quarantine add): this node's own views read the store again, as the fleet's do.
      for (const k of new Set(changes.map((c) => c.kind))) this.#kinds.get(k)?.applied?.();
      if (entries.length < BATCH) return;
    }
  }

  /** The kind's changes past this node's cursor, in sequence order. */
  async #pull(kind: string): Promise<void> {
    const k = this.#kinds.get(kind);
    if (!k) return;
    if (k.wanted && !k.wanted()) {
      // Not read on this node (a running node has its own baselines): only the cursor moves.
      const r = await this.#pool!.query<{ seq: string | null }>('SELECT max(seq) AS seq FROM fleet_records WHERE kind = $1', [kind]);
      this.#contact();
      if (r.rows[0]?.seq) this.#o.outbox.setCursor(kind, Number(r.rows[0].seq));
      return;
    }
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
    k.caughtUp?.();
    if (changed) k.applied?.();
  }

  /** An error line at most once a minute per kind of error: a refusal repeats every round. */
  #complain(event: string, error: string, msg: string): void {
    const now = this.#o.clock.now();
    const key = `${event}\u0000${error}`;
    if (now - (this.#complained.get(key) ?? -Infinity) < COMPLAIN_EVERY_MS) return;
    this.#complained.set(key, now);
    if (this.#complained.size > 100) this.#complained.clear();
    this.#o.log.error({ event, code: ErrorCode.FleetUnavailable, node: this.#o.config.node, error }, msg);
  }

  #contact(): void {
    this.#lastContactAt = this.#o.clock.now();
  }

  #down(err: unknown): void {
    const now = this.#o.clock.now();
    const error = describePgError(err);
    if (!isUnavailable(err)) {
      // The database answered, and refused one statement: a bug or a bad record, not an outage.
      this.#complain('fleet_statement_failed', error, `a fleet database statement failed: ${error}`);
      return;
    }
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

/**
 * Whether a failure means the database cannot be used now (connection, shutdown, resources,
 * a socket error, a timeout), rather than one statement being refused. Refusals are the
 * SQLSTATE classes of the statement itself: 0A unsupported, 2x data, integrity and
 * transaction state, 42 syntax and access, P0 PL/pgSQL.
 */
function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return !(typeof code === 'string' && /^(0A|2[0-9A-F]|42|P0)[0-9A-Z]{3}$/.test(code));
}
