/**
 * Writing to the fleet: every write that takes a sequence number runs in a transaction that
 * holds the push lock until it commits. Sequence numbers are then committed in order, so a
 * node that has read past seq N has seen everything up to N (schema.ts). Notifications are
 * sent inside it: PostgreSQL delivers them at commit, never for a write that was rolled back.
 */
import type pg from 'pg';
import { LOCK_PUSH, LOCK_SPACE } from './schema.js';

export const FLEET_CHANNEL = 'bindwall_fleet';

/** One change to a record; `data` is its JSON text. */
export interface RecordChange {
  kind: string;
  key: string;
  data: string;
  changedAt: number;
}

export async function inPushTransaction(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<void>, notify: readonly string[]): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, LOCK_PUSH]);
    await fn(client);
    for (const payload of notify) await client.query('SELECT pg_notify($1, $2)', [FLEET_CHANNEL, payload]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * Records in one statement; for each, the latest change wins: a change replayed late from an
 * outbox (or copied by migrate) does not undo a newer one. One change per record in a batch:
 * the caller keeps the latest.
 */
export async function upsertRecords(pool: pg.Pool, node: string, changes: readonly RecordChange[]): Promise<void> {
  if (!changes.length) return;
  await inPushTransaction(pool, async (client) => {
    await client.query(
      `INSERT INTO fleet_records (kind, key, data, changed_at, node, seq)
       SELECT k, y, d, c, $1, nextval('fleet_seq') FROM unnest($2::text[], $3::text[], $4::jsonb[], $5::bigint[]) AS r(k, y, d, c)
       ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data, changed_at = excluded.changed_at, node = excluded.node, seq = excluded.seq
       WHERE fleet_records.changed_at <= excluded.changed_at`,
      [node, changes.map((r) => r.kind), changes.map((r) => r.key), changes.map((r) => r.data), changes.map((r) => r.changedAt)]);
  }, [...new Set(changes.map((r) => r.kind))]);
}

/** Keeps the last change of each record, in order: ON CONFLICT cannot touch one row twice in a statement. */
export function latestPerRecord<T extends { kind: string; key: string }>(changes: readonly T[]): T[] {
  const last = new Map<string, T>();
  for (const c of changes) {
    const id = `${c.kind}\u0000${c.key}`;
    last.delete(id);
    last.set(id, c);
  }
  return [...last.values()];
}
