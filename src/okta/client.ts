/**
 * The Okta connector (axios): users, enrolled factors, Okta Verify push (challenge, poll by
 * the links Okta returns, cancel) and TOTP verification. Authenticates with an API token
 * (SSWS) or as an OAuth service app (client credentials with private_key_jwt; the token is
 * cached until shortly before it expires). Every call has a timeout; a 429 is retried after
 * X-Rate-Limit-Reset when that fits the caller's deadline. Failures become typed errors with
 * stable codes; no token, passcode or header ever enters an error message.
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { BindwallError, ErrorCode } from '../errors.js';
import type { Secret } from '../log/secret.js';
import type { Clock } from '../util/clock.js';
import { signClientAssertion } from './jwt.js';

export type OktaAuth =
  | { type: 'ssws'; token: Secret<string> }
  | { type: 'oauth'; clientId: string; privateKey: KeyObject; keyId?: string; scopes: readonly string[] };

export interface OktaClientOptions {
  orgUrl: string;
  auth: OktaAuth;
  requestTimeoutMs: number;
  /** Longest wait for a rate-limit window to reset before giving up. */
  maxRateLimitWaitMs: number;
  clock: Clock;
  userAgent: string;
  /** In-flight requests at most (Okta's default concurrency limit is 75 per org). */
  maxConcurrentRequests?: number;
  /** Requests per second at most, so thousands of pending pushes poll slower instead of meeting 429s. */
  maxRequestsPerSecond?: number;
  /** Largest response body accepted (System Log pages of 1,000 events run to megabytes). */
  maxResponseBytes?: number;
  /** Told of every response's status, or "error" when none came (metrics). */
  onResponse?: (status: number | 'error') => void;
}

/** A page of the System Log and what Okta said about the rate-limit bucket. */
export interface LogPage {
  events: unknown[];
  /** The `next` link (always there while polling). */
  next?: string;
  rateLimit?: { limit: number; remaining: number; resetMs: number };
}

export interface OktaUser {
  id: string;
  status: string;
  login: string;
  /** profile.email, when Okta has one. */
  email?: string;
}

export interface OktaFactor {
  id: string;
  factorType: string;
  provider: string;
  status: string;
  verifyHref?: string;
}

export type PushResult = 'WAITING' | 'SUCCESS' | 'REJECTED' | 'TIMEOUT';

export interface PushStarted {
  pollHref: string;
  cancelHref?: string;
  expiresAt?: number;
  correctAnswer?: number;
}

export type PasscodeResult = 'SUCCESS' | 'INVALID' | 'REPLAYED' | 'LOCKED';

/** The end user's context for a push (shown on the phone when Okta trusts us as a proxy). */
export interface PushContext {
  clientIp?: string;
  userAgent?: string;
  numberMatching?: boolean;
}

interface OktaErrorBody {
  errorCode?: string;
  errorSummary?: string;
}

const okErr = (code: ErrorCode, message: string, details: Record<string, unknown> = {}): BindwallError => new BindwallError(code, message, details);

export class OktaClient {
  readonly #o: OktaClientOptions;
  readonly #http: AxiosInstance;
  #token: { value: string; expiresAt: number } | null = null;
  /** Token bucket for maxRequestsPerSecond: the time the next request may start. */
  #nextSlot = 0;
  #tokenPending: Promise<string> | null = null;

  constructor(o: OktaClientOptions) {
    this.#o = o;
    // A bounded pool: thousands of pending pushes must not open thousands of sockets, and
    // Okta limits concurrent requests per org.
    const agentOptions = { keepAlive: true, maxSockets: o.maxConcurrentRequests ?? 50 };
    this.#http = axios.create({
      httpAgent: new http.Agent(agentOptions),
      httpsAgent: new https.Agent(agentOptions),
      timeout: o.requestTimeoutMs,
      validateStatus: () => true,
      maxRedirects: 0,
      headers: { Accept: 'application/json', 'User-Agent': o.userAgent },
      // Responses are small JSON; refuse anything huge.
      maxContentLength: o.maxResponseBytes ?? 1024 * 1024,
    });
  }

  get orgUrl(): string {
    return this.#o.orgUrl;
  }

  /** Looks a user up by login (or id). */
  async getUser(login: string, deadline: number): Promise<OktaUser> {
    const res = await this.#call('GET', `${this.#o.orgUrl}/api/v1/users/${encodeURIComponent(login)}`, undefined, deadline);
    if (res.status === 404) throw okErr(ErrorCode.OktaUserUnknown, `no Okta user with login ${login}`, { login });
    const body = this.#expect(res, 200, 'get user') as { id?: string; status?: string; profile?: { login?: string; email?: unknown } };
    if (typeof body.id !== 'string') throw okErr(ErrorCode.OktaProtocol, 'Okta returned a user without an id');
    return { id: body.id, status: String(body.status ?? 'UNKNOWN'), login: String(body.profile?.login ?? login), ...(typeof body.profile?.email === 'string' ? { email: body.profile.email } : {}) };
  }

  async listFactors(userId: string, deadline: number): Promise<OktaFactor[]> {
    const res = await this.#call('GET', `${this.#o.orgUrl}/api/v1/users/${encodeURIComponent(userId)}/factors`, undefined, deadline);
    const body = this.#expect(res, 200, 'list factors');
    if (!Array.isArray(body)) throw okErr(ErrorCode.OktaProtocol, 'Okta returned factors that are not a list');
    return body.map((f: Record<string, unknown>) => ({
      id: String(f.id), factorType: String(f.factorType), provider: String(f.provider), status: String(f.status),
      ...(typeof (f._links as { verify?: { href?: unknown } } | undefined)?.verify?.href === 'string' ? { verifyHref: (f._links as { verify: { href: string } }).verify.href } : {}),
    }));
  }

  /** Signs the user out of Okta everywhere (`DELETE /api/v1/users/{id}/sessions`). */
  async clearSessions(userId: string, deadline: number): Promise<void> {
    const res = await this.#call('DELETE', `${this.#o.orgUrl}/api/v1/users/${encodeURIComponent(userId)}/sessions`, undefined, deadline);
    this.#expect(res, 204, 'clear sessions');
  }

  /** Suspends an active user (`POST /api/v1/users/{id}/lifecycle/suspend`); a user already not active is left as it is. */
  async suspend(userId: string, deadline: number): Promise<'suspended' | 'not_active'> {
    const res = await this.#call('POST', `${this.#o.orgUrl}/api/v1/users/${encodeURIComponent(userId)}/lifecycle/suspend`, '', deadline);
    if (res.status === 400 && (res.data as OktaErrorBody | undefined)?.errorCode === 'E0000001') return 'not_active';
    this.#expect(res, 200, 'suspend');
    return 'suspended';
  }

  /** Removes every enrolled factor (`POST /api/v1/users/{id}/lifecycle/reset_factors`): the user enrols again. */
  async resetFactors(userId: string, deadline: number): Promise<void> {
    const res = await this.#call('POST', `${this.#o.orgUrl}/api/v1/users/${encodeURIComponent(userId)}/lifecycle/reset_factors`, '', deadline);
    this.#expect(res, 200, 'reset factors');
  }

  /** The apps assigned to a user (`GET /api/v1/users/{id}/appLinks`), by label. */
  async listAppLinks(userId: string, deadline: number): Promise<string[]> {
    const res = await this.#call('GET', `${this.#o.orgUrl}/api/v1/users/${encodeURIComponent(userId)}/appLinks`, undefined, deadline);
    const body = this.#expect(res, 200, 'list app links');
    if (!Array.isArray(body)) throw okErr(ErrorCode.OktaProtocol, 'Okta returned app links that are not a list');
    return body.map((a: Record<string, unknown>) => String(a.label ?? a.appName ?? '')).filter((x) => x !== '');
  }

  /** Sends a push; Okta answers 201 WAITING with the poll and cancel links to follow. */
  async startPush(factor: OktaFactor, ctx: PushContext, deadline: number): Promise<PushStarted> {
    if (!factor.verifyHref) throw okErr(ErrorCode.OktaNoFactor, 'the push factor is not active (no verify link)');
    const headers: Record<string, string> = {};
    if (ctx.clientIp) headers['X-Forwarded-For'] = ctx.clientIp;
    if (ctx.userAgent) headers['User-Agent'] = ctx.userAgent;
    const res = await this.#call('POST', factor.verifyHref, ctx.numberMatching ? { useNumberMatchingChallenge: true } : '', deadline, headers);
    this.#checkLocked(res);
    const body = this.#expect(res, 201, 'start push') as { factorResult?: string; expiresAt?: string; _links?: { poll?: { href?: string }; cancel?: { href?: string } }; _embedded?: { challenge?: { correctAnswer?: number } } };
    const poll = body._links?.poll?.href;
    if (body.factorResult !== 'WAITING' || typeof poll !== 'string') throw okErr(ErrorCode.OktaProtocol, `Okta answered a push with ${body.factorResult ?? 'no result'} and no poll link`);
    const expires = body.expiresAt ? Date.parse(body.expiresAt) : NaN;
    return {
      pollHref: poll,
      ...(typeof body._links?.cancel?.href === 'string' ? { cancelHref: body._links.cancel.href } : {}),
      ...(Number.isFinite(expires) ? { expiresAt: expires } : {}),
      ...(typeof body._embedded?.challenge?.correctAnswer === 'number' ? { correctAnswer: body._embedded.challenge.correctAnswer } : {}),
    };
  }

  async pollPush(href: string, deadline: number): Promise<PushResult> {
    const res = await this.#call('GET', href, undefined, deadline);
    const body = this.#expect(res, 200, 'poll push') as { factorResult?: string };
    const r = body.factorResult;
    if (r === 'WAITING' || r === 'SUCCESS' || r === 'REJECTED' || r === 'TIMEOUT') return r;
    throw okErr(ErrorCode.OktaProtocol, `unexpected push result ${String(r)}`);
  }

  /** One System Log page: GET the first query's URL, then each `next` link as given. */
  async logPage(url: string, deadline: number): Promise<LogPage> {
    const res = await this.#call('GET', url, undefined, deadline);
    if (res.status === 403 && /insufficient_scope/.test(String(res.headers['www-authenticate'] ?? ''))) {
      throw okErr(ErrorCode.OktaAuth, 'Okta refused to read the System Log: the service app lacks the okta.logs.read scope', { status: 403, scope: 'okta.logs.read' });
    }
    const body = this.#expect(res, 200, 'read the System Log');
    if (!Array.isArray(body)) throw okErr(ErrorCode.OktaProtocol, 'Okta returned a System Log page that is not a list');
    const next = nextLink(res.headers.link);
    const limit = Number(res.headers['x-rate-limit-limit']);
    const remaining = Number(res.headers['x-rate-limit-remaining']);
    const reset = Number(res.headers['x-rate-limit-reset']);
    const serverNow = Date.parse(String(res.headers.date ?? '')) || this.#o.clock.now();
    return {
      events: body, ...(next ? { next } : {}),
      // Reset is epoch seconds by Okta's clock: turned into a wait from now on ours.
      ...(Number.isFinite(limit) && Number.isFinite(remaining) && Number.isFinite(reset) ? { rateLimit: { limit, remaining, resetMs: this.#o.clock.now() + Math.max(0, reset * 1000 - serverNow) } } : {}),
    };
  }

  /** Best effort: Okta's cancel link is advertised but not specified; a failure is harmless. */
  async cancelPush(href: string, deadline: number): Promise<boolean> {
    try {
      const res = await this.#call('DELETE', href, undefined, deadline);
      return res.status < 300;
    } catch {
      return false;
    }
  }

  /** Verifies a one-time code; the end user's address and app go along, as for a push, so Okta's System Log names the right client. */
  async verifyPasscode(factor: OktaFactor, passCode: string, deadline: number, ctx: Omit<PushContext, 'numberMatching'> = {}): Promise<PasscodeResult> {
    if (!factor.verifyHref) throw okErr(ErrorCode.OktaNoFactor, 'the TOTP factor is not active (no verify link)');
    const headers: Record<string, string> = {};
    if (ctx.clientIp) headers['X-Forwarded-For'] = ctx.clientIp;
    if (ctx.userAgent) headers['User-Agent'] = ctx.userAgent;
    const res = await this.#call('POST', factor.verifyHref, { passCode }, deadline, headers);
    if (res.status === 200 && (res.data as { factorResult?: string })?.factorResult === 'SUCCESS') return 'SUCCESS';
    const code = (res.data as OktaErrorBody | undefined)?.errorCode;
    if (code === 'E0000068') return 'INVALID';
    if (code === 'E0000082' || code === 'E0000083') return 'REPLAYED';
    if (code === 'E0000069' || code === 'E0000119') return 'LOCKED';
    this.#expect(res, 200, 'verify passcode');
    throw okErr(ErrorCode.OktaProtocol, 'unexpected answer to a passcode');
  }

  // ---- transport ----

  #checkLocked(res: AxiosResponse): void {
    const code = (res.data as OktaErrorBody | undefined)?.errorCode;
    if (code === 'E0000069' || code === 'E0000119') throw okErr(ErrorCode.OktaUserLocked, 'the Okta user is locked out');
  }

  /** The body of an expected status; anything else becomes a typed error. */
  #expect(res: AxiosResponse, status: number, what: string): unknown {
    if (res.status === status) return res.data;
    const body = res.data as OktaErrorBody | undefined;
    const code = body?.errorCode ? ` ${body.errorCode}` : '';
    if (res.status === 401 || res.status === 403) {
      throw okErr(ErrorCode.OktaAuth, `Okta refused ${what}: HTTP ${res.status}${code} (check the API token or the service app's scopes and role)`, { status: res.status });
    }
    if (res.status === 404) throw okErr(ErrorCode.OktaProtocol, `Okta: ${what}: not found${code}`, { status: 404 });
    if (res.status >= 500) throw okErr(ErrorCode.OktaUnavailable, `Okta ${what} failed: HTTP ${res.status}${code}`, { status: res.status });
    throw okErr(ErrorCode.OktaProtocol, `Okta ${what}: unexpected HTTP ${res.status}${code}`, { status: res.status });
  }

  async #authHeader(deadline: number): Promise<string> {
    const a = this.#o.auth;
    if (a.type === 'ssws') return `SSWS ${a.token.reveal()}`;
    const now = this.#o.clock.now();
    if (this.#token && now < this.#token.expiresAt) return `Bearer ${this.#token.value}`;
    // One token request at a time, shared by everyone waiting for it.
    this.#tokenPending ??= this.#fetchToken(a, deadline).finally(() => {
      this.#tokenPending = null;
    });
    return `Bearer ${await this.#tokenPending}`;
  }

  async #fetchToken(a: Extract<OktaAuth, { type: 'oauth' }>, deadline: number): Promise<string> {
    const url = `${this.#o.orgUrl}/oauth2/v1/token`;
    const now = this.#o.clock.now();
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      scope: a.scopes.join(' '),
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: signClientAssertion({ clientId: a.clientId, audience: url, privateKey: a.privateKey, ...(a.keyId ? { keyId: a.keyId } : {}), nowMs: now }),
    });
    const res = await this.#send('POST', url, form.toString(), deadline, { 'Content-Type': 'application/x-www-form-urlencoded' });
    const body = res.data as { access_token?: string; expires_in?: number; error?: string };
    if (res.status !== 200 || typeof body?.access_token !== 'string') {
      throw okErr(ErrorCode.OktaAuth, `Okta refused the service app's token request: HTTP ${res.status} ${body?.error ?? ''}`.trim(), { status: res.status });
    }
    // Renew a minute early so a token never expires mid-challenge.
    this.#token = { value: body.access_token, expiresAt: now + Math.max(60, (body.expires_in ?? 3600) - 60) * 1000 };
    return body.access_token;
  }

  async #call(method: 'GET' | 'POST' | 'DELETE', url: string, data: unknown, deadline: number, headers: Record<string, string> = {}): Promise<AxiosResponse> {
    this.#checkOrigin(url);
    let retry = 0;
    let retryFor = '';
    for (;;) {
      await this.#pace(deadline);
      const auth = await this.#authHeader(deadline);
      const res = await this.#send(method, url, data, deadline, {
        Authorization: auth, ...headers,
        ...(retry > 0 ? { 'X-Okta-Retry-Count': String(retry), 'X-Okta-Retry-For': retryFor } : {}),
      });
      if (res.status !== 429) return res;
      // Honour X-Rate-Limit-Reset, measured against Okta's own Date header (not our clock).
      const reset = Number(res.headers['x-rate-limit-reset']);
      const serverNow = Date.parse(String(res.headers.date ?? '')) || this.#o.clock.now();
      const waitMs = Number.isFinite(reset) ? reset * 1000 - serverNow + 1000 : NaN;
      const now = this.#o.clock.now();
      if (!Number.isFinite(waitMs) || retry >= 2 || waitMs > this.#o.maxRateLimitWaitMs || now + waitMs >= deadline) {
        throw okErr(ErrorCode.OktaRateLimited, `Okta rate limit reached${Number.isFinite(waitMs) ? `; resets in ${Math.ceil(waitMs / 1000)} s` : ''}`, { waitMs });
      }
      retry++;
      retryFor = String(res.headers['x-okta-request-id'] ?? 'null');
      await new Promise<void>((resolve) => this.#o.clock.setTimer(Math.max(0, waitMs), resolve));
    }
  }

  /** Spaces requests evenly at maxRequestsPerSecond; waits on the clock, never past the deadline. */
  async #pace(deadline: number): Promise<void> {
    const rate = this.#o.maxRequestsPerSecond;
    if (!rate) return;
    const now = this.#o.clock.now();
    const slot = Math.max(now, this.#nextSlot);
    this.#nextSlot = slot + 1000 / rate;
    if (slot >= deadline) throw okErr(ErrorCode.OktaRateLimited, 'too many Okta requests queued to finish in time');
    if (slot > now) await new Promise<void>((resolve) => this.#o.clock.setTimer(slot - now, resolve));
  }

  /** Links are followed only within the org: a response must not send credentials elsewhere. */
  #checkOrigin(url: string): void {
    if (new URL(url).origin !== new URL(this.#o.orgUrl).origin) throw okErr(ErrorCode.OktaProtocol, 'Okta returned a link to another origin; refusing to follow it');
  }

  async #send(method: string, url: string, data: unknown, deadline: number, headers: Record<string, string>): Promise<AxiosResponse> {
    const remaining = deadline - this.#o.clock.now();
    if (remaining <= 0) throw okErr(ErrorCode.OktaUnavailable, 'no time left to call Okta');
    try {
      // A body-less POST still needs Content-Length: 0 (Okta answers 411 without it); axios
      // would JSON-encode an empty string as '""', so no data is passed at all.
      const res = await this.#http.request({
        method, url, headers: { ...(data === '' ? { 'Content-Type': 'application/json', 'Content-Length': '0' } : {}), ...headers },
        ...(data !== undefined && data !== '' ? { data } : {}),
        timeout: Math.min(this.#o.requestTimeoutMs, remaining),
      });
      this.#o.onResponse?.(res.status);
      return res;
    } catch (err) {
      this.#o.onResponse?.('error');
      // Never pass the axios error on: its config holds the Authorization header.
      const e = err as { code?: string; message?: string };
      const why = e.code === 'ECONNABORTED' || e.code === 'ETIMEDOUT' ? 'timed out' : e.code ?? 'failed';
      throw okErr(ErrorCode.OktaUnavailable, `Okta request ${why}`, { cause: e.code ?? 'unknown' });
    }
  }
}

/** The `rel="next"` URL of a Link header (one header with several links, or several headers). */
export function nextLink(header: unknown): string | undefined {
  const text = Array.isArray(header) ? header.join(', ') : typeof header === 'string' ? header : '';
  for (const part of text.split(/,\s*(?=<)/)) {
    const m = /^<([^>]+)>\s*;(.*)$/.exec(part.trim());
    if (m && /\brel="?next"?/i.test(m[2]!)) return m[1];
  }
  return undefined;
}
