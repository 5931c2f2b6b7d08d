/**
 * Baseline snapshots: one node at a time (under its own advisory lock) copies the baselines
 * changed since its last copy into the fleet's records. Every node learns every logon
 * (streams.ts), so any node's baselines will do. The copy is for nodes joining later: they
 * take the baselines they do not have (kinds.ts, baselineKind) before they listen, rather
 * than meeting every user as a stranger.
 */
import type { Db } from '../store/db.js';
import type { Logger } from '../log/logger.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { BASELINE_KIND } from './kinds.js';
import { upsertRecords } from './push.js';
import type { FleetSync } from './sync.js';

const PAGE = 500;
/** Where this node keeps the time of its last copy (fleet_cursor, a name no record kind has). */
const SNAPSHOT_MARK = '~baseline-snapshot';

export class BaselineSnapshots {
  #timer: TimerHandle | undefined;
  #running: Promise<void> | undefined;

  constructor(private readonly o: { db: Db; fleet: FleetSync; clock: Clock; log: Logger; everyMs: number }) {}

  /** This node holds the lock: copy now, then every everyMs. */
  start(): void {
    const tick = (): void => {
      this.#running = this.copy().then(() => undefined, (err: unknown) => this.o.fleet.failed(err)).finally(() => {
        this.#running = undefined;
        if (this.#timer) this.#timer = this.o.clock.setTimer(this.o.everyMs, tick);
      });
    };
    this.#timer = this.o.clock.setTimer(0, tick);
  }

  async stop(): Promise<void> {
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#running;
  }

  /** The baselines written since the last copy, in pages; returns how many were copied. */
  async copy(): Promise<number> {
    const pool = this.o.fleet.pool;
    if (!pool) return 0;
    const mark = this.o.db.prepare('SELECT seq FROM fleet_cursor WHERE kind = ?').pluck();
    const setMark = this.o.db.prepare('INSERT INTO fleet_cursor (kind, seq) VALUES (?, ?) ON CONFLICT(kind) DO UPDATE SET seq = excluded.seq');
    const page = this.o.db.prepare('SELECT kind, key, data, updated FROM baselines WHERE (updated, kind, key) > (?, ?, ?) ORDER BY updated, kind, key LIMIT ?');
    let after = { updated: (mark.get(SNAPSHOT_MARK) as number | undefined) ?? 0, kind: '', key: '' };
    let copied = 0;
    for (;;) {
      const rows = page.all(after.updated, after.kind, after.key, PAGE) as { kind: string; key: string; data: string; updated: number }[];
      if (!rows.length) break;
      await upsertRecords(pool, this.o.fleet.node, rows.map((r) => ({
        kind: BASELINE_KIND, key: `${r.kind}:${r.key}`, data: JSON.stringify({ kind: r.kind, key: r.key, data: r.data, updated: r.updated }), changedAt: r.updated,
      })));
      copied += rows.length;
      after = rows[rows.length - 1]!;
    }
    // Rows written in the same millisecond as the last one copied are copied again next time: harmless.
    if (copied) {
      setMark.run(SNAPSHOT_MARK, after.updated - 1);
      this.o.log.info({ event: 'fleet_baselines_copied', baselines: copied }, `copied ${copied} baseline(s) into the fleet database for nodes joining later`);
    }
    return copied;
  }
}
