/** Builds step-up MFA from the config: the Okta connector and challenger, wrapped so failures become incidents. */
import { FailureKind } from './outcome.js';
import type { BindEvent } from '../proxy/bind-event.js';
import type { BindAttempt } from '../proxy/decision.js';
import type { Config } from '../config/load.js';
import type { EventMapper } from '../behavior/logon-event.js';
import { IncidentRecorder } from '../incidents/recorder.js';
import { Notifier } from '../incidents/notify.js';
import type { Quarantine } from '../incidents/quarantine.js';
import type { Logger } from '../log/logger.js';
import { OktaClient } from '../okta/client.js';
import type { Challenger } from '../proxy/decision.js';
import type { Db } from '../store/db.js';
import { IncidentStore } from '../store/incident-store.js';
import type { Clock } from '../util/clock.js';
import { Challenges } from './challenges.js';
import { OktaChallenger } from './okta-challenger.js';
import { unconfiguredChallenger } from './unconfigured.js';
import { withIncidents } from './with-incidents.js';
import { CodeInbox } from './code-inbox.js';
import { ChallengePage } from './challenge-page.js';

export interface RunningMfa {
  challenger: Challenger;
  challenges: Challenges | undefined;
  incidents: IncidentStore;
  notifier: Notifier;
  /** The challenge page, when configured: start() it, stop() it. */
  page: ChallengePage | undefined;
  /** A honeytoken account was used: a critical incident, through the failed-challenge path. */
  honeytoken: (ev: BindEvent) => void;
}

export function startMfa(config: Config, log: Logger, deps: { db: Db; clock: Clock; mapper: EventMapper; quarantine: Quarantine; isKnownEndpoint: (account: string, endpoint: string) => boolean; version: string }): RunningMfa {
  const m = config.mfa;
  const incidents = new IncidentStore(deps.db);
  const notifier = new Notifier({ targets: config.incidents.notify, store: incidents, clock: deps.clock, log });
  const recorder = new IncidentRecorder({ store: incidents, clock: deps.clock, log, quarantine: deps.quarantine, escalation: config.incidents.escalation, sink: notifier });
  const honeytoken = (ev: BindEvent): void => {
    const attempt: BindAttempt = {
      connectionId: ev.connectionId, listener: ev.listener, clientAddress: ev.clientAddress, clientPort: ev.clientPort, bindDn: ev.bindDn, tls: ev.tls,
      receivedAt: ev.time, signal: new AbortController().signal, ...(ev.assessment ? { assessment: ev.assessment } : {}),
    };
    recorder.record(attempt,
      { action: 'challenge', severity: 'critical', ruleId: 'honeytoken', onFailure: { quarantine: false, notify: config.threat.honeytokens.notify } },
      { result: 'failed', failure: FailureKind.Honeytoken, detail: `a bind as the honeytoken account ${ev.bindDn}` },
      deps.mapper.fromBind(ev));
  };
  if (!m.okta) return { challenger: withIncidents(unconfiguredChallenger(log), recorder, deps.mapper), challenges: undefined, incidents, notifier, page: undefined, honeytoken };
  const inbox = m.challengePage ? new CodeInbox(deps.clock) : undefined;
  for (const [app, timeoutMs] of Object.entries(m.appTimeoutsMs)) {
    if (timeoutMs < m.challengeTimeoutMs) {
      log.warn({ event: 'mfa_app_timeout', app, appTimeoutMs: timeoutMs, challengeTimeoutMs: m.challengeTimeoutMs },
        `app ${app} gives up on a bind after ${timeoutMs} ms, before a challenge may end (${m.challengeTimeoutMs} ms): its users may see timeouts while a push is pending`);
    }
  }
  const client = new OktaClient({
    orgUrl: m.okta.orgUrl, auth: m.okta.auth, requestTimeoutMs: m.okta.requestTimeoutMs, maxRateLimitWaitMs: m.okta.maxRateLimitWaitMs,
    maxRequestsPerSecond: m.okta.maxRequestsPerSecond,
    clock: deps.clock, userAgent: `bindwall/${deps.version}`,
  });
  const challenges = new Challenges({ rememberMs: m.rememberMs, maxPrompts: m.maxPromptsPerWindow, promptWindowMs: m.promptWindowMs, maxPromptsPerSource: m.maxPromptsPerSource }, deps.clock);
  const okta = new OktaChallenger({
    client, clock: deps.clock, log, mapper: deps.mapper, challenges, loginTemplate: m.okta.loginTemplate, challengeTimeoutMs: m.challengeTimeoutMs,
    pollIntervalMs: m.pollIntervalMs, numberMatching: m.numberMatching, defaultFailMode: m.failMode, unenrolled: m.unenrolled, isKnownEndpoint: deps.isKnownEndpoint,
    userAgent: `bindwall/${deps.version}`, ...(inbox ? { inbox } : {}),
  });
  log.info({ event: 'mfa_ready', orgUrl: m.okta.orgUrl, auth: m.okta.auth.type, failMode: m.failMode }, `step-up MFA through Okta at ${m.okta.orgUrl}`);
  return { challenger: withIncidents(okta.challenge, recorder, deps.mapper), challenges, incidents, notifier, page: inbox ? new ChallengePage(inbox, log, m.challengePage?.tls) : undefined, honeytoken };
}
