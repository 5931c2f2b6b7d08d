/**
 * What the fleet database forgets, so that it is bounded by what is in force rather than by
 * everything that ever happened. Any node may prune (each does, once a minute): the
 * statements are idempotent. A record is deleted only once no node can still need it: a node
 * that reads past a deleted release long after it was made has long expired the thing itself.
 */
import type pg from 'pg';
import { CONSOLE_AUDIT_KIND, CONSOLE_INSIGHT_KIND, CONSOLE_SESSION_KIND } from '../store/console-store.js';
import { HEALTH_DISMISSAL_KIND } from '../store/health-store.js';
import { LOCKOUT_RELEASE_KIND } from '../store/lockout-store.js';
import { QUARANTINE_KIND } from '../store/quarantine-store.js';
import { THREAT_ENTRY_KIND } from '../store/threat-store.js';

const DAY_MS = 86_400_000;

/** Each deletes one kind of thing past its use; $1 is now minus ageMs, $2 the record kind. */
const RULES: readonly { what: string; sql: string; ageMs: number; kind?: string }[] = [
  // A challenge ends by its deadline; a day later nothing reads its row (remembered passes last minutes).
  { what: 'ended challenges', sql: 'DELETE FROM fleet_challenges WHERE deadline < $1', ageMs: DAY_MS },
  // Sessions end by the console's absolute timeout (hours); their records and ends, a week on.
  { what: 'console sessions', sql: 'DELETE FROM fleet_records WHERE kind = $2 AND changed_at < $1', ageMs: 7 * DAY_MS, kind: CONSOLE_SESSION_KIND },
  { what: 'lockout releases', sql: 'DELETE FROM fleet_records WHERE kind = $2 AND changed_at < $1', ageMs: 7 * DAY_MS, kind: LOCKOUT_RELEASE_KIND },
  // The console keeps its own trail bounded; the fleet's copy for a year.
  { what: 'audit entries', sql: 'DELETE FROM fleet_records WHERE kind = $2 AND changed_at < $1', ageMs: 365 * DAY_MS, kind: CONSOLE_AUDIT_KIND },
  // Releases and deletions (tombstones) a month on; threat-pool entries once expired a week.
  { what: 'quarantine releases', sql: "DELETE FROM fleet_records WHERE kind = $2 AND changed_at < $1 AND data->'row' = 'null'::jsonb", ageMs: 30 * DAY_MS, kind: QUARANTINE_KIND },
  { what: 'restored dismissals', sql: "DELETE FROM fleet_records WHERE kind = $2 AND changed_at < $1 AND data->'dismissal' = 'null'::jsonb", ageMs: 30 * DAY_MS, kind: HEALTH_DISMISSAL_KIND },
  { what: 'deleted Insights', sql: "DELETE FROM fleet_records WHERE kind = $2 AND changed_at < $1 AND data->'insight' = 'null'::jsonb", ageMs: 30 * DAY_MS, kind: CONSOLE_INSIGHT_KIND },
  {
    what: 'threat-pool entries', ageMs: 7 * DAY_MS, kind: THREAT_ENTRY_KIND,
    sql: "DELETE FROM fleet_records WHERE kind = $2 AND changed_at < $1 AND (data->'entry' = 'null'::jsonb OR (data->'entry'->>'expires')::bigint < $1)",
  },
  // A connector's cursor is only its latest; nothing to prune. Incidents are kept, as on every node.
];

/** Runs every rule; returns how many rows each deleted (for the log when any did). */
export async function pruneFleet(pool: pg.Pool, now: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const r of RULES) {
    const res = await pool.query(r.sql, r.kind ? [now - r.ageMs, r.kind] : [now - r.ageMs]);
    if (res.rowCount) out[r.what] = res.rowCount;
  }
  return out;
}
