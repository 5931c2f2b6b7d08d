/**
 * PostgreSQL's own versioned schema for the fleet, applied in order, each in one transaction,
 * under an advisory lock so nodes starting together migrate once. Never edit a released
 * migration: add the next one.
 */
import type pg from 'pg';

export const PG_MIGRATIONS: readonly { version: number; description: string; sql: string }[] = Object.freeze([
  {
    version: 1,
    description: 'replicated records (latest change wins) with a fleet-wide sequence',
    sql: `
      CREATE SEQUENCE fleet_seq;
      CREATE TABLE fleet_records (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        data JSONB NOT NULL,
        changed_at BIGINT NOT NULL,
        node TEXT NOT NULL,
        seq BIGINT NOT NULL,
        PRIMARY KEY (kind, key)
      );
      CREATE INDEX fleet_records_seq ON fleet_records (kind, seq);
    `,
  },
  {
    version: 2,
    description: 'observations every node counts (threat pool, smart lockout), kept a quarter of an hour',
    sql: `
      CREATE TABLE fleet_events (
        seq BIGSERIAL PRIMARY KEY,
        kind TEXT NOT NULL,
        node TEXT NOT NULL,
        time BIGINT NOT NULL,
        data JSONB NOT NULL
      );
      CREATE INDEX fleet_events_time ON fleet_events (time);
    `,
  },
  {
    version: 3,
    description: 'challenges run once across the fleet: owner, heartbeat, the push to take over, the outcome',
    sql: `
      CREATE TABLE fleet_challenges (
        key TEXT PRIMARY KEY,
        id TEXT NOT NULL,
        owner TEXT NOT NULL,
        heartbeat BIGINT NOT NULL,
        deadline BIGINT NOT NULL,
        poll_href TEXT,
        cancel_href TEXT,
        outcome JSONB
      );
      CREATE INDEX fleet_challenges_deadline ON fleet_challenges (deadline);
    `,
  },
  {
    version: 4,
    description: 'records pruned by age (prune.ts)',
    sql: `
      CREATE INDEX fleet_records_changed ON fleet_records (kind, changed_at);
    `,
  },
]);

/** One number for every lock bindwall takes in PostgreSQL, told apart by the second key. */
export const LOCK_SPACE = 0x62770000; // "bw"
export const LOCK_MIGRATE = 1;
/** Held by a push transaction until it commits: sequence numbers are then committed in order, so a reader past seq N has seen everything up to N. */
export const LOCK_PUSH = 2;
/** Held for as long as a node runs the connectors for the fleet (leader.ts). */
export const LOCK_CONNECTORS = 3;
/** Held by the node that copies baseline snapshots (snapshots.ts). */
export const LOCK_SNAPSHOTS = 4;

export async function migratePg(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1, $2)', [LOCK_SPACE, LOCK_MIGRATE]);
    await client.query('CREATE TABLE IF NOT EXISTS bindwall_schema (version INTEGER NOT NULL)');
    const r = await client.query<{ version: number }>('SELECT max(version) AS version FROM bindwall_schema');
    const current = r.rows[0]?.version ?? 0;
    const latest = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;
    if (current > latest) throw new Error(`the fleet database's schema version ${current} is newer than this bindwall (${latest}); upgrade bindwall on this node`);
    for (const m of PG_MIGRATIONS) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO bindwall_schema (version) VALUES ($1)', [m.version]);
    }
    await client.query('COMMIT');
    return latest;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
