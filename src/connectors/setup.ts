/**
 * Starts the configured connectors next to the proxy: today the Okta SSO connector, whose
 * sign-ins the behaviour engine learns as the same people's logons. Its schedule runs on
 * node-cron when the interval is whole minutes, else on the clock.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { BehaviorService } from '../behavior/service.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { OktaClient } from '../okta/client.js';
import { ConnectorStore } from '../store/connector-store.js';
import type { Db } from '../store/db.js';
import type { FleetOutbox } from '../store/fleet-outbox.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { ConnectorHealth } from './health.js';
import { logonFromOkta } from './okta-sso/mapping.js';
import { OktaLogPoller } from './okta-sso/poller.js';
import { OktaEventHook } from './okta-sso/event-hook.js';
import { OktaUserDirectory } from './okta-sso/user-facts.js';
import { describeError } from '../errors.js';
import { isIP } from 'node:net';
import { ThreatStore } from '../store/threat-store.js';
import { ThreatKind, ThreatLevel } from '../threat/pool.js';
import type { OktaLogEvent } from './okta-sso/mapping.js';

export const OKTA_SSO = 'okta-sso';

/** Events after which a person's Okta facts are read again. */
const FACT_CHANGES: ReadonlySet<string> = new Set([
  'user.mfa.factor.activate', 'user.mfa.factor.deactivate', 'user.mfa.factor.reset_all', 'user.mfa.factor.update',
  'user.account.lock', 'user.account.unlock', 'user.account.unlock_by_admin', 'user.lifecycle.suspend', 'user.lifecycle.unsuspend', 'user.lifecycle.deactivate',
]);

export interface RunningConnectors {
  health(): ConnectorHealth[];
  /** The Okta event hook's URL, when one is configured. */
  eventHookUrl?: string;
  /** Polls every connector now, and reads the people it brought in (tests, and `bindwall connectors --poll` later). */
  pollNow(): Promise<void>;
  /** What Okta says of people the connector saw. */
  people: OktaUserDirectory;
  stop(): Promise<void>;
}

/** `onOktaEvent`: every System Log event, to others that act on them (UserInsight: factor and password changes). */
export async function startConnectors(config: Config, log: Logger, deps: {
  db: Db; behavior: BehaviorService | undefined; clock?: Clock; version: string; autoStart?: boolean; onOktaEvent?: (e: OktaLogEvent) => void;
  /** Fleet mode: each page's cursor goes to the fleet, so the node that takes over resumes there. */
  outbox?: FleetOutbox | undefined;
  onOktaResponse?: (status: number | 'error') => void;
}): Promise<RunningConnectors | undefined> {
  const c = config.connectors.oktaSso;
  if (!c) return undefined;
  const clock = deps.clock ?? systemClock;
  if (!deps.behavior) log.warn({ event: 'connector_without_behavior', connector: OKTA_SSO }, 'connectors.oktaSso is configured but behavior.enabled is false: its events are read and dropped');
  const client = new OktaClient({
    orgUrl: c.orgUrl, auth: c.auth, requestTimeoutMs: c.requestTimeoutMs, maxRateLimitWaitMs: 0, clock,
    userAgent: `bindwall/${deps.version} (okta-sso connector)`, maxConcurrentRequests: 2, maxResponseBytes: 64 * 1024 * 1024,
    ...(deps.onOktaResponse ? { onResponse: deps.onOktaResponse } : {}),
  });
  const store = new ConnectorStore(deps.db, undefined, { outbox: deps.outbox });
  const threats = new ThreatStore(deps.db);
  const fromThreatInsight = (e: OktaLogEvent): void => {
    const ip = e.client?.ipAddress;
    if (!ip || isIP(ip) === 0) return;
    const now = clock.now();
    const level = e.outcome?.result === 'DENY' ? ThreatLevel.High : ThreatLevel.Medium;
    const had = threats.get(ip, now);
    const rank = { low: 1, medium: 2, high: 3 } as const;
    const reason = `Okta ThreatInsight: ${e.outcome?.reason ?? 'a high-threat request'} (${e.outcome?.result ?? 'seen'})`;
    const keep = had && rank[had.level] >= rank[level];
    try {
      threats.put({
        key: ip, level: keep ? had.level : level, reasons: [...new Set([reason, ...(had?.reasons ?? [])])].slice(0, 5),
        kinds: [...new Set([ThreatKind.OktaThreatInsight, ...(had?.kinds ?? [])])], since: had?.since ?? now, updated: now,
        expires: Math.max(had?.expires ?? 0, now + 3_600_000), ...(had?.manual ? { manual: true } : {}), ...(had?.blocked ? { blocked: had.blocked } : {}),
      });
    } catch (err) {
      log.error({ event: 'storage_error', error: describeError(err) }, 'could not store Okta ThreatInsight\'s verdict');
    }
  };
  // What Okta says of the people it brings in (status, factors, apps), looked up in the background.
  const people = new OktaUserDirectory(client, clock, log);
  people.onFacts = (account, facts) => {
    try {
      store.saveFacts(account, facts, clock.now());
    } catch (err) {
      log.error({ event: 'storage_error', error: describeError(err) }, 'could not store a person\'s Okta facts');
    }
  };
  if (deps.behavior) deps.behavior.cloudFacts = (account) => people.get(account);
  const poller = new OktaLogPoller({
    name: OKTA_SSO, source: client, store, clock, log,
    onEvent: (e) => {
      const login = e.actor?.alternateId;
      // Okta says a person's factors or status changed: read them again.
      if (FACT_CHANGES.has(e.eventType) && login && deps.behavior) people.want(deps.behavior.identityOf(login), login, true);
      // Okta ThreatInsight's verdict on an address joins the pool (the proxy takes it in within seconds).
      if (e.eventType === 'security.threat.detected') fromThreatInsight(e);
      try {
        deps.onOktaEvent?.(e);
      } catch (err) {
        log.error({ event: 'connector_observer_failed', connector: OKTA_SSO, error: describeError(err) }, 'handing an Okta event on failed');
      }
      const logon = logonFromOkta(e);
      if (!logon || !deps.behavior) return;
      deps.behavior.recordLogon(logon);
      if (logon.kind === 'human' && logon.result === 'success') people.want(deps.behavior.identityOf(logon.bindName), logon.bindName);
    },
    pollIntervalMs: c.pollIntervalMs, lookbackMs: c.lookbackMs, pageLimit: c.pageLimit, maxPagesPerPoll: c.maxPagesPerPoll,
    requestTimeoutMs: c.requestTimeoutMs, staleAfterMs: c.staleAfterMs,
  });
  log.info({ event: 'connector_started', connector: OKTA_SSO, orgUrl: c.orgUrl, pollIntervalMs: c.pollIntervalMs }, `connector ${OKTA_SSO}: reading ${c.orgUrl}'s System Log every ${Math.round(c.pollIntervalMs / 1000)} s`);
  let task: ScheduledTask | undefined;
  if (deps.autoStart !== false) {
    const minutes = c.pollIntervalMs / 60_000;
    if (clock === systemClock && Number.isInteger(minutes) && minutes >= 1 && minutes <= 59) {
      void poller.poll();
      task = cron.schedule(`*/${minutes} * * * *`, () => poller.poll(), { name: 'bindwall-okta-sso', noOverlap: true });
    } else poller.start();
  }
  const hook = c.eventHook ? new OktaEventHook({ ...c.eventHook, log, clock, receive: (events) => poller.receive(events) }) : undefined;
  const eventHookUrl = hook ? await hook.start() : undefined;
  return {
    health: () => [poller.health],
    ...(eventHookUrl ? { eventHookUrl } : {}),
    pollNow: async () => {
      await poller.poll();
      await people.drain();
    },
    people,
    stop: async () => {
      void task?.destroy();
      poller.stop();
      await hook?.stop();
    },
  };
}
