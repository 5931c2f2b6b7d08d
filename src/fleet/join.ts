/**
 * A node joining the fleet with an empty store waits, before it listens, for the fleet's
 * baselines (snapshots.ts), up to JOIN_WAIT_MS. Otherwise its first minutes would meet every
 * user as a stranger and step everyone up. With the database unreachable, it starts without
 * them and says so: its own learning starts from nothing.
 */
import type { Logger } from '../log/logger.js';
import type { Db } from '../store/db.js';
import type { FleetSync } from './sync.js';

const JOIN_WAIT_MS = 15_000;

export async function joinFleet(fleet: FleetSync, db: Db, log: Logger): Promise<void> {
  if (!fleet.joining) return;
  let timer: NodeJS.Timeout | undefined;
  const reached = await Promise.race([
    fleet.nextRound().then(() => fleet.pool !== undefined),
    new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), JOIN_WAIT_MS); }),
  ]);
  clearTimeout(timer);
  const n = db.prepare('SELECT COUNT(*) FROM baselines').pluck().get() as number;
  if (reached) log.info({ event: 'fleet_joined', baselines: n }, `joined the fleet with ${n} baseline(s) from it`);
  else log.warn({ event: 'fleet_join_without_baselines', waitedMs: JOIN_WAIT_MS }, 'the fleet database did not answer: starting without the fleet\'s baselines (this node learns from now on)');
}
