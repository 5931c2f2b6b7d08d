/** What the console reads and acts on: the running parts, never copies of them. */
import type { BehaviorEngine } from '../behavior/engine.js';
import type { EventMapper } from '../behavior/logon-event.js';
import type { Config } from '../config/load.js';
import type { ConnectorHealth } from '../connectors/health.js';
import type { Quarantine } from '../incidents/quarantine.js';
import type { Logger } from '../log/logger.js';
import type { RunningPolicy } from '../policy/setup.js';
import type { ConsoleStore } from '../store/console-store.js';
import type { FleetOutbox } from '../store/fleet-outbox.js';
import type { Db } from '../store/db.js';
import type { IncidentStore } from '../store/incident-store.js';
import type { ThreatEntry } from '../threat/pool.js';
import type { EffectiveThreshold } from '../threat/lockout-threshold.js';
import type { Clock } from '../util/clock.js';
import type { BindRates } from './bind-rates.js';
import type { ConsoleQueries } from './queries.js';

export interface ConsoleDeps {
  config: Config;
  db: Db;
  clock: Clock;
  log: Logger;
  store: ConsoleStore;
  /** Fleet mode: where this node's changes wait for the fleet (dismissals). */
  outbox?: FleetOutbox | undefined;
  queries: ConsoleQueries;
  rates: BindRates;
  /** The running behaviour engine (live baselines and risk), when behaviour is on. */
  engine: BehaviorEngine | undefined;
  mapper: EventMapper;
  policy: RunningPolicy | undefined;
  incidents: IncidentStore | undefined;
  quarantine: Quarantine | undefined;
  upstreams: () => readonly { url: string; healthy: boolean; lastError?: string }[];
  connectors: () => readonly ConnectorHealth[];
  threats: (now: number) => readonly ThreatEntry[];
  /** Smart lockout's threshold as the running proxy derived it (HealthInsight compares it with the directory's). */
  lockout?: () => EffectiveThreshold;
}
