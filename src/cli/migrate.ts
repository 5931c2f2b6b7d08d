/**
 * `bindwall migrate --to postgres --config FILE`: copies the SQLite store at storage.path into
 * the fleet database at storage.postgres (fleet/migrate.ts), then says what it copied.
 */
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import { BindwallError, ErrorCode } from '../errors.js';
import { migrateToPostgres } from '../fleet/migrate.js';
import { describePgError, openPool } from '../fleet/postgres.js';
import { openDatabase } from '../store/db.js';
import { systemClock } from '../util/clock.js';
import { UsageError } from './usage.js';

const USAGE = 'usage: bindwall migrate --to postgres --config FILE [--json]';

export async function migrateCommand(args: string[], out: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { to: { type: 'string' }, config: { type: 'string', short: 'c' }, json: { type: 'boolean', default: false } } });
  if (positionals.length || values.to !== 'postgres' || !values.config) throw new UsageError(USAGE);
  const config = loadConfigFile(values.config);
  const pg = config.storage.postgres;
  if (!pg) throw new UsageError(`${values.config} has no storage.postgres: add its url (and passwordFile), then migrate`);
  const db = openDatabase(config.storage.path);
  const pool = openPool(pg);
  try {
    const r = await migrateToPostgres(db, pool, pg, systemClock.now());
    if (values.json) out(JSON.stringify({ from: config.storage.path, to: pg.url, ...r }));
    else {
      out(`copied ${config.storage.path} into ${pg.url} (fleet schema version ${r.schemaVersion}):`);
      out(`  ${r.quarantine} quarantined account(s), ${r.incidents} incident(s), ${r.connectors} connector cursor(s), ${r.baselines} baseline(s)`);
      out('nodes joining the fleet take the baselines they do not have; running nodes pick the rest up within seconds');
    }
    return 0;
  } catch (err) {
    if (err instanceof BindwallError) throw err;
    throw new BindwallError(ErrorCode.FleetUnavailable, `cannot copy into ${pg.url}: ${describePgError(err)} (check storage.postgres and that PostgreSQL is up)`);
  } finally {
    db.close();
    await pool.end().catch(() => undefined);
  }
}
