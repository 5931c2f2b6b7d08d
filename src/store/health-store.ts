/** HealthInsight dismissals: a task an admin chose to accept, with why and who. */
import type { Db } from './db.js';

export interface Dismissal {
  task: string;
  time: number;
  reason: string;
  operator: string;
}

export class HealthStore {
  constructor(private readonly db: Db) {}

  dismiss(d: Dismissal): void {
    this.db.prepare('INSERT INTO health_dismissals (task, time, reason, operator) VALUES (@task, @time, @reason, @operator) ON CONFLICT(task) DO UPDATE SET time = excluded.time, reason = excluded.reason, operator = excluded.operator').run(d);
  }

  restore(task: string): boolean {
    return this.db.prepare('DELETE FROM health_dismissals WHERE task = ?').run(task).changes > 0;
  }

  all(): Map<string, Dismissal> {
    return new Map((this.db.prepare('SELECT task, time, reason, operator FROM health_dismissals').all() as Dismissal[]).map((d) => [d.task, d]));
  }
}
