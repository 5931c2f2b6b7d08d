/**
 * Starts the console on the admin listener (admin.console): its certificate (admin.tls, or
 * one made on first start), the bind-rate counter fed by the proxy, sign-ins through the
 * proxy's own path, and the pages over the running parts.
 */
import type { BehaviorService } from '../behavior/service.js';
import type { Config, TlsMaterial } from '../config/load.js';
import type { RunningConnectors } from '../connectors/setup.js';
import type { Quarantine } from '../incidents/quarantine.js';
import type { Logger } from '../log/logger.js';
import type { RunningMfa } from '../mfa/setup.js';
import type { RunningPolicy } from '../policy/setup.js';
import type { Proxy } from '../proxy/server.js';
import { ConsoleStore } from '../store/console-store.js';
import type { Db } from '../store/db.js';
import type { FleetOutbox } from '../store/fleet-outbox.js';
import { ThreatStore } from '../store/threat-store.js';
import type { Clock } from '../util/clock.js';
import { canonicalAccount } from '../behavior/logon-event.js';
import { mapperFor } from '../behavior/setup.js';
import { ConsoleApp } from './app.js';
import { BindRates } from './bind-rates.js';
import { consoleCertificate } from './certificate.js';
import { ConsoleQueries } from './queries.js';
import { SignIns } from './sign-in.js';

export interface ConsoleParts {
  proxy: Proxy;
  db: Db;
  quarantine: Quarantine | undefined;
  behavior: BehaviorService | undefined;
  mfa: RunningMfa | undefined;
  policy: RunningPolicy | undefined;
  connectors: () => RunningConnectors | undefined;
  /** Fleet mode: sessions and dismissals reach every node. */
  outbox?: FleetOutbox | undefined;
}

export async function startConsole(config: Config, log: Logger, p: ConsoleParts, clock: Clock): Promise<{ app: ConsoleApp; tls: TlsMaterial }> {
  const a = config.admin!;
  const c = a.console!;
  let tls = a.tls;
  if (!tls) {
    const made = await consoleCertificate(config.storage.path, a.host, clock.now());
    tls = made;
    log.info({ event: 'console_certificate', file: made.certFile, created: made.created, fingerprint: made.fingerprint },
      `${made.created ? 'made a self-signed certificate' : 'using the self-signed certificate'} for the console (${made.certFile}; SHA-256 ${made.fingerprint}): set admin.tls to use your own`);
  }
  const rates = new BindRates();
  p.proxy.addSink((ev) => rates.observe(ev));
  const threats = new ThreatStore(p.db);
  const signIns = new SignIns({
    connect: (o) => p.proxy.connectInternal(o), console: c, ...(config.mfa.otpDelimiter ? { otpDelimiter: config.mfa.otpDelimiter } : {}),
    // The challenge's own deadline, and a margin for the directory and the lookup.
    deadlineMs: config.mfa.challengeTimeoutMs + config.directory.operationTimeoutMs + 5_000, clock, log,
    ...(p.behavior?.facts ? { resolveDn: async (name: string) => (await p.behavior!.facts!.get(canonicalAccount(name), name))?.dn } : {}),
  });
  const app = new ConsoleApp({
    config, db: p.db, clock, log, store: new ConsoleStore(p.db, { outbox: p.outbox, node: config.storage.postgres?.node ?? 'local' }), outbox: p.outbox, queries: new ConsoleQueries(p.db), rates,
    engine: p.behavior?.engine, mapper: p.behavior?.mapper ?? mapperFor(config), policy: p.policy, incidents: p.mfa?.incidents, quarantine: p.quarantine,
    upstreams: () => p.proxy.pool.status(), connectors: () => p.connectors()?.health() ?? [], threats: (now) => threats.active(now),
    lockout: () => p.proxy.lockoutThreshold,
  }, signIns);
  return { app, tls };
}
