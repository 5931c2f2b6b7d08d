/**
 * Builds step-up MFA from the config: the Okta connector and challenger, wrapped so failures
 * become incidents and their responses run; and the web listener the challenge page (and
 * UserInsight's links) are served on.
 */
import { FailureKind } from './outcome.js';
import type { BindEvent } from '../proxy/bind-event.js';
import type { BindAttempt } from '../proxy/decision.js';
import type { Config } from '../config/load.js';
import type { EventMapper } from '../behavior/logon-event.js';
import { IncidentRecorder } from '../incidents/recorder.js';
import type { FleetOutbox } from '../store/fleet-outbox.js';
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
import { challengePageRoute } from './challenge-page.js';
import { WebServer } from '../web/server.js';
import { ResponseRunner } from '../response/runner.js';
import { OktaActions } from '../response/okta-actions.js';
import { releaseWhenVerified } from '../response/release.js';

export interface RunningMfa {
  challenger: Challenger;
  challenges: Challenges | undefined;
  incidents: IncidentStore;
  notifier: Notifier;
  /** The web listener (mfa.challengePage), when configured: start() it, stop() it. */
  page: WebServer | undefined;
  recorder: IncidentRecorder;
  runner: ResponseRunner;
  /** The Okta client (mfa.okta), for others that act on people (UserInsight's addresses). */
  okta: OktaClient | undefined;
  /** Applies new MFA settings (timeouts, fail modes, prompt limits, rememberMs) to the running challenger. */
  tune(m: Config['mfa']): void;
  /** A honeytoken account was used: a critical incident, through the failed-challenge path. */
  honeytoken: (ev: BindEvent) => void;
}

export function startMfa(config: Config, log: Logger, deps: {
  db: Db; clock: Clock; mapper: EventMapper; quarantine: Quarantine; isKnownEndpoint: (account: string, endpoint: string) => boolean; version: string;
  onOktaResponse?: (status: number | 'error') => void;
  /** Fleet mode: incidents also go to the fleet (store/incident-store.ts). */
  fleet?: { outbox: FleetOutbox; node: string };
}): RunningMfa {
  const m = config.mfa;
  const incidents = new IncidentStore(deps.db, deps.fleet ?? {});
  const notifier = new Notifier({ targets: config.incidents.notify, store: incidents, clock: deps.clock, log });
  const client = m.okta ? new OktaClient({
    orgUrl: m.okta.orgUrl, auth: m.okta.auth, requestTimeoutMs: m.okta.requestTimeoutMs, maxRateLimitWaitMs: m.okta.maxRateLimitWaitMs,
    maxRequestsPerSecond: m.okta.maxRequestsPerSecond,
    clock: deps.clock, userAgent: `bindwall/${deps.version}`, ...(deps.onOktaResponse ? { onResponse: deps.onOktaResponse } : {}),
  }) : undefined;
  const challenges = m.okta ? new Challenges({ rememberMs: m.rememberMs, maxPrompts: m.maxPromptsPerWindow, promptWindowMs: m.promptWindowMs, maxPromptsPerSource: m.maxPromptsPerSource }, deps.clock) : undefined;
  const runner = new ResponseRunner({
    workflows: config.responses, store: incidents, clock: deps.clock, log, retry: config.incidents.responseRetry, notifier, quarantine: deps.quarantine,
    ...(challenges ? { forgetPasses: (account: string) => challenges.forget(account) } : {}),
    ...(client && m.okta ? { okta: new OktaActions({ client, loginTemplate: m.okta.loginTemplate, requestTimeoutMs: m.okta.requestTimeoutMs, clock: deps.clock }) } : {}),
  });
  const recorder = new IncidentRecorder({ store: incidents, clock: deps.clock, log, escalation: config.incidents.escalation, runner });
  const release = releaseWhenVerified({ quarantine: deps.quarantine, store: incidents, clock: deps.clock, log });
  const page = m.challengePage ? new WebServer(log, m.challengePage.tls) : undefined;
  const honeytoken = (ev: BindEvent): void => {
    const attempt: BindAttempt = {
      connectionId: ev.connectionId, listener: ev.listener, clientAddress: ev.clientAddress, clientPort: ev.clientPort, bindDn: ev.bindDn, tls: ev.tls,
      receivedAt: ev.time, signal: new AbortController().signal, ...(ev.assessment ? { assessment: ev.assessment } : {}),
    };
    recorder.record(attempt,
      { action: 'challenge', severity: 'critical', ruleId: 'honeytoken', onFailure: { quarantine: false, notify: config.threat.honeytokens.notify, ...(config.threat.honeytokens.respond ? { respond: config.threat.honeytokens.respond } : {}) } },
      { result: 'failed', failure: FailureKind.Honeytoken, detail: `a bind as the honeytoken account ${ev.bindDn}` },
      deps.mapper.fromBind(ev));
  };
  let okta: OktaChallenger | undefined;
  const tune = (n: Config['mfa']): void => {
    challenges?.setOptions({ rememberMs: n.rememberMs, maxPrompts: n.maxPromptsPerWindow, promptWindowMs: n.promptWindowMs, maxPromptsPerSource: n.maxPromptsPerSource });
    okta?.tune({ challengeTimeoutMs: n.challengeTimeoutMs, pollIntervalMs: n.pollIntervalMs, numberMatching: n.numberMatching, defaultFailMode: n.failMode, unenrolled: n.unenrolled });
  };
  const running = { challenges, incidents, notifier, page, honeytoken, recorder, runner, okta: client, tune };
  if (!m.okta || !client || !challenges) return { ...running, challenger: withIncidents(unconfiguredChallenger(log), recorder, deps.mapper) };
  const inbox = page ? new CodeInbox(deps.clock) : undefined;
  if (inbox) page!.mount(challengePageRoute(inbox));
  for (const [app, timeoutMs] of Object.entries(m.appTimeoutsMs)) {
    if (timeoutMs < m.challengeTimeoutMs) {
      log.warn({ event: 'mfa_app_timeout', app, appTimeoutMs: timeoutMs, challengeTimeoutMs: m.challengeTimeoutMs },
        `app ${app} gives up on a bind after ${timeoutMs} ms, before a challenge may end (${m.challengeTimeoutMs} ms): its users may see timeouts while a push is pending`);
    }
  }
  okta = new OktaChallenger({
    client, clock: deps.clock, log, mapper: deps.mapper, challenges, loginTemplate: m.okta.loginTemplate, challengeTimeoutMs: m.challengeTimeoutMs,
    pollIntervalMs: m.pollIntervalMs, numberMatching: m.numberMatching, defaultFailMode: m.failMode, unenrolled: m.unenrolled, isKnownEndpoint: deps.isKnownEndpoint,
    quarantinedSince: (account) => deps.quarantine.sinceOf(account, deps.clock.now()),
    userAgent: `bindwall/${deps.version}`, ...(inbox ? { inbox } : {}),
  });
  log.info({ event: 'mfa_ready', orgUrl: m.okta.orgUrl, auth: m.okta.auth.type, failMode: m.failMode }, `step-up MFA through Okta at ${m.okta.orgUrl}`);
  return { ...running, challenger: withIncidents(okta.challenge, recorder, deps.mapper, release) };
}
