/**
 * A local Okta: the API subset bindwall uses (users, factors, verify, push transactions, the
 * OAuth token endpoint for service apps), with Okta's status codes, error bodies, absolute
 * HAL links, request ids and rate-limit headers (`../shared/okta-api.md`), plus a small page
 * and control endpoints under /sim/ where a person or a test plays the phone.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import http from 'node:http';
import { close, listen } from '../../util/http-listen.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { verifyClientAssertion } from './client-assertion.js';
import { simPage } from './page.js';
import { totp } from '../totp.js';
import { OktaState, type PushTransaction, type SimFactor, type SimUser } from './state.js';
import { LogQueryError, SystemLog, type LogQuery } from './system-log.js';

export interface OktaSimulatorOptions {
  host?: string;
  port?: number;
  clock?: Clock;
  /** Accepted `SSWS` API tokens. */
  apiTokens?: readonly string[];
  /** OAuth service apps: client id → public key and granted scopes. */
  serviceApps?: readonly { clientId: string; publicKey: KeyObject; scopes: readonly string[] }[];
  /** Requests per bucket per 60-second window before 429 (Okta's buckets are per endpoint family). */
  rateLimitPerMinute?: number;
  /** The /api/v1/logs bucket (Okta's example org limit: 120 a minute). */
  logsRateLimitPerMinute?: number;
  pushLifetimeMs?: number;
}

interface AccessToken {
  scopes: Set<string>;
  expiresAt: number;
}

const ERROR_SUMMARY: Record<string, string> = {
  E0000001: 'Api validation failed: {0}',
  E0000003: 'The request body was not well-formed.',
  E0000006: 'You do not have permission to perform the requested action',
  E0000007: 'Not found: Resource not found: {0}',
  E0000011: 'Invalid token provided',
  E0000047: 'API call exceeded rate limit due to too many requests.',
  E0000009: 'Internal Server Error',
  E0000053: 'Invalid search criteria. {0}',
  E0000068: 'Invalid Passcode/Answer',
  E0000069: 'User Locked',
  E0000082: 'Each code can only be used once. Please wait for a new code and try again.',
  E0000154: 'Invalid factor id, it is not currently active.',
};

const STATUS: Record<string, number> = {
  E0000001: 400, E0000003: 400, E0000006: 403, E0000007: 404, E0000011: 401, E0000047: 429,
  E0000068: 403, E0000069: 403, E0000082: 403, E0000154: 410, E0000009: 500, E0000053: 400,
};

const REQUEST_LOG_MAX = 10_000;

/** displayMessage of the System Log events the simulator writes itself. */
const DISPLAY: Record<string, string> = {
  'user.account.lock': 'Max sign in attempts exceeded',
  'system.push.send_factor_verify_push': 'Push notification sent for verification',
  'user.authentication.auth_via_mfa': 'Authentication of user via MFA',
  'user.session.clear': 'Clear user session',
  'user.lifecycle.suspend': 'Suspend Okta user',
  'user.lifecycle.unsuspend': 'Unsuspend Okta user',
  'user.mfa.factor.reset_all': 'Reset all factors for user',
};

class HttpError extends Error {
  constructor(readonly code: string, readonly detail = '', readonly causes: string[] = []) {
    super(code);
  }
}

export class OktaSimulator {
  readonly state: OktaState;
  /** The System Log /api/v1/logs serves; tests and the demo append to it. */
  readonly log: SystemLog;
  /** Injected failures for tests: the next N /api/v1/logs requests answer 429 (or 500). */
  failLogs: { status: 429 | 500; count: number } | undefined;
  readonly #o: Required<Omit<OktaSimulatorOptions, 'serviceApps'>> & { serviceApps: NonNullable<OktaSimulatorOptions['serviceApps']> };
  readonly #server: http.Server;
  readonly #tokens = new Map<string, AccessToken>();
  readonly #buckets = new Map<string, { windowStart: number; used: number }>();
  /** The latest requests seen (at most REQUEST_LOG_MAX), for tests: method, path, headers that matter. */
  readonly requests: { method: string; path: string; userAgent?: string; forwardedFor?: string; retryCount?: string }[] = [];
  #url = '';

  constructor(opts: OktaSimulatorOptions = {}) {
    this.#o = {
      host: '127.0.0.1', port: 0, clock: systemClock, apiTokens: [], serviceApps: [], rateLimitPerMinute: 600, logsRateLimitPerMinute: 120, pushLifetimeMs: 300_000, ...opts,
    };
    this.state = new OktaState({ clock: this.#o.clock, pushLifetimeMs: this.#o.pushLifetimeMs });
    this.log = new SystemLog(() => this.#o.clock.now());
    // Its own actions go to its System Log as Okta's would (string-typed debugData, version "0").
    this.state.onEvent = (e) => {
      this.log.append({
        eventType: e.eventType, displayMessage: DISPLAY[e.eventType] ?? e.eventType,
        actor: { id: e.user.id, type: 'User', alternateId: e.user.login, displayName: `${e.user.firstName} ${e.user.lastName}` },
        client: { ipAddress: e.clientIp ?? null },
        outcome: { result: e.result, reason: e.reason ?? null },
        target: [{ id: e.user.id, type: 'User', alternateId: e.user.login, displayName: `${e.user.firstName} ${e.user.lastName}`, detailEntry: null }],
        debugContext: { debugData: { ...(e.factor ? { factor: e.factor } : {}) } },
        authenticationContext: { authenticationStep: 0, ...(e.eventType === 'user.authentication.auth_via_mfa' ? { authenticationProvider: 'FACTOR_PROVIDER' } : {}) },
      });
    };
    this.#server = http.createServer((req, res) => {
      this.#handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(this.#errorBody('E0000009', 'Internal Server Error')));
      });
    });
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<string> {
    this.#url = await listen(this.#server, this.#o.host, this.#o.port, 'http');
    return this.#url;
  }

  async stop(): Promise<void> {
    await close(this.#server);
  }

  // ---- HTTP plumbing ----

  #errorBody(code: string, summary: string, causes: string[] = []): Record<string, unknown> {
    const id = `oae${randomBytes(16).toString('base64url').slice(0, 22)}`;
    return { errorCode: code, errorSummary: summary, errorLink: code, errorId: id, errorCauses: causes.map((c) => ({ errorSummary: c })) };
  }

  #send(res: http.ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      'x-okta-request-id': randomBytes(12).toString('base64url'),
      date: new Date(this.#o.clock.now()).toUTCString(),
      ...headers,
    });
    res.end(text);
  }

  async #body(req: http.IncomingMessage): Promise<{ raw: string; present: boolean }> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const present = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    return { raw: Buffer.concat(chunks).toString('utf8'), present };
  }

  /** Okta-style rate limiting per endpoint family: headers on every response, 429 past the limit. */
  #rateLimit(bucket: string): { headers: Record<string, string>; exceeded: boolean } {
    const now = this.#o.clock.now();
    let b = this.#buckets.get(bucket);
    if (!b || now >= b.windowStart + 60_000) this.#buckets.set(bucket, (b = { windowStart: now, used: 0 }));
    b.used++;
    const limit = bucket === 'logs' ? this.#o.logsRateLimitPerMinute : this.#o.rateLimitPerMinute;
    return {
      headers: {
        'x-rate-limit-limit': String(limit),
        'x-rate-limit-remaining': String(Math.max(0, limit - b.used)),
        'x-rate-limit-reset': String(Math.ceil((b.windowStart + 60_000) / 1000)),
      },
      exceeded: b.used > limit,
    };
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.#url);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    // Bounded: the demo's simulator runs for as long as the demo does.
    if (this.requests.length >= REQUEST_LOG_MAX) this.requests.splice(0, this.requests.length - REQUEST_LOG_MAX + 1);
    this.requests.push({
      method, path, ...(req.headers['user-agent'] ? { userAgent: String(req.headers['user-agent']) } : {}),
      ...(req.headers['x-forwarded-for'] ? { forwardedFor: String(req.headers['x-forwarded-for']) } : {}),
      ...(req.headers['x-okta-retry-count'] ? { retryCount: String(req.headers['x-okta-retry-count']) } : {}),
    });
    if (path === '/sim' || path.startsWith('/sim/')) return this.#handleSim(req, res, url);
    if (path === '/oauth2/v1/token' && method === 'POST') return this.#token(req, res);
    if (!path.startsWith('/api/v1/')) return this.#send(res, 404, this.#errorBody('E0000007', `Not found: Resource not found: ${path} (Path)`));

    const bucket = path === '/api/v1/logs' ? 'logs' : path.includes('/transactions/') ? 'transactions' : path.endsWith('/verify') ? 'verify' : path.includes('/factors') ? 'factors' : 'users';
    const rl = this.#rateLimit(bucket);
    try {
      const scopes = this.#authorize(req);
      if (rl.exceeded) throw new HttpError('E0000047');
      if (path === '/api/v1/logs' && method === 'GET') return this.#logs(res, url, scopes, rl.headers);
      const body = await this.#body(req);
      const result = this.#route(method, path, body, req, scopes);
      this.#send(res, result.status, result.body, rl.headers);
    } catch (err) {
      if (err instanceof InsufficientScope) {
        this.#send(res, 403, undefined, {
          ...rl.headers,
          'www-authenticate': `Bearer authorization_uri="${this.#url}/oauth2/v1/authorize", realm="${this.#url}", scope="${err.scope}", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="${path}"`,
        });
        return;
      }
      if (!(err instanceof HttpError)) throw err;
      const summary = (ERROR_SUMMARY[err.code] ?? err.code).replace('{0}', err.detail);
      this.#send(res, STATUS[err.code] ?? 400, this.#errorBody(err.code, summary, err.causes), rl.headers);
    }
  }

  /** GET /api/v1/logs: one page, with Link self and (polling: always) next, absolute URLs. */
  #logs(res: http.ServerResponse, url: URL, scopes: Set<string> | 'all', headers: Record<string, string>): void {
    if (scopes !== 'all' && !scopes.has('okta.logs.read')) throw new InsufficientScope('okta.logs.read');
    const f = this.failLogs;
    if (f && f.count > 0) {
      f.count--;
      throw new HttpError(f.status === 429 ? 'E0000047' : 'E0000009');
    }
    const q: LogQuery = {};
    for (const k of ['since', 'until', 'after', 'limit', 'sortOrder', 'filter'] as const) {
      const v = url.searchParams.get(k);
      if (v !== null) q[k] = v;
    }
    let page;
    try {
      page = this.log.query(q);
    } catch (err) {
      if (err instanceof LogQueryError) throw new HttpError(err.code, err.detail);
      throw err;
    }
    const self = `${this.#url}${url.pathname}${url.search}`;
    const links = [`<${self}>; rel="self"`];
    if (page.next) {
      const next = new URL(`${this.#url}/api/v1/logs`);
      for (const [k, v] of url.searchParams) if (k !== 'since' && k !== 'after') next.searchParams.set(k, v);
      next.searchParams.set('after', page.next);
      links.push(`<${next.toString()}>; rel="next"`);
    }
    this.#send(res, 200, page.events, { ...headers, link: links.join(', ') });
  }

  /** SSWS token or an OAuth access token; returns the token's scopes (all for SSWS). */
  #authorize(req: http.IncomingMessage): Set<string> | 'all' {
    const h = String(req.headers.authorization ?? '');
    if (h.startsWith('SSWS ')) {
      if (this.#o.apiTokens.includes(h.slice(5))) return 'all';
      throw new HttpError('E0000011');
    }
    if (h.startsWith('Bearer ')) {
      const t = this.#tokens.get(h.slice(7));
      if (t && t.expiresAt > this.#o.clock.now()) return t.scopes;
    }
    throw new HttpError('E0000011');
  }

  #route(method: string, path: string, body: { raw: string; present: boolean }, req: http.IncomingMessage, scopes: Set<string> | 'all'): { status: number; body?: unknown } {
    const need = (scope: 'okta.users.read' | 'okta.users.manage'): void => {
      if (scopes === 'all' || scopes.has(scope) || (scope === 'okta.users.read' && scopes.has('okta.users.manage'))) return;
      throw new InsufficientScope(scope);
    };
    const parts = path.slice('/api/v1/'.length).split('/').map(decodeURIComponent);
    if (parts[0] !== 'users' || parts.length < 2) throw new HttpError('E0000007', `${path} (Path)`);
    const user = this.state.user(parts[1]!);
    if (!user) throw new HttpError('E0000007', `${parts[1]} (User)`);
    if (parts.length === 2 && method === 'GET') {
      need('okta.users.read');
      return { status: 200, body: this.#userJson(user) };
    }
    // Response actions: clear sessions, suspend / unsuspend, reset factors (okta.users.manage).
    if (parts.length === 3 && parts[2] === 'sessions' && method === 'DELETE') {
      need('okta.users.manage');
      this.state.clearSessions(user);
      return { status: 204 };
    }
    if (parts.length === 4 && parts[2] === 'lifecycle' && method === 'POST') {
      need('okta.users.manage');
      if (parts[3] === 'suspend') {
        if (!this.state.suspend(user)) throw new HttpError('E0000001', 'Cannot suspend a user that is not active');
        return { status: 200, body: {} };
      }
      if (parts[3] === 'unsuspend') {
        if (!this.state.unsuspend(user)) throw new HttpError('E0000001', 'Cannot unsuspend a user that is not suspended');
        return { status: 200, body: {} };
      }
      if (parts[3] === 'reset_factors') {
        this.state.resetFactors(user);
        return { status: 200, body: {} };
      }
    }
    if (parts.length === 3 && parts[2] === 'appLinks' && method === 'GET') {
      need('okta.users.read');
      return {
        status: 200,
        body: user.apps.map((label, i) => ({
          id: `00ub0oNGTSWTBKOLGLNR${i}`, label, linkUrl: `${this.#url}/home/${label.toLowerCase().replace(/\W/g, '')}/0oa${i}/aln${i}`, logoUrl: `${this.#url}/img/logos/default.png`,
          appName: label.toLowerCase().replace(/\W/g, '_'), appInstanceId: `0oa${i}`, appAssignmentId: `0ua${i}`, credentialsSetup: false, hidden: false, sortOrder: i,
        })),
      };
    }
    if (parts[2] !== 'factors') throw new HttpError('E0000007', `${path} (Path)`);
    if (parts.length === 3 && method === 'GET') {
      need('okta.users.read');
      return { status: 200, body: user.factors.map((f) => this.#factorJson(user, f)) };
    }
    const factor = user.factors.find((f) => f.id === parts[3]);
    if (!factor) throw new HttpError('E0000007', `${parts[3]} (UserFactor)`);
    if (parts.length === 4 && method === 'GET') {
      need('okta.users.read');
      return { status: 200, body: this.#factorJson(user, factor) };
    }
    if (parts.length === 5 && parts[4] === 'verify' && method === 'POST') {
      need('okta.users.manage');
      return this.#verify(user, factor, body, req);
    }
    if (parts.length === 6 && parts[4] === 'transactions') {
      const t = this.state.transaction(parts[5]!);
      if (!t || t.factorId !== factor.id) throw new HttpError('E0000007', `${parts[5]} (Transaction)`);
      if (method === 'GET') {
        need('okta.users.read');
        return { status: 200, body: this.#transactionJson(user, factor, t) };
      }
      if (method === 'DELETE') {
        need('okta.users.manage');
        this.state.cancel(t.id);
        return { status: 204 };
      }
    }
    throw new HttpError('E0000007', `${path} (Path)`);
  }

  #verify(user: SimUser, factor: SimFactor, body: { raw: string; present: boolean }, req: http.IncomingMessage): { status: number; body?: unknown } {
    // Okta answers a body-less POST without Content-Length with 411.
    if (!body.present) return { status: 411, body: this.#errorBody('E0000001', 'Api validation failed: Content-Length required') };
    if (factor.status !== 'ACTIVE') throw new HttpError('E0000154');
    let parsed: Record<string, unknown> = {};
    if (body.raw.trim() !== '') {
      try {
        parsed = JSON.parse(body.raw) as Record<string, unknown>;
      } catch {
        throw new HttpError('E0000003');
      }
    }
    if (user.status === 'LOCKED_OUT') throw new HttpError('E0000069');
    if (factor.factorType === 'push') {
      const forwarded = req.headers['x-forwarded-for'];
      const t = this.state.startPush(user, factor, {
        numberMatching: parsed.useNumberMatchingChallenge === true,
        ...(forwarded ? { clientIp: String(forwarded).split(',')[0]!.trim() } : {}),
        ...(req.headers['user-agent'] ? { userAgent: String(req.headers['user-agent']) } : {}),
      });
      return { status: 201, body: this.#transactionJson(user, factor, t) };
    }
    if (typeof parsed.passCode !== 'string') throw new HttpError('E0000001', 'passCode: The passcode is required');
    switch (this.state.verifyCode(user, factor, parsed.passCode)) {
      case 'SUCCESS':
        return { status: 200, body: { factorResult: 'SUCCESS' } };
      case 'REPLAYED':
        throw new HttpError('E0000082');
      case 'LOCKED':
        throw new HttpError('E0000069');
      default:
        throw new HttpError('E0000068', '', ["Your passcode doesn't match our records. Please try again."]);
    }
  }

  #userJson(u: SimUser): Record<string, unknown> {
    const iso = (t: number): string => new Date(t).toISOString();
    return {
      id: u.id, status: u.status, created: iso(u.created), activated: iso(u.created), statusChanged: null, lastLogin: null,
      lastUpdated: iso(u.created), passwordChanged: null, type: { id: 'oty000000000000000' },
      profile: { login: u.login, email: u.email, firstName: u.firstName, lastName: u.lastName, mobilePhone: null, secondEmail: null },
      credentials: { password: {}, provider: { type: 'OKTA', name: 'OKTA' } },
      _links: { self: { href: `${this.#url}/api/v1/users/${u.id}` } },
    };
  }

  #factorJson(u: SimUser, f: SimFactor): Record<string, unknown> {
    const base = `${this.#url}/api/v1/users/${u.id}/factors/${f.id}`;
    return {
      id: f.id, factorType: f.factorType, provider: 'OKTA', vendorName: 'OKTA', status: f.status,
      created: new Date(f.created).toISOString(), lastUpdated: new Date(f.created).toISOString(),
      profile: f.factorType === 'push'
        ? { credentialId: u.login, deviceType: 'SmartPhone_IPhone', name: f.deviceName, platform: 'IOS', version: '17.4' }
        : { credentialId: u.login },
      _links: {
        ...(f.status === 'ACTIVE' ? { verify: { href: `${base}/verify`, hints: { allow: ['POST'] } } } : {}),
        self: { href: base, hints: { allow: ['GET', 'DELETE'] } },
        user: { href: `${this.#url}/api/v1/users/${u.id}`, hints: { allow: ['GET'] } },
      },
    };
  }

  #transactionJson(u: SimUser, f: SimFactor, t: PushTransaction): Record<string, unknown> {
    const href = `${this.#url}/api/v1/users/${u.id}/factors/${f.id}/transactions/${t.id}`;
    const factorHref = `${this.#url}/api/v1/users/${u.id}/factors/${f.id}`;
    switch (t.result) {
      case 'WAITING':
        return {
          expiresAt: new Date(t.expiresAt).toISOString(), factorResult: 'WAITING', profile: { credentialId: u.login },
          _links: { poll: { href, hints: { allow: ['GET'] } }, cancel: { href, hints: { allow: ['DELETE'] } } },
          ...(t.correctAnswer !== undefined ? { _embedded: { challenge: { correctAnswer: t.correctAnswer } } } : {}),
        };
      case 'SUCCESS':
        return { factorResult: 'SUCCESS' };
      default:
        return {
          factorResult: t.result, profile: { credentialId: u.login },
          _links: { verify: { href: `${factorHref}/verify`, hints: { allow: ['POST'] } }, factor: { href: factorHref, hints: { allow: ['GET', 'DELETE'] } } },
        };
    }
  }

  // ---- OAuth 2.0 for service apps ----

  async #token(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { raw } = await this.#body(req);
    const form = new URLSearchParams(raw);
    const fail = (error: string, description: string): void => this.#send(res, 400, { error, error_description: description });
    if (form.get('grant_type') !== 'client_credentials') return fail('unsupported_grant_type', 'The authorization grant type is not supported by the authorization server.');
    if (form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') return fail('invalid_client', 'client_assertion_type is required.');
    const checked = verifyClientAssertion(form.get('client_assertion') ?? '', `${this.#url}/oauth2/v1/token`, this.#o.serviceApps, this.#o.clock.now());
    if ('error' in checked) return this.#send(res, 401, { error: 'invalid_client', error_description: checked.error });
    const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const denied = requested.filter((s) => !checked.app.scopes.includes(s));
    if (requested.length === 0 || denied.length > 0) return fail('invalid_scope', `The following scopes are not allowed: ${denied.join(' ') || '(none requested)'}`);
    const token = randomBytes(24).toString('base64url');
    this.#tokens.set(token, { scopes: new Set(requested), expiresAt: this.#o.clock.now() + 3_600_000 });
    this.#send(res, 200, { token_type: 'Bearer', expires_in: 3600, access_token: token, scope: requested.join(' ') });
  }

  // ---- the phone and test controls ----

  async #handleSim(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent); // ['sim', …]
    const json = (status: number, body: unknown): void => this.#send(res, status, body);
    await this.#body(req);
    if (parts.length === 1 && method === 'GET') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(simPage(this.state));
      return;
    }
    if (parts[1] === 'pending' && method === 'GET') return json(200, this.state.pending().map((t) => this.#pendingJson(t)));
    // POST /sim/push/{transactionId}/{approve|deny}; a form post is answered with the page again.
    if (parts[1] === 'push' && parts.length === 4 && method === 'POST' && (parts[3] === 'approve' || parts[3] === 'deny')) {
      const t = this.state.answer(parts[2]!, parts[3] === 'approve');
      if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        res.writeHead(303, { location: '/sim' });
        res.end();
        return;
      }
      return t ? json(200, this.#pendingJson(t)) : json(404, { error: 'no such push' });
    }
    // POST /sim/users/{login}/push/{approve|deny}: answers that user's newest waiting push.
    if (parts[1] === 'users' && parts.length === 5 && parts[3] === 'push' && method === 'POST') {
      const t = this.state.latestPending(parts[2]!);
      if (!t) return json(404, { error: `no push waiting for ${parts[2]}` });
      return json(200, this.#pendingJson(this.state.answer(t.id, parts[4] === 'approve')!));
    }
    // GET /sim/users/{login}/totp: the code the user's authenticator app shows now.
    if (parts[1] === 'users' && parts.length === 4 && parts[3] === 'totp' && method === 'GET') {
      const u = this.state.user(parts[2]!);
      const f = u?.factors.find((x) => x.factorType === 'token:software:totp');
      if (!u || !f?.secret) return json(404, { error: 'no such user or no TOTP factor' });
      return json(200, { login: u.login, code: totp(f.secret, this.#o.clock.now()) });
    }
    json(404, { error: 'unknown simulator endpoint' });
  }

  #pendingJson(t: PushTransaction): Record<string, unknown> {
    const u = this.state.user(t.userId)!;
    return { id: t.id, login: u.login, result: t.result, expiresAt: new Date(t.expiresAt).toISOString(), clientIp: t.clientIp ?? null, userAgent: t.userAgent ?? null, correctAnswer: t.correctAnswer ?? null };
  }
}

class InsufficientScope extends Error {
  constructor(readonly scope: string) {
    super('insufficient_scope');
  }
}
