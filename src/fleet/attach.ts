/**
 * The proxy's half of fleet mode, once the proxy exists: its threat pool, smart lockout and
 * behaviour share what they see (streams.ts), an administrator's pool and lockout changes
 * from other nodes reach it, one node at a time copies baselines for nodes joining later, and
 * a node joining with an empty store waits for them before it listens. Work that must run on
 * one node only (the connectors) is started through `lead`.
 */
import type { BehaviorService } from '../behavior/service.js';
import type { PostgresConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { Proxy } from '../proxy/server.js';
import type { Db } from '../store/db.js';
import { LockoutStore } from '../store/lockout-store.js';
import { ThreatStore } from '../store/threat-store.js';
import type { Clock } from '../util/clock.js';
import { joinFleet } from './join.js';
import { lockoutReleaseKind, threatEntryKind } from './kinds.js';
import { Leadership } from './leader.js';
import { LOCK_SNAPSHOTS } from './schema.js';
import { BaselineSnapshots } from './snapshots.js';
import { shareLockouts, shareLogons, shareThreats } from './streams.js';
import type { FleetSync } from './sync.js';

export interface AttachedFleet {
  /** Runs `start` on one node of the fleet at a time (an advisory lock), `stop` when this node loses it. */
  lead(what: string, lock: number, start: () => Promise<void>, stop: () => Promise<void>): void;
  stop(): Promise<void>;
}

export async function attachProxy(fleet: FleetSync, o: { config: PostgresConfig; db: Db; proxy: Proxy; behavior: BehaviorService | undefined; clock: Clock; log: Logger }): Promise<AttachedFleet> {
  const { proxy, behavior } = o;
  if (proxy.threat) shareThreats(fleet, proxy.threat);
  if (proxy.lockout) shareLockouts(fleet, proxy.lockout);
  if (behavior) shareLogons(fleet, proxy, behavior);
  // An administrator's threat-pool and lockout changes on any node: the pool reads its store again at once.
  const resync = (): void => proxy.syncThreats();
  fleet.addKind(threatEntryKind(new ThreatStore(o.db), resync));
  fleet.addKind(lockoutReleaseKind(new LockoutStore(o.db), o.clock, resync));
  const leaders: Leadership[] = [];
  const lead = (what: string, lock: number, start: () => Promise<void>, stop: () => Promise<void>): void => {
    const l = new Leadership({ config: o.config, lock, what, clock: o.clock, log: o.log, lead: start, follow: stop });
    leaders.push(l);
    l.start();
  };
  if (behavior) {
    const snapshots = new BaselineSnapshots({ db: o.db, fleet, clock: o.clock, log: o.log, everyMs: o.config.snapshotEveryMs });
    lead('baseline snapshots', LOCK_SNAPSHOTS, async () => snapshots.start(), () => snapshots.stop());
    await joinFleet(fleet, o.db, o.log);
  }
  return {
    lead,
    stop: async () => {
      for (const l of leaders) await l.stop();
    },
  };
}
