/** Starts fleet mode when storage.postgres is configured: the replicated kinds on this node's store. */
import type { Config } from '../config/load.js';
import type { Quarantine } from '../incidents/quarantine.js';
import type { Logger } from '../log/logger.js';
import type { FleetOutbox } from '../store/fleet-outbox.js';
import type { QuarantineStore } from '../store/quarantine-store.js';
import type { Clock } from '../util/clock.js';
import { baselineKind, connectorKind, consoleAuditKind, consoleInsightKind, consoleSessionKind, healthDismissalKind, incidentKind, quarantineKind } from './kinds.js';
import { ConsoleStore } from '../store/console-store.js';
import { HealthStore } from '../store/health-store.js';
import { IncidentStore } from '../store/incident-store.js';
import { ConnectorStore } from '../store/connector-store.js';
import type { Db } from '../store/db.js';
import { FleetSync } from './sync.js';

export function startFleet(config: Config, log: Logger, o: { db: Db; outbox: FleetOutbox | undefined; quarantineStore: QuarantineStore; quarantine: Quarantine; clock: Clock }): FleetSync | undefined {
  const pg = config.storage.postgres;
  if (!pg || !o.outbox) return undefined;
  // Read once, before the fleet's copy can arrive: whether this node joins with nothing.
  const joining = o.db.prepare('SELECT 1 FROM baselines LIMIT 1').get() === undefined;
  // Stores without an outbox: what another node changed is applied here, not sent again.
  const consoleStore = new ConsoleStore(o.db);
  const kinds = [
    quarantineKind(o.quarantineStore, o.quarantine), connectorKind(new ConnectorStore(o.db)), incidentKind(new IncidentStore(o.db)), baselineKind(o.db, joining),
    consoleSessionKind(consoleStore), consoleInsightKind(consoleStore), consoleAuditKind(consoleStore), healthDismissalKind(new HealthStore(o.db)),
  ];
  const sync = new FleetSync({ config: pg, outbox: o.outbox, clock: o.clock, log: log.child({ part: 'fleet' }), kinds, joining });
  sync.start();
  return sync;
}
