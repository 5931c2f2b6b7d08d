/** HealthInsight dismissals: a task an admin chose to accept, with why and who. */
import type { Db } from './db.js';
import type { FleetOutbox } from './fleet-outbox.js';

export interface Dismissal {
  task: string;
  time: number;
  reason: string;
  operator: string;
}

export const HEALTH_DISMISSAL_KIND = 'health-dismissal';

export class HealthStore {
  readonly #outbox: FleetOutbox | undefined;

  /** With an outbox (fleet mode), a dismissal or a restore reaches every node's console and CLI. */
  constructor(private readonly db: Db, opts: { outbox?: FleetOutbox | undefined } = {}) {
    this.#outbox = opts.outbox;
  }

  dismiss(d: Dismissal): void {
    this.db.transaction(() => {
      this.#dismiss(d);
      this.#outbox?.add(HEALTH_DISMISSAL_KIND, d.task, { dismissal: d }, d.time);
    })();
  }

  #dismiss(d: Dismissal): void {
    this.db.prepare('INSERT INTO health_dismissals (task, time, reason, operator) VALUES (@task, @time, @reason, @operator) ON CONFLICT(task) DO UPDATE SET time = excluded.time, reason = excluded.reason, operator = excluded.operator').run(d);
  }

  restore(task: string, now: number): boolean {
    return this.db.transaction(() => {
      const had = this.db.prepare('DELETE FROM health_dismissals WHERE task = ?').run(task).changes > 0;
      this.#outbox?.add(HEALTH_DISMISSAL_KIND, task, { dismissal: null }, now);
      return had;
    })();
  }

  /** Another node's dismissal or restore (fleet mode). */
  apply(task: string, d: Dismissal | null): void {
    if (d) this.#dismiss(d);
    else this.db.prepare('DELETE FROM health_dismissals WHERE task = ?').run(task);
  }

  all(): Map<string, Dismissal> {
    return new Map((this.db.prepare('SELECT task, time, reason, operator FROM health_dismissals').all() as Dismissal[]).map((d) => [d.task, d]));
  }
}
