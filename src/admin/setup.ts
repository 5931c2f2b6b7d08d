/**
 * Starts the admin listener next to the proxy: the metrics fed by bind events and read from
 * the running parts at scrape time, readiness from the listeners, the directory and the
 * policy, and the status `bindwall status` prints.
 */
import type { BehaviorService } from '../behavior/service.js';
import type { Config } from '../config/load.js';
import type { RunningConnectors } from '../connectors/setup.js';
import type { Logger } from '../log/logger.js';
import type { RunningMfa } from '../mfa/setup.js';
import type { RunningPolicy } from '../policy/setup.js';
import type { BoundListener, Proxy } from '../proxy/server.js';
import { mapperFor } from '../behavior/setup.js';
import type { Db } from '../store/db.js';
import type { Quarantine } from '../incidents/quarantine.js';
import type { Clock } from '../util/clock.js';
import { AdminServer, type Readiness, type ReadinessCheck } from './server.js';
import type { FleetStatus, FleetSync } from '../fleet/sync.js';
import type { FleetOutbox } from '../store/fleet-outbox.js';
import { Metrics } from './metrics.js';

export interface RunningAdmin {
  metrics: Metrics;
  url: string | undefined;
  stop(): Promise<void>;
}

export interface AdminParts {
  proxy: Proxy;
  db: Db;
  quarantine?: Quarantine | undefined;
  behavior?: BehaviorService | undefined;
  mfa?: RunningMfa | undefined;
  policy?: RunningPolicy | undefined;
  connectors?: () => RunningConnectors | undefined;
  version: string;
  startedAt: number;
  /** Fleet mode's link to PostgreSQL, and where this node's changes wait for it. */
  fleet?: FleetSync | undefined;
  outbox?: FleetOutbox | undefined;
  /** The worker processes when workers.count > 1 (this process is their hub and listens on nothing itself). */
  workers?: () => WorkersStatus | undefined;
}

export interface WorkersStatus {
  count: number;
  running: number;
  restarts: number;
  /** Client connections open on the workers. */
  sessions: number;
  listeners: readonly BoundListener[];
}

/** The metrics, created before the parts that report to them (Okta clients, the policy watcher). */
export function createMetrics(parts: () => Partial<AdminParts>): Metrics {
  return new Metrics({
    upstreams: () => parts().proxy?.pool.status() ?? [],
    pendingChallenges: () => parts().mfa?.challenges?.pendingCount ?? 0,
    threatSources: () => parts().proxy?.threat?.entryCount ?? 0,
    connectors: () => parts().connectors?.()?.health() ?? [],
    lookups: () => ({ lookups: parts().behavior?.facts?.lookups ?? 0, failures: parts().behavior?.facts?.lookupFailures ?? 0 }),
    incidents: () => parts().mfa?.incidents.counts() ?? { open: 0, deadLetters: 0 },
    workers: () => parts().workers?.(),
    fleet: () => parts().fleet?.status(),
  });
}

/** Ready: a listener bound, a directory URL that answers now (checked at most every few seconds), a policy loaded. */
export async function readiness(p: AdminParts): Promise<Readiness> {
  const upstreams = await p.proxy.pool.checkAll();
  const workers = p.workers?.();
  const listening = (workers?.listeners ?? p.proxy.listeners).length > 0;
  const checks = [
    { name: 'listening', ok: listening, ...(listening ? {} : { detail: 'no listener is bound' }) },
    ...(workers ? [{ name: 'workers', ok: workers.running === workers.count, ...(workers.running === workers.count ? {} : { detail: `${workers.running} of ${workers.count} workers running (${workers.restarts} restarts)` }) }] : []),
    { name: 'directory', ok: upstreams.some((u) => u.healthy), ...(upstreams.some((u) => u.healthy) ? {} : { detail: `no directory URL is healthy (${upstreams.map((u) => u.url).join(', ')})` }) },
    { name: 'policy', ok: p.policy === undefined || p.policy.decider.policy !== undefined },
    ...(p.fleet ? [fleetCheck(p.fleet.status())] : []),
  ];
  return { ready: checks.every((c) => c.ok || c.optional), checks };
}

/**
 * The fleet database is reported, not required: a node without it keeps deciding from its own
 * state (fleet/README.md). Taking every node out of the balancer because PostgreSQL is down
 * would turn a degraded fleet into no login at all.
 */
function fleetCheck(f: FleetStatus): ReadinessCheck {
  if (f.connected) return { name: 'fleet', ok: true, optional: true, ...(f.listening ? {} : { detail: 'not listening for changes; reading them every reload' }) };
  return { name: 'fleet', ok: false, optional: true, detail: `fleet database unavailable (${f.lastError ?? 'connecting'}); deciding from this node's state, ${f.outbox} change(s) queued` };
}

export async function status(p: AdminParts, now: number): Promise<Record<string, unknown>> {
  const policy = p.policy?.decider.policy;
  const ready = await readiness(p);
  const workers = p.workers?.();
  return {
    version: p.version, startedAt: new Date(p.startedAt).toISOString(), uptimeS: Math.round((now - p.startedAt) / 1000),
    ready: ready.ready, checks: ready.checks,
    listeners: (workers?.listeners ?? p.proxy.listeners).map((l) => ({ name: l.name, url: l.url })),
    ...(workers ? { workers: { count: workers.count, running: workers.running, restarts: workers.restarts } } : {}),
    policy: policy ? { hash: policy.hash, rules: policy.rules.length, files: policy.files.length } : null,
    directory: p.proxy.pool.status().map((u) => ({ url: u.url, healthy: u.healthy, consecutiveFailures: u.consecutiveFailures, ...(u.lastError ? { lastError: u.lastError } : {}) })),
    sessions: p.proxy.activeSessions + (workers?.sessions ?? 0),
    challengesPending: p.mfa?.challenges?.pendingCount ?? 0,
    incidents: p.mfa?.incidents.counts() ?? null,
    behavior: p.behavior ? { ...p.behavior.engine.size, learning: p.behavior.engine.learningProgress(now) } : null,
    threatSources: p.proxy.threat?.entryCount ?? 0,
    connectors: p.connectors?.()?.health() ?? [],
    ...(p.fleet ? { fleet: p.fleet.status() } : {}),
  };
}

export async function startAdmin(config: Config, log: Logger, metrics: Metrics, parts: AdminParts, clock: Clock): Promise<RunningAdmin> {
  const a = config.admin;
  const mapper = mapperFor(config);
  // The app as the decision saw it; mapped here only for binds that were not decided (failed, refused …).
  parts.proxy.addSink((ev) => metrics.observeBind(ev, ev.app ?? mapper.appFor(ev.clientAddress, ev.listener)));
  parts.policy?.watcher?.onReload((r) => metrics.observeReload('policy', !r.diagnostics.some((d) => d.severity === 'error')));
  if (!a) return { metrics, url: undefined, stop: async () => undefined };
  // Loaded only when configured: the console's pages and certificate code stay out of a proxy that has none.
  const consoleApp = a.console ? await (await import('../console/setup.js')).startConsole(config, log, { proxy: parts.proxy, db: parts.db, quarantine: parts.quarantine, behavior: parts.behavior, mfa: parts.mfa, policy: parts.policy, connectors: parts.connectors ?? (() => undefined), outbox: parts.outbox }, clock) : undefined;
  const tls = consoleApp?.tls ?? a.tls;
  const server = new AdminServer({
    metrics, log, readiness: () => readiness(parts), status: () => status(parts, clock.now()),
    ...(a.token ? { token: a.token } : {}), ...(tls ? { tls } : {}), ...(consoleApp ? { console: consoleApp.app } : {}),
  });
  const url = await server.start(a.host, a.port);
  return { metrics, url, stop: () => server.stop() };
}
