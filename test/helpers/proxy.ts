/**
 * Starts bindwall's proxy in-process on an OS-chosen loopback port, configured through
 * the same YAML validation path as a real config file, logging JSON lines to a file the
 * test can read back.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromObject, type Config } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/logger.js';
import type { BindEvent } from '../../src/proxy/bind-event.js';
import type { Challenger, DecideFn } from '../../src/proxy/decision.js';
import { Proxy } from '../../src/proxy/server.js';
import { startBehavior } from '../../src/behavior/setup.js';
import type { BehaviorService } from '../../src/behavior/service.js';
import type { Clock } from '../../src/util/clock.js';
import type { RunningPolicy } from '../../src/policy/setup.js';
import type { RunningMfa } from '../../src/mfa/setup.js';
import type { Quarantine } from '../../src/incidents/quarantine.js';
import { startDecisionPoint } from '../../src/cli/decision-point.js';
import { systemClock } from '../../src/util/clock.js';
import { lockoutPolicySource } from '../../src/directory/lockout-policy.js';
import { LockoutStore } from '../../src/store/lockout-store.js';
import { ThreatStore } from '../../src/store/threat-store.js';
import type { RunningInsight } from '../../src/insight/setup.js';
import type { Db } from '../../src/store/db.js';

export interface TestProxy {
  proxy: Proxy;
  config: Config;
  /** ldap:// URL of the first listener. */
  url: string;
  urls: Record<string, string>;
  events: BindEvent[];
  logFile: string;
  logLines(): Record<string, unknown>[];
  behavior: BehaviorService | undefined;
  /** The real policy engine (with `policy: true`): decider, watcher. */
  policy: RunningPolicy | undefined;
  quarantine: Quarantine | undefined;
  /** Step-up MFA and incidents (with `policy: true`). */
  mfa: RunningMfa | undefined;
  /** UserInsight (with `policy: true` and userInsight configured). */
  insight: RunningInsight | undefined;
  /** The database (with `policy: true`). */
  db: Db | undefined;
  stop(graceMs?: number): Promise<void>;
}

export type ProxyConfigInput = Partial<ConfigInput> & { directory: ConfigInput['directory'] };

export async function startProxy(input: ProxyConfigInput, opts: { decide?: DecideFn; challenge?: Challenger; clock?: Clock; behavior?: boolean; policy?: boolean } = {}): Promise<TestProxy> {
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-proxy-'));
  const full: ConfigInput = {
    listeners: [{ name: 'test', host: '127.0.0.1', port: 0 }],
    storage: { path: join(dir, 'bindwall.db') },
    log: { level: 'debug' },
    ...input,
  };
  const config = configFromObject(join(dir, 'bindwall.yaml'), full);
  const logFile = join(dir, 'bindwall.log');
  const log = createLogger({ level: 'debug', destination: logFile });
  const events: BindEvent[] = [];
  const { behavior: withBehavior, policy: withPolicy, ...proxyOpts } = opts;
  const behavior = withBehavior ? startBehavior(config, log, opts.clock, { upkeepCron: null }) : undefined;
  // The same assembly as `bindwall start`: quarantine, policy from policy.dir, MFA and incidents.
  const point = withPolicy ? startDecisionPoint(config, log, { behavior, clock: opts.clock ?? systemClock, version: 'test', policy: true, mfa: true }) : undefined;
  const policy = point?.policy;
  const mfa = point?.mfa;
  const quarantine = point?.quarantine;
  const lockoutPolicy = lockoutPolicySource(config, opts.clock ?? systemClock, log);
  const proxy = new Proxy({
    config, log, sinks: [(e) => events.push(e)],
    ...(policy && mfa ? { decide: policy.decider.decide, challenge: mfa.challenger } : {}),
    ...(point ? { threatStore: new ThreatStore(point.db), lockoutStore: new LockoutStore(point.db) } : {}),
    ...(mfa ? { onHoneytoken: mfa.honeytoken } : {}),
    ...(point?.insight ? { onPasswordChanged: point.insight.passwordChanged } : {}),
    ...proxyOpts, ...(behavior ? { behavior: behavior.service } : {}),
    ...(lockoutPolicy ? { lockoutPolicy } : {}),
  });
  await point?.startPage();
  const listeners = await proxy.start();
  const urls = Object.fromEntries(listeners.map((l) => [l.name, l.url]));
  return {
    proxy, config, url: listeners[0]!.url, urls, events, logFile,
    logLines: () => readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
    behavior: behavior?.service,
    policy,
    quarantine,
    mfa,
    insight: point?.insight,
    db: point?.db,
    stop: async (graceMs = 0) => {
      point?.policy?.close(); // no reload while stopping
      await proxy.stop(graceMs);
      await point?.close();
      behavior?.close();
      log.flush();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
