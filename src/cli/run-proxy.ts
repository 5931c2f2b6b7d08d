/** Runs a proxy until SIGTERM/SIGINT, then drains in-flight operations and exits 0. */
import type { Config } from '../config/load.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { BindAttempt, Challenger, DecideFn } from '../proxy/decision.js';
import { Proxy, type BoundListener } from '../proxy/server.js';
import { startBehavior, type RunningBehavior } from '../behavior/setup.js';
import type { RunningPolicy } from '../policy/setup.js';
import type { RunningMfa } from '../mfa/setup.js';
import { startDecisionPoint, type DecisionPoint } from './decision-point.js';
import { ThreatStore } from '../store/threat-store.js';
import { LockoutStore } from '../store/lockout-store.js';
import { lockoutPolicySource } from '../directory/lockout-policy.js';
import { startConnectors, type RunningConnectors } from '../connectors/setup.js';
import { markRunning } from '../store/running.js';
import { systemClock } from '../util/clock.js';
import { packageVersion } from '../util/package-root.js';
import { reloadConfig } from './config-reload.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { checkConnections } from './connect-check.js';
import { createMetrics, startAdmin, type AdminParts, type RunningAdmin } from '../admin/setup.js';
import { Hub } from '../workers/hub.js';
import { attachProxy, type AttachedFleet } from '../fleet/attach.js';
import { LOCK_CONNECTORS } from '../fleet/schema.js';
import { startWorkers, type RunningWorkers } from '../workers/cluster.js';

export interface RunningProxy {
  proxy: Proxy;
  listeners: readonly BoundListener[];
  policy: RunningPolicy | undefined;
  mfa: RunningMfa | undefined;
  /** The admin listener's URL (metrics, status, the console), when admin: is configured. */
  adminUrl: string | undefined;
  /** Resolves after a signal-triggered shutdown completes. */
  stopped: Promise<void>;
}

/** How often the proxy re-reads quarantined accounts (the CLI may change them meanwhile). */
const QUARANTINE_REFRESH_MS = 5_000;

export async function runProxy(config: Config, log: Logger, opts: { decide?: DecideFn; challenge?: Challenger; onStop?: () => Promise<void> } = {}): Promise<RunningProxy> {
  let behavior: RunningBehavior | undefined;
  let point: DecisionPoint | undefined;
  let connectors: RunningConnectors | undefined;
  let unmark: (() => void) | undefined;
  let proxy: Proxy;
  let listeners;
  let admin: RunningAdmin | undefined;
  let workers: RunningWorkers | undefined;
  const startedAt = systemClock.now();
  const parts: Partial<AdminParts> = {};
  const metrics = createMetrics(() => parts);
  let fleet: AttachedFleet | undefined;
  const closeAll = async (): Promise<void> => {
    unmark?.();
    await admin?.stop();
    await fleet?.stop();
    await connectors?.stop();
    await point?.close();
    behavior?.close();
  };
  try {
    behavior = config.behavior.enabled ? startBehavior(config, log) : undefined;
    point = startDecisionPoint(config, log, {
      behavior, clock: systemClock, version: packageVersion(), policy: !opts.decide, mfa: !opts.challenge, quarantineRefreshMs: QUARANTINE_REFRESH_MS,
      onOktaResponse: (s) => metrics.observeOkta('mfa', s),
    });
    const decide = opts.decide ?? point.policy!.decider.decide;
    const challenge = opts.challenge ?? point.mfa!.challenger;
    const lockoutPolicy = lockoutPolicySource(config, systemClock, log);
    proxy = new Proxy({ config, log, decide, challenge, threatStore: new ThreatStore(point.db), lockoutStore: new LockoutStore(point.db), ...(lockoutPolicy ? { lockoutPolicy } : {}), ...(point.mfa ? { onHoneytoken: point.mfa.honeytoken } : {}), ...(point.insight ? { onPasswordChanged: point.insight.passwordChanged } : {}), ...(behavior ? { behavior: behavior.service } : {}) });
    // Fleet mode: what this proxy sees is shared, and what other nodes changed reaches it (fleet/).
    if (point.fleet) fleet = await attachProxy(point.fleet, { config: config.storage.postgres!, db: point.db, proxy, behavior: behavior?.service, clock: systemClock, log });
    await point.startPage();
    const workerCount = config.workers?.count ?? 1;
    if (workerCount > 1) {
      // This process is the hub: it keeps the state and decides; the workers listen (workers/).
      const b = behavior;
      const hub = new Hub({
        proxy, decide, challenge, log, clock: systemClock, claimTimeoutMs: config.workers!.hubTimeoutMs,
        ...(b ? { assess: (a: BindAttempt) => b.service.assessAttempt(a) } : {}),
        ...(point.insight ? { onPasswordChanged: point.insight.passwordChanged } : {}),
        ...(proxy.lockout ? { tagKey: proxy.lockout.tagKey } : {}),
      });
      await proxy.start({ listen: false });
      workers = await startWorkers(workerCount, config.workers!.balance, hub, log, systemClock);
      listeners = workers.listeners;
    } else {
      listeners = await proxy.start();
    }
    const p = point;
    const startConn = (): Promise<RunningConnectors | undefined> => startConnectors(config, log, {
      db: p.db, behavior: behavior?.service, version: packageVersion(), ...(p.insight ? { onOktaEvent: p.insight.fromOkta } : {}),
      onOktaResponse: (s) => metrics.observeOkta('connector', s), outbox: p.outbox,
    });
    if (fleet && config.connectors.oktaSso) {
      // Fleet mode: the connectors run on one node at a time.
      fleet.lead('connectors', LOCK_CONNECTORS, async () => { connectors = await startConn(); }, async () => {
        const c = connectors;
        connectors = undefined;
        await c?.stop();
      });
    } else connectors = await startConn();
    const w = workers;
    if (w) parts.workers = () => ({ count: w.count, running: w.running(), restarts: w.restarts(), sessions: w.sessions(), listeners: w.listeners });
    Object.assign(parts, { proxy, db: point.db, quarantine: point.quarantine, fleet: point.fleet, outbox: point.outbox, behavior: behavior?.service, mfa: point.mfa, policy: point.policy, connectors: () => connectors, version: packageVersion(), startedAt });
    admin = await startAdmin(config, log, metrics, parts as AdminParts, systemClock);
    unmark = markRunning(config.storage.path);
    // What doctor would find, said in the log once running (nothing waits for it).
    void checkConnections(config).then((found) => {
      const bad = found.filter((c) => !c.ok);
      for (const c of bad) log.warn({ event: 'doctor', what: c.what, code: c.code, error: c.message, fix: c.fix }, `${c.what}: ${c.message} (fix: ${c.fix})`);
      log.info({ event: 'doctor_done', checked: found.length, problems: bad.length }, bad.length ? `startup checks: ${bad.length} problem(s) of ${found.length}` : `startup checks: all ${found.length} ok`);
    }, (err: unknown) => log.error({ event: 'doctor_failed', error: describeError(err) }, 'startup checks could not run'));
  } catch (err) {
    await workers?.stop(0);
    await closeAll();
    throw err;
  }
  const { policy, mfa } = point;
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => { resolveStopped = r; });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'signal', signal }, `received ${signal}`);
    policy?.close();
    // Workers drain first: their binds still need the hub's answers.
    (workers ? workers.stop(config.limits.shutdownGraceMs) : Promise.resolve())
      .then(() => proxy.stop())
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
  // SIGHUP reloads the config instead of ending the process (its default).
  const running = { config };
  const onHup = (): void => {
    if (stopping) return;
    log.info({ event: 'signal', signal: 'SIGHUP' }, 'received SIGHUP: reloading the config');
    const r = reloadConfig(config.file, running, {
      log, reloadTls: (ls) => proxy.reloadTls(ls),
      ...(mfa ? { setNotifyTargets: (t) => mfa.notifier.setTargets(t), setWorkflows: (w) => mfa.runner.setWorkflows(w), tuneMfa: (m) => mfa.tune(m) } : {}),
      ...(policy ? { reloadPolicy: () => policy.reload(), retargetPolicy: (c) => policy.retarget(c).map(formatDiagnostic) } : {}),
    });
    metrics.observeReload('config', r.ok);
    workers?.reload();
  };
  process.on('SIGHUP', onHup);
  return { proxy, listeners, policy, mfa, adminUrl: admin?.url, stopped };
}
