/** HealthInsight's list: every check's tasks, most important first, with their dismissals; what `bindwall health` and the console show. */
import type { EventMapper } from '../behavior/logon-event.js';
import type { Config } from '../config/load.js';
import type { CompiledPolicy } from '../policy/policy.js';
import type { Db } from '../store/db.js';
import { HealthStore, type Dismissal } from '../store/health-store.js';
import { runChecks } from './checks.js';
import { IMPACT_ORDER, type HealthTask } from './task.js';
import { runTrafficChecks } from './traffic.js';
import type { EffectiveThreshold } from '../threat/lockout-threshold.js';

export type ReportedTask = HealthTask & { dismissed?: Dismissal };

const rank = (t: HealthTask): number => IMPACT_ORDER.indexOf(t.securityImpact) * 10 + IMPACT_ORDER.indexOf(t.userImpact);

/** Every check's tasks, most important first (the costly part: the traffic checks read storage). */
export function collectTasks(config: Config, policy: CompiledPolicy | undefined, db: Db, mapper: EventMapper, now: number, lockout?: EffectiveThreshold): HealthTask[] {
  return [...runChecks(config, policy), ...runTrafficChecks(config, policy, { db, mapper, now, ...(lockout ? { lockout } : {}) })].sort((a, b) => rank(a) - rank(b));
}

/** The tasks with the dismissals stored now. */
export function withDismissals(tasks: readonly HealthTask[], db: Db): ReportedTask[] {
  const dismissed = new HealthStore(db).all();
  return tasks.map((t) => (dismissed.has(t.id) ? { ...t, dismissed: dismissed.get(t.id)! } : t));
}

export function healthReport(config: Config, policy: CompiledPolicy | undefined, db: Db, mapper: EventMapper, now: number, lockout?: EffectiveThreshold): ReportedTask[] {
  return withDismissals(collectTasks(config, policy, db, mapper, now, lockout), db);
}
