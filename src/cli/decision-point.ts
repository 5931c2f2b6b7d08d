/**
 * The decision point as `bindwall start` assembles it: quarantine and incidents in the
 * behaviour database (opened here when behaviour is off), the policy from policy.dir, and
 * step-up MFA with its web listener, response workflows and UserInsight. The test helpers
 * build the proxy the same way.
 */
import { mapperFor, type RunningBehavior } from '../behavior/setup.js';
import type { Config } from '../config/load.js';
import { Quarantine } from '../incidents/quarantine.js';
import type { Logger } from '../log/logger.js';
import { startMfa, type RunningMfa } from '../mfa/setup.js';
import { startPolicy, type RunningPolicy } from '../policy/setup.js';
import { openDatabase, type Db } from '../store/db.js';
import { QuarantineStore } from '../store/quarantine-store.js';
import { FleetOutbox } from '../store/fleet-outbox.js';
import { startFleet } from '../fleet/setup.js';
import type { FleetSync } from '../fleet/sync.js';
import { FleetChallenges } from '../fleet/challenges.js';
import type { Clock } from '../util/clock.js';
import { startUserInsight, type RunningInsight } from '../insight/setup.js';

export interface DecisionPoint {
  quarantine: Quarantine;
  /** Fleet mode's link to PostgreSQL (storage.postgres). */
  fleet: FleetSync | undefined;
  /** Where this node's changes wait for the fleet (fleet mode). */
  outbox: FleetOutbox | undefined;
  /** The database quarantine, incidents and threat entries live in. */
  db: Db;
  policy: RunningPolicy | undefined;
  mfa: RunningMfa | undefined;
  /** UserInsight, when configured (it needs the web listener, so MFA). */
  insight: RunningInsight | undefined;
  /** Starts the challenge page when one is configured. */
  startPage(): Promise<void>;
  /** Lets notifications finish, then closes everything this opened. */
  close(): Promise<void>;
}

export function startDecisionPoint(config: Config, log: Logger, o: {
  behavior: RunningBehavior | undefined; clock: Clock; version: string; policy: boolean; mfa: boolean; quarantineRefreshMs?: number;
  onOktaResponse?: (status: number | 'error') => void;
}): DecisionPoint {
  const ownDb = o.behavior ? undefined : openDatabase(config.storage.path);
  const db = o.behavior?.db ?? ownDb!;
  const mapper = mapperFor(config);
  let quarantine: Quarantine | undefined;
  let policy: RunningPolicy | undefined;
  let fleet: FleetSync | undefined;
  try {
    // Only a node that pushes it keeps an outbox: a store that left the fleet must not grow one.
    const outbox = config.storage.postgres ? new FleetOutbox(db) : undefined;
    const quarantineStore = new QuarantineStore(db, { outbox });
    quarantine = new Quarantine({ store: quarantineStore, clock: o.clock, log, ...(o.quarantineRefreshMs ? { refreshMs: o.quarantineRefreshMs } : {}) });
    fleet = startFleet(config, log, { db, outbox, quarantineStore, quarantine, clock: o.clock });
    policy = o.policy ? startPolicy(config, log, { mapper, quarantine, clock: o.clock }) : undefined;
    const engine = o.behavior?.service.engine;
    const mfa = o.mfa ? startMfa(config, log, {
      db, clock: o.clock, mapper, quarantine, version: o.version, ...(o.onOktaResponse ? { onOktaResponse: o.onOktaResponse } : {}),
      ...(fleet && config.storage.postgres ? { fleet: { outbox: outbox!, node: config.storage.postgres.node } } : {}),
      isKnownEndpoint: (account, endpoint) => engine?.knowsDevice(account, endpoint, o.clock.now(), o.behavior?.service.mapper.nameOf(endpoint)) ?? false,
    }) : undefined;
    // Fleet mode: a login's challenge runs once across the nodes (fleet/challenges.ts).
    if (fleet && mfa?.challenges) mfa.challenges.coordinator = new FleetChallenges(fleet, o.clock, log.child({ part: 'fleet' }));
    const insight = mfa?.page ? startUserInsight(config, log, {
      db, clock: o.clock, web: mfa.page, recorder: mfa.recorder, incidents: mfa.incidents,
      ...(o.behavior ? { behavior: o.behavior.service } : {}), ...(mfa.okta ? { okta: mfa.okta } : {}),
    }) : undefined;
    const q = quarantine;
    return {
      quarantine: q, fleet, outbox, policy, mfa, db, insight,
      startPage: async () => {
        if (mfa?.page && config.mfa.challengePage) await mfa.page.start(config.mfa.challengePage.host, config.mfa.challengePage.port);
      },
      close: async () => {
        await mfa?.runner.drain();
        await insight?.drain();
        insight?.close();
        await mfa?.page?.stop();
        policy?.close();
        await fleet?.stop();
        q.close();
        ownDb?.close();
      },
    };
  } catch (err) {
    policy?.close();
    void fleet?.stop();
    quarantine?.close();
    ownDb?.close();
    throw err;
  }
}
