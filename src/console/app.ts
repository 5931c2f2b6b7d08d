/**
 * The console's routes on the admin listener, under /console. Every answer has the same
 * strict headers (scripts only from here, no framing, no referrer); every page but sign-in
 * needs a session; every change is a POST that carries the session's CSRF token from a
 * page of this origin, is allowed to the session's role, and is recorded with its operator.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describeError } from '../errors.js';
import { collectTasks, withDismissals } from '../health/report.js';
import type { HealthTask } from '../health/task.js';
import type { CompiledPolicy } from '../policy/policy.js';
import { releaseQuarantine, triage, type Triage } from '../incidents/triage.js';
import { HealthStore } from '../store/health-store.js';
import { normalizeAddress } from '../util/address.js';
import { html, type SafeHtml } from '../util/html.js';
import { readForm } from '../web/server.js';
import { sameToken } from '../util/same-token.js';
import { packageRoot } from '../util/package-root.js';
import type { ConsoleDeps } from './deps.js';
import { BASE, layout, table, iso } from './layout.js';
import { endpointPage } from './pages/endpoint.js';
import { healthPage } from './pages/health.js';
import { incidentPage, incidentsPage } from './pages/incidents.js';
import { filterFrom, filterQuery, insightsPage } from './pages/insights.js';
import { liveStatus, overviewPage } from './pages/overview.js';
import { policyPage, replayCandidate } from './pages/policy.js';
import { hitPath, search, searchPage } from './pages/search.js';
import { signInPage, waitingPage } from './pages/sign-in.js';
import { userPage } from './pages/user.js';
import { clearCookie, cookies, may, Permission, Sessions, setCookie, SIGN_IN_COOKIE, SESSION_COOKIE, type ConsoleSession } from './sessions.js';
import type { SignIns } from './sign-in.js';

const MAX_FORM_BYTES = 16 * 1024;
const AUDIT_KEPT = 10_000;
const HEALTH_CHECKS_EVERY_MS = 60_000;

const HEADERS = {
  'cache-control': 'no-store',
  'x-frame-options': 'DENY',
  // same-origin, not no-referrer: under no-referrer browsers send "Origin: null" on a form POST, and the origin check needs the real one.
  'referrer-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cross-origin-opener-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000',
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
} as const;

const ASSETS: Record<string, { type: string; file: () => string }> = {
  'console.css': { type: 'text/css; charset=utf-8', file: () => join(packageRoot, 'console-assets', 'console.css') },
  'console.js': { type: 'text/javascript; charset=utf-8', file: () => join(packageRoot, 'console-assets', 'console.js') },
  // Chart.js's own UMD build, served from the installed package: no CDN, no build step.
  'chart.umd.min.js': { type: 'text/javascript; charset=utf-8', file: () => join(dirname(createRequire(import.meta.url).resolve('chart.js')), 'chart.umd.min.js') },
};

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  url: URL;
  from: string;
}

export class ConsoleApp {
  readonly #assets = new Map<string, Buffer>();
  readonly #sessions: Sessions;
  #checked: { at: number; policy: CompiledPolicy | undefined; tasks: HealthTask[] } | undefined;

  constructor(private readonly d: ConsoleDeps, private readonly signIns: SignIns) {
    this.#sessions = new Sessions({ store: d.store, clock: d.clock, console: d.config.admin!.console! });
  }

  /** Answers requests under /console (and sends / there); false for anything else. */
  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? '/', 'https://console');
    const ctx: Ctx = { req, res, url, from: normalizeAddress(req.socket.remoteAddress) };
    if (url.pathname === '/' || url.pathname === BASE) {
      this.#redirect(ctx, `${BASE}/`);
      return true;
    }
    if (!url.pathname.startsWith(`${BASE}/`)) return false;
    try {
      await this.#route(ctx, url.pathname.slice(BASE.length));
    } catch (err) {
      if (err instanceof HttpError) this.#page(ctx, err.status, layout({ title: err.status === 403 ? 'Not allowed' : err.status === 404 ? 'Not found' : 'Bad request', body: html`<p>${err.message}</p>` }));
      else {
        this.d.log.error({ event: 'console_error', path: url.pathname, error: describeError(err) }, 'a console page failed');
        this.#page(ctx, 500, layout({ title: 'Something went wrong', body: html`<p>The page could not be built; the log says why.</p>` }));
      }
    }
    return true;
  }

  async #route(c: Ctx, path: string): Promise<void> {
    const method = c.req.method ?? 'GET';
    if (method === 'GET' && path.startsWith('/assets/')) return this.#asset(c, path.slice('/assets/'.length));
    if (path === '/login') return method === 'POST' ? this.#signIn(c) : this.#signInForm(c);
    if (path === '/login/wait' && method === 'GET') return this.#signInWait(c);
    const s = this.#sessions.resolve(c.req);
    if (!s) {
      if (method === 'GET' && !path.startsWith('/api/')) return this.#redirect(c, `${BASE}/login`);
      throw new HttpError(401, 'Signed out: sign in again.');
    }
    if (method === 'POST') return this.#change(c, s, path, await readConsoleForm(c.req));
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'Only GET and POST.');
    return this.#view(c, s, path);
  }

  // ---- pages ----

  #view(c: Ctx, s: ConsoleSession, path: string, notice?: string): void {
    const d = this.d;
    const show = (title: string, active: string, body: SafeHtml): void => this.#page(c, 200, layout({ title, session: s, active, body, ...(notice ? { notice } : {}) }));
    const param = (prefix: string): string | undefined => {
      if (!path.startsWith(prefix)) return undefined;
      try {
        return decodeURIComponent(path.slice(prefix.length));
      } catch {
        throw new HttpError(400, 'That address is not well formed.');
      }
    };
    if (path === '/') return show('Overview', 'overview', overviewPage(d));
    if (path === '/api/live') return this.#json(c, liveStatus(d));
    if (path === '/search') {
      const q = c.url.searchParams.get('q') ?? '';
      const hits = search(d, q);
      if (hits.length === 1) return this.#redirect(c, hitPath(hits[0]!));
      return show('Search', '', searchPage(q, hits));
    }
    const user = param('/users/');
    if (user !== undefined) {
      const body = userPage(d, s, user);
      if (!body) throw new HttpError(404, `No identity “${user}” is known.`);
      return show(`User ${user}`, '', body);
    }
    const endpoint = param('/endpoints/');
    if (endpoint !== undefined) {
      const body = endpointPage(d, endpoint);
      if (!body) throw new HttpError(404, `Nothing is known of ${endpoint}.`);
      return show(`Endpoint ${endpoint}`, '', body);
    }
    if (path === '/incidents') return show('Incidents', 'incidents', incidentsPage(d, c.url));
    const incident = param('/incidents/');
    if (incident !== undefined) {
      const i = /^\d{1,12}$/.test(incident) ? d.incidents?.get(Number(incident)) : undefined;
      if (!i) throw new HttpError(404, `No incident #${incident}.`);
      return show(`Incident #${i.id}`, 'incidents', incidentPage(s, i));
    }
    if (path === '/policy') return show('Policy', 'policy', policyPage(d, s, c.url));
    if (path === '/insights') return show('Insights', 'insights', insightsPage(d, s, c.url));
    if (path === '/health') return show('HealthInsight', 'health', healthPage(d, s, this.#healthTasks()));
    if (path === '/audit') {
      return show('Changes made in the console', 'health', table(['Time', 'Operator', 'Role', 'Change', 'Subject', 'Detail'],
        d.store.auditLog(200).map((e) => [iso(e.time), e.operator, e.role, e.action, e.subject, e.detail ?? '']), 'No changes yet.'));
    }
    throw new HttpError(404, 'No such page.');
  }

  /**
   * The checks run at most once a minute (with 10,000 identities they read for about half a
   * second); dismissals are applied fresh on every page.
   */
  #healthTasks(): ReturnType<typeof withDismissals> {
    const d = this.d;
    const now = d.clock.now();
    if (!this.#checked || now - this.#checked.at > HEALTH_CHECKS_EVERY_MS || this.#checked.policy !== d.policy?.decider.policy) {
      this.#checked = { at: now, policy: d.policy?.decider.policy, tasks: collectTasks(d.config, d.policy?.decider.policy, d.db, d.mapper, now, d.lockout?.()) };
    }
    return withDismissals(this.#checked.tasks, d.db);
  }

  // ---- changes ----

  #change(c: Ctx, s: ConsoleSession, path: string, form: URLSearchParams): void {
    this.#checkOrigin(c);
    if (!sameToken(form.get('csrf') ?? undefined, s.csrf)) {
      this.d.log.warn({ event: 'console_csrf_refused', operator: s.operator, path, address: c.from }, 'console: a change without the session\'s CSRF token was refused');
      throw new HttpError(403, 'This form is out of date or did not come from the console: reload the page and try again.');
    }
    const d = this.d;
    const need = (p: Permission, what: string): void => {
      if (!may(s.role, p)) throw new HttpError(403, `Your role (${s.role}) cannot ${what}.`);
    };
    const text = (name: string, max: number): string => (form.get(name) ?? '').trim().slice(0, max);
    const audit = (action: string, subject: string, detail?: string): void => {
      d.store.audit({ time: d.clock.now(), operator: s.operator, role: s.role, action, subject, ...(detail ? { detail } : {}) });
      d.store.capAudit(AUDIT_KEPT);
      d.log.info({ event: 'console_change', operator: s.operator, role: s.role, action, subject }, `console: ${s.operator} ${action} ${subject}`);
    };
    if (path === '/logout') {
      this.#sessions.end(s);
      c.res.setHeader('set-cookie', clearCookie(SESSION_COOKIE));
      return this.#redirect(c, `${BASE}/login`);
    }
    const incident = /^\/incidents\/(\d{1,12})$/.exec(path);
    if (incident) {
      need(Permission.Respond, 'acknowledge or resolve incidents');
      const action = form.get('action');
      if (action !== 'ack' && action !== 'resolve') throw new HttpError(400, 'Choose acknowledge or resolve.');
      const i = d.incidents?.get(Number(incident[1]));
      if (!i) throw new HttpError(404, `No incident #${incident[1]}.`);
      const note = text('note', 1000);
      const r = triage(d.incidents!, i, { action: action as Triage, operator: s.operator, ...(note ? { note } : {}), now: d.clock.now() });
      audit(action === 'ack' ? 'acknowledged incident' : 'resolved incident', `#${i.id}`, note);
      return this.#page(c, 200, layout({ title: `Incident #${i.id}`, session: s, active: 'incidents', body: incidentPage(s, r.incident), notice: r.already && !note ? `Already ${i.status}.` : `Incident #${i.id} ${r.incident.status}.` }));
    }
    if (path === '/quarantine/release') {
      need(Permission.Respond, 'release a quarantine');
      const account = text('account', 512);
      if (!d.quarantine || !d.incidents) throw new HttpError(400, 'Quarantine is not available.');
      const note = text('note', 500);
      const released = releaseQuarantine(d.quarantine, d.incidents, account, { operator: s.operator, ...(note ? { note } : {}), now: d.clock.now() });
      if (released) audit('released from quarantine', account, note);
      return this.#view(c, s, `/users/${encodeURIComponent(account)}`, released ? `${account} released from quarantine.` : `${account} was not quarantined.`);
    }
    if (path === '/health/dismiss' || path === '/health/restore') {
      need(Permission.Configure, 'dismiss or restore HealthInsight tasks');
      const task = text('task', 512);
      const store = new HealthStore(d.db, { outbox: d.outbox });
      let notice: string;
      if (path === '/health/dismiss') {
        const reason = text('reason', 500);
        if (!reason) throw new HttpError(400, 'A dismissal needs a reason: it is shown beside the task.');
        store.dismiss({ task, time: d.clock.now(), reason, operator: s.operator });
        audit('dismissed health task', task, reason);
        notice = `${task} dismissed.`;
      } else {
        notice = store.restore(task, d.clock.now()) ? `${task} is a task again.` : `${task} was not dismissed.`;
        audit('restored health task', task);
      }
      return this.#page(c, 200, layout({ title: 'HealthInsight', session: s, active: 'health', body: healthPage(d, s, this.#healthTasks()), notice }));
    }
    if (path === '/insights') {
      need(Permission.Respond, 'save Insights');
      const name = text('name', 80);
      if (!name) throw new HttpError(400, 'An Insight needs a name.');
      const filter = filterFrom(form);
      d.store.saveInsight({ name, filter, operator: s.operator, created: d.clock.now() });
      audit('saved insight', name, filterQuery(filter));
      return this.#redirect(c, `${BASE}/insights?${filterQuery(filter)}`);
    }
    const delInsight = /^\/insights\/(\d{1,12})\/delete$/.exec(path);
    if (delInsight) {
      need(Permission.Respond, 'delete Insights');
      if (d.store.deleteInsight(Number(delInsight[1]), d.clock.now())) audit('deleted insight', `#${delInsight[1]}`);
      return this.#redirect(c, `${BASE}/insights`);
    }
    if (path === '/policy/replay') {
      need(Permission.Configure, 'replay candidate policies');
      const dir = text('dir', 1024);
      if (!dir) throw new HttpError(400, 'Name the candidate policy directory.');
      audit('replayed candidate policy', dir);
      return this.#page(c, 200, layout({ title: 'Policy', session: s, active: 'policy', body: policyPage(d, s, c.url, replayCandidate(d, dir)) }));
    }
    throw new HttpError(404, 'No such change.');
  }

  /** A change must come from a page of this console (browsers send Origin on POST). */
  #checkOrigin(c: Ctx): void {
    const origin = c.req.headers.origin;
    const host = c.req.headers.host;
    if (origin !== undefined && (origin === 'null' || !host || origin !== `https://${host}`)) {
      this.d.log.warn({ event: 'console_origin_refused', origin: String(origin).slice(0, 200), address: c.from }, 'console: a change from another origin was refused');
      throw new HttpError(403, 'Changes are accepted only from the console\'s own pages.');
    }
  }

  // ---- sign-in ----

  #signInForm(c: Ctx, error?: string, status = 200): void {
    // The form's token is also in a cookie only this origin can set: a login form posted from elsewhere is refused.
    const token = randomBytes(18).toString('base64url');
    c.res.setHeader('set-cookie', setCookie(SIGN_IN_COOKIE, `pre.${token}`, 600));
    this.#page(c, status, signInPage({ token, otp: this.d.config.mfa.otpDelimiter !== undefined, ...(error ? { error } : {}) }));
  }

  async #signIn(c: Ctx): Promise<void> {
    this.#checkOrigin(c);
    const form = await readConsoleForm(c.req);
    const pre = cookies(c.req).get(SIGN_IN_COOKIE);
    if (!pre?.startsWith('pre.') || !sameToken(form.get('csrf') ?? undefined, pre.slice(4))) return this.#signInForm(c, 'The sign-in form expired: try again.', 403);
    const user = (form.get('user') ?? '').trim();
    const password = form.get('password') ?? '';
    const code = (form.get('code') ?? '').trim();
    if (!user || !password || user.length > 512 || password.length > 512) return this.#signInForm(c, 'Type your user name and password.', 400);
    if (code && !/^\d{6,8}$/.test(code)) return this.#signInForm(c, 'A one-time code is 6 to 8 digits.', 400);
    const id = this.signIns.start({ user, password, ...(code ? { otp: code } : {}), address: c.from, port: c.req.socket.remotePort ?? 0 });
    if (!id) return this.#signInForm(c, 'Too many sign-ins are waiting: try again in a minute.', 429);
    c.res.setHeader('set-cookie', setCookie(SIGN_IN_COOKIE, `wait.${id}`, 600));
    this.#redirect(c, `${BASE}/login/wait`);
  }

  #signInWait(c: Ctx): void {
    const v = cookies(c.req).get(SIGN_IN_COOKIE);
    const state = v?.startsWith('wait.') ? this.signIns.take(v.slice(5)) : undefined;
    if (!state) return this.#redirect(c, `${BASE}/login`);
    if (state.state === 'waiting') return this.#page(c, 200, waitingPage(Math.round((this.d.clock.now() - state.since) / 1000)));
    if (state.state === 'refused') return this.#signInForm(c, 'Sign-in refused: a wrong name or password, a step-up that was not approved, or no console role for this account.', 403);
    const s = this.#sessions.create({ operator: state.operator, dn: state.dn, role: state.role, address: state.address });
    c.res.setHeader('set-cookie', [setCookie(SESSION_COOKIE, s.token, this.#sessions.cookieMaxAgeS), clearCookie(SIGN_IN_COOKIE)]);
    this.#redirect(c, `${BASE}/`);
  }

  // ---- answers ----

  #asset(c: Ctx, name: string): void {
    const a = ASSETS[name];
    if (!a) throw new HttpError(404, 'No such file.');
    let body = this.#assets.get(name);
    if (!body) this.#assets.set(name, (body = readFileSync(a.file())));
    c.res.writeHead(200, { ...HEADERS, 'cache-control': 'private, max-age=3600', 'content-type': a.type, 'content-length': body.length });
    c.res.end(c.req.method === 'HEAD' ? undefined : body);
  }

  #page(c: Ctx, status: number, body: string): void {
    if (c.res.headersSent) return;
    c.res.writeHead(status, { ...HEADERS, 'content-type': 'text/html; charset=utf-8' });
    c.res.end(body);
  }

  #json(c: Ctx, body: unknown): void {
    c.res.writeHead(200, { ...HEADERS, 'content-type': 'application/json' });
    c.res.end(JSON.stringify(body));
  }

  #redirect(c: Ctx, to: string): void {
    c.res.writeHead(303, { ...HEADERS, location: to });
    c.res.end();
  }
}

/** A form body of at most MAX_FORM_BYTES; more is refused, not truncated. */
async function readConsoleForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) throw new HttpError(415, 'Forms only (application/x-www-form-urlencoded).');
  return readForm(req, MAX_FORM_BYTES).catch(() => {
    throw new HttpError(413, 'The form is too large.');
  });
}
