/**
 * Starts UserInsight next to the proxy: notices from behaviour (a new device or app for a
 * mature identity), from incidents (a failed step-up), from the Okta connector (factor and
 * password changes) and from the proxy (a password modify that passed through); the report
 * links' pages on the web listener.
 */
import type { BehaviorService } from '../behavior/service.js';
import { canonicalAccount, type LogonEvent } from '../behavior/logon-event.js';
import type { Config, UserInsightConfig } from '../config/load.js';
import type { OktaLogEvent } from '../connectors/okta-sso/mapping.js';
import type { IncidentRecorder } from '../incidents/recorder.js';
import type { Logger } from '../log/logger.js';
import { describeError } from '../errors.js';
import { loginFor } from '../mfa/login-template.js';
import type { OktaClient } from '../okta/client.js';
import type { Db } from '../store/db.js';
import type { Incident, IncidentStore } from '../store/incident-store.js';
import { NoticeStore, type NoticeEvent } from '../store/notice-store.js';
import type { Clock } from '../util/clock.js';
import type { WebServer } from '../web/server.js';
import type { DirectoryFacts } from '../directory/facts.js';
import { LinkSigner } from './links.js';
import { Mailer } from './mailer.js';
import { UserNotices, type AddressBook } from './notices.js';
import { reportPageRoute } from './report-page.js';
import { ReportDesk } from './reports.js';

export interface RunningInsight {
  notices: UserNotices;
  desk: ReportDesk;
  store: NoticeStore;
  /** Okta System Log events about people's factors and passwords (the SSO connector hands them on). */
  fromOkta(e: OktaLogEvent): void;
  /** A password modify the directory accepted through the proxy. */
  passwordChanged(change: { bindName: string; address: string; listener: string }): void;
  drain(): Promise<void>;
  close(): void;
}

/** Events this much older than UserInsight's start are history, not news. */
const HISTORY_GRACE_MS = 3_600_000;

const FACTOR_ADDED = new Set(['user.mfa.factor.activate']);
const FACTOR_RESET = new Set(['user.mfa.factor.reset_all', 'user.mfa.factor.deactivate']);
const PASSWORD = new Set(['user.account.update_password', 'user.account.reset_password']);

export function startUserInsight(config: Config, log: Logger, deps: {
  db: Db; clock: Clock; web: WebServer; recorder: IncidentRecorder; incidents: IncidentStore; behavior?: BehaviorService; okta?: OktaClient;
}): RunningInsight | undefined {
  const ui = config.userInsight;
  if (!ui) return undefined;
  const { store, links, mailer, notices } = buildNotices(ui, config, log, {
    ...deps, baseUrl: () => ui.links.baseUrl ?? deps.web.url, ...(deps.behavior?.facts ? { facts: deps.behavior.facts } : {}),
  });
  const desk = new ReportDesk({ notices: store, recorder: deps.recorder, incidents: deps.incidents, config: ui, ...(deps.behavior ? { behavior: deps.behavior } : {}), clock: deps.clock, log });
  deps.web.mount(reportPageRoute({ links, desk, log, clock: deps.clock }));
  const identity = (name: string): string => deps.behavior?.identityOf(name) ?? canonicalAccount(name);
  // What happened before bindwall was running (a connector's first look back) was told, or
  // not, by whatever ran then: no notices about it.
  const since = deps.clock.now() - HISTORY_GRACE_MS;
  if (deps.behavior) {
    deps.behavior.onNovelty = (logon, n) => {
      if (logon.time < since) return;
      const event = eventOf(logon);
      if (n.device) notices.tell('new_device', logon.account, n.device, event, logon.bindName);
      else if (n.app) notices.tell('new_app', logon.account, n.app, event, logon.bindName);
    };
  }
  deps.recorder.observer = (incident: Incident, logon: LogonEvent) => {
    if (incident.failure === 'user_report' || incident.failure === 'honeytoken') return;
    notices.tell('failed_step_up', logon.account, incident.endpoint, { ...eventOf(logon), incidentId: incident.id }, logon.bindName);
  };
  log.info({ event: 'user_insight_ready', language: ui.language, smtp: `${ui.smtp.host}:${ui.smtp.port}`, security: ui.smtp.security }, `UserInsight: notices by email through ${ui.smtp.host}:${ui.smtp.port} (${ui.language})`);
  return {
    notices, desk, store,
    fromOkta: (e) => {
      const kind = FACTOR_ADDED.has(e.eventType) ? 'factor_enrolled' : FACTOR_RESET.has(e.eventType) ? 'factor_reset' : PASSWORD.has(e.eventType) ? 'password_changed' : undefined;
      if (!kind || (e.outcome?.result !== undefined && e.outcome.result !== 'SUCCESS')) return;
      // Whose factors or password: the User target (an admin may be the actor), else the actor.
      const login = e.target?.find((t) => t.type === 'User')?.alternateId ?? e.actor?.alternateId;
      const time = Date.parse(e.published);
      if (!login || !Number.isFinite(time) || time < since) return;
      const factor = (e as { debugContext?: { debugData?: { factor?: unknown } } }).debugContext?.debugData?.factor;
      notices.tell(kind, identity(login), kind === 'password_changed' ? 'password' : kind === 'factor_enrolled' ? String(factor ?? 'factor') : 'reset', {
        time, source: 'okta', ...(e.client?.ipAddress ? { endpoint: e.client.ipAddress, device: e.client.ipAddress } : {}), ...(typeof factor === 'string' ? { factor } : {}),
      }, login);
    },
    passwordChanged: (c) => {
      notices.tell('password_changed', identity(c.bindName), 'password', { time: deps.clock.now(), endpoint: c.address, device: c.address, app: c.listener }, c.bindName);
    },
    drain: () => notices.drain(),
    close: () => mailer.close(),
  };
}

/** The notice machinery alone (also what `dead-letters retry` sends emails again with). */
export function buildNotices(ui: UserInsightConfig, config: Config, log: Logger, deps: { db: Db; clock: Clock; incidents: IncidentStore; baseUrl: () => string; facts?: DirectoryFacts; okta?: OktaClient }) {
  const store = new NoticeStore(deps.db);
  const links = new LinkSigner(ui.links.key);
  const mailer = new Mailer({ smtp: ui.smtp, maxQueued: ui.maxQueued, clock: deps.clock, log });
  const notices = new UserNotices({ config: ui, store, incidents: deps.incidents, mailer, links, baseUrl: deps.baseUrl, timeZone: config.behavior.timeZone, addressOf: addressBook(ui, config, deps), clock: deps.clock, log });
  return { store, links, mailer, notices };
}

function eventOf(logon: LogonEvent): NoticeEvent {
  return {
    time: logon.time, app: logon.app, endpoint: logon.endpoint,
    // The machine's name when one is known, else its address (what the person can recognise).
    ...(logon.endpointName ? { device: logon.endpointName } : logon.endpoint !== 'unknown' ? { device: logon.endpoint } : {}),
    ...(logon.place?.name ? { place: logon.place.name } : {}), ...(logon.source ? { source: logon.source } : {}), logon,
  };
}

/** The directory's mail attribute (through the lookup account's facts), else Okta's profile email. */
function addressBook(ui: UserInsightConfig, config: Config, deps: { facts?: DirectoryFacts; okta?: OktaClient; clock: Clock }): AddressBook {
  return async (account, bindName) => {
    const facts = deps.facts;
    let f = facts?.cached(account);
    if (facts && f === undefined) f = (await facts.lookup(account, bindName ?? account)).facts;
    const key = Object.keys(f?.attributes ?? {}).find((k) => k.toLowerCase() === ui.mailAttribute.toLowerCase());
    const fromDirectory = key ? f!.attributes[key]![0] : undefined;
    if (fromDirectory) return fromDirectory;
    const okta = deps.okta;
    const login = config.mfa.okta ? loginFor(config.mfa.okta.loginTemplate, account, f) : undefined;
    if (!okta || !login) return undefined;
    try {
      return (await okta.getUser(login, deps.clock.now() + 10_000)).email;
    } catch (err) {
      throw Object.assign(new Error(`Okta has no address for ${login}: ${describeError(err).message}`), { code: describeError(err).code });
    }
  };
}
