/**
 * `bindwall migrate --to postgres`: copies what a single node's SQLite store holds that the
 * fleet shares into PostgreSQL. That is quarantine, incidents, connector cursors, and the
 * baselines with their entity risk. The baselines are how nodes joining later start with the
 * organisation's history rather than from nothing.
 *
 * Running it again copies again: every record keeps the latest change. A baseline a node
 * already has is never replaced by the copy: its own learning is newer.
 */
import type pg from 'pg';
import type { PostgresConfig } from '../config/load.js';
import type { Db } from '../store/db.js';
import { CONNECTOR_KIND } from '../store/connector-store.js';
import { INCIDENT_KIND, IncidentStore } from '../store/incident-store.js';
import { QUARANTINE_KIND, QuarantineStore } from '../store/quarantine-store.js';
import { upsertRecords } from './push.js';
import { migratePg } from './schema.js';
import { BASELINE_KIND } from './kinds.js';

/** Records per transaction, and baselines read per page. */
const BATCH = 500;

interface Rec { kind: string; key: string; data: unknown; changedAt: number }

export interface MigrateReport {
  quarantine: number;
  incidents: number;
  connectors: number;
  baselines: number;
  schemaVersion: number;
}

export async function migrateToPostgres(db: Db, pool: pg.Pool, c: PostgresConfig, now: number): Promise<MigrateReport> {
  const schemaVersion = await migratePg(pool);
  const quarantine: Rec[] = new QuarantineStore(db).active(now).map((row) => ({ kind: QUARANTINE_KIND, key: row.account, data: { account: row.account, row, changedAt: row.since }, changedAt: row.since }));
  const incidents: Rec[] = [];
  const store = new IncidentStore(db);
  // Incidents get their fleet key here, so that a later acknowledgement on this store reaches the fleet.
  const keys = db.prepare('SELECT id, challenge_id AS challengeId, fleet_key AS fleetKey FROM incidents').all() as { id: number; challengeId: string | null; fleetKey: string | null }[];
  const setKey = db.prepare('UPDATE incidents SET fleet_key = ? WHERE id = ?');
  db.transaction(() => {
    for (const k of keys) {
      const key = k.fleetKey ?? k.challengeId ?? `${c.node}:${k.id}`;
      if (!k.fleetKey) setKey.run(key, k.id);
      const i = store.get(k.id)!;
      incidents.push({ kind: INCIDENT_KIND, key, data: i, changedAt: i.updated });
    }
  })();
  const connectors: Rec[] = (db.prepare('SELECT name, cursor, origin, health, updated FROM connectors WHERE cursor IS NOT NULL').all() as { name: string; cursor: string; origin: string; health: string; updated: number }[])
    .map((r) => ({ kind: CONNECTOR_KIND, key: r.name, data: { name: r.name, origin: r.origin, cursor: r.cursor, events: [], health: JSON.parse(r.health) as unknown }, changedAt: r.updated }));
  let baselines = 0;
  await push(pool, c.node, [...quarantine, ...incidents, ...connectors]);
  // Baselines in pages: a large organisation's do not fit in memory at once as records.
  const risk = db.prepare('SELECT value, as_of AS asOf FROM entity_risk WHERE kind = ? AND key = ?');
  let after: { kind: string; key: string } = { kind: '', key: '' };
  for (;;) {
    const rows = db.prepare('SELECT kind, key, data, updated FROM baselines WHERE (kind, key) > (?, ?) ORDER BY kind, key LIMIT ?').all(after.kind, after.key, BATCH) as { kind: string; key: string; data: string; updated: number }[];
    if (!rows.length) break;
    await push(pool, c.node, rows.map((r) => {
      const rk = risk.get(r.kind, r.key) as { value: number; asOf: number } | undefined;
      return { kind: BASELINE_KIND, key: `${r.kind}:${r.key}`, data: { kind: r.kind, key: r.key, data: r.data, updated: r.updated, ...(rk ? { risk: rk } : {}) }, changedAt: r.updated };
    }));
    baselines += rows.length;
    after = rows[rows.length - 1]!;
  }
  return { quarantine: quarantine.length, incidents: incidents.length, connectors: connectors.length, baselines, schemaVersion };
}

/** The same upsert as a node's push, under a name of its own: every node takes the copy. */
async function push(pool: pg.Pool, node: string, recs: readonly Rec[]): Promise<void> {
  for (let i = 0; i < recs.length; i += BATCH) {
    await upsertRecords(pool, `migrate:${node}`, recs.slice(i, i + BATCH).map((r) => ({ kind: r.kind, key: r.key, data: JSON.stringify(r.data), changedAt: r.changedAt })));
  }
}
