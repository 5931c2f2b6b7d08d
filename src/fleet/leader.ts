/**
 * Work that must run on exactly one node of the fleet at a time (the connectors: polling
 * Okta's System Log twice would read every event twice). The leader holds a session-level
 * PostgreSQL advisory lock on a connection of its own. PostgreSQL releases the lock when that
 * session ends: the node died, or its connection broke. The other nodes try for it every
 * `tryEveryMs`, and one of them takes over.
 *
 * A leader that loses its connection stops leading at once: it cannot tell whether another
 * node has taken the lock meanwhile.
 */
import type pg from 'pg';
import type { PostgresConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { describePgError, openClient } from './postgres.js';
import { LOCK_SPACE } from './schema.js';


export interface LeadershipOptions {
  config: PostgresConfig;
  /** The advisory lock's second key (schema.ts has the first). */
  lock: number;
  /** What is led, for the log ("connectors"). */
  what: string;
  clock: Clock;
  log: Logger;
  tryEveryMs?: number;
  /** Starts the work here. */
  lead: () => Promise<void>;
  /** Stops it here (the lock is lost or given up). */
  follow: () => Promise<void>;
}

export class Leadership {
  readonly #o: Required<LeadershipOptions>;
  #client: pg.Client | undefined;
  #leading = false;
  #timer: TimerHandle | undefined;
  #stopped = false;
  #busy: Promise<void> = Promise.resolve();

  constructor(o: LeadershipOptions) {
    this.#o = { tryEveryMs: 2_000, ...o };
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    await this.#busy;
    await this.#resign();
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = this.#o.clock.setTimer(ms, () => {
      this.#busy = this.#try().finally(() => this.#schedule(this.#o.tryEveryMs));
    });
  }

  async #try(): Promise<void> {
    if (this.#leading || this.#stopped) return;
    const client = openClient(this.#o.config);
    client.on('error', () => undefined);
    try {
      await client.connect();
      const r = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS got', [LOCK_SPACE, this.#o.lock]);
      if (!r.rows[0]?.got) {
        await client.end();
        return;
      }
    } catch (err) {
      await client.end().catch(() => undefined);
      this.#o.log.debug({ event: 'fleet_lead_try_failed', what: this.#o.what, error: describePgError(err) }, `could not try for the ${this.#o.what} lock`);
      return;
    }
    this.#client = client;
    this.#leading = true;
    // The lock lives as long as this session: losing the session is losing the lock.
    const lost = (): void => {
      if (this.#client !== client) return;
      this.#o.log.warn({ event: 'fleet_lead_lost', what: this.#o.what }, `lost the fleet database connection: no longer running the ${this.#o.what} here`);
      this.#busy = this.#resign();
    };
    client.removeAllListeners('error');
    client.on('error', lost);
    client.on('end', lost);
    this.#o.log.info({ event: 'fleet_leading', what: this.#o.what }, `this node runs the ${this.#o.what} for the fleet`);
    try {
      await this.#o.lead();
    } catch (err) {
      this.#o.log.error({ event: 'fleet_lead_failed', what: this.#o.what, error: String((err as Error).message ?? err) }, `could not start the ${this.#o.what}; leaving them to another node`);
      await this.#resign();
    }
  }

  async #resign(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    const was = this.#leading;
    this.#leading = false;
    client.removeAllListeners('end');
    await client.end().catch(() => undefined);
    if (was) await this.#o.follow().catch(() => undefined);
  }
}
