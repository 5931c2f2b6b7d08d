/** Runs a proxy until SIGTERM/SIGINT, then drains in-flight operations and exits 0. */
import type { Config } from '../config/load.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Challenger, DecideFn } from '../proxy/decision.js';
import { Proxy, type BoundListener } from '../proxy/server.js';
import { mapperFor, startBehavior, type RunningBehavior } from '../behavior/setup.js';
import { Quarantine } from '../incidents/quarantine.js';
import { QuarantineStore } from '../store/quarantine-store.js';
import { startPolicy, type RunningPolicy } from '../policy/setup.js';
import { startMfa, type RunningMfa } from '../mfa/setup.js';
import { openDatabase, type Db } from '../store/db.js';
import { systemClock } from '../util/clock.js';
import { packageVersion } from '../util/package-root.js';

export interface RunningProxy {
  proxy: Proxy;
  listeners: readonly BoundListener[];
  policy: RunningPolicy | undefined;
  mfa: RunningMfa | undefined;
  /** Resolves after a signal-triggered shutdown completes. */
  stopped: Promise<void>;
}

/** How often the proxy re-reads quarantined accounts (the CLI may change them meanwhile). */
const QUARANTINE_REFRESH_MS = 5_000;

export async function runProxy(config: Config, log: Logger, opts: { decide?: DecideFn; challenge?: Challenger; onStop?: () => Promise<void> } = {}): Promise<RunningProxy> {
  let behavior: RunningBehavior | undefined;
  let quarantine: Quarantine | undefined;
  let policy: RunningPolicy | undefined;
  let mfa: RunningMfa | undefined;
  let ownDb: Db | undefined;
  let proxy: Proxy;
  let listeners;
  const closeAll = (): void => {
    void mfa?.page?.stop();
    policy?.close();
    quarantine?.close();
    behavior?.close();
    ownDb?.close();
  };
  try {
    behavior = config.behavior.enabled ? startBehavior(config, log) : undefined;
    // Quarantine and incidents live in the same database as behaviour, open or not.
    const db = behavior?.db ?? (ownDb = openDatabase(config.storage.path));
    const mapper = mapperFor(config);
    quarantine = new Quarantine({ store: new QuarantineStore(db), clock: systemClock, log, refreshMs: QUARANTINE_REFRESH_MS });
    policy = opts.decide ? undefined : startPolicy(config, log, { mapper, quarantine });
    const engine = behavior?.service.engine;
    mfa = opts.challenge ? undefined : startMfa(config, log, {
      db, clock: systemClock, mapper, quarantine, version: packageVersion(),
      isKnownEndpoint: (account, endpoint) => engine?.account(account)?.endpoints.has(endpoint) ?? false,
    });
    const decide = opts.decide ?? policy!.decider.decide;
    const challenge = opts.challenge ?? mfa!.challenger;
    proxy = new Proxy({ config, log, decide, challenge, ...(behavior ? { behavior: behavior.service } : {}) });
    if (mfa?.page && config.mfa.challengePage) await mfa.page.start(config.mfa.challengePage.host, config.mfa.challengePage.port);
    listeners = await proxy.start();
  } catch (err) {
    closeAll();
    throw err;
  }
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => { resolveStopped = r; });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'signal', signal }, `received ${signal}`);
    policy?.close();
    proxy.stop()
      .then(() => mfa?.notifier.drain())
      .then(() => closeAll())
      .then(() => opts.onStop?.())
      .catch((err: unknown) => log.error({ event: 'stop_error', error: describeError(err) }, 'error while stopping'))
      .finally(() => {
        log.flush();
        resolveStopped();
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { proxy, listeners, policy, mfa, stopped };
}
