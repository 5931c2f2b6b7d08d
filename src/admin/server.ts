/**
 * The admin listener (`admin:`, loopback by default): `/metrics` in the Prometheus text
 * format, `/healthz` (the process answers), `/readyz` (listening, a directory URL healthy,
 * a policy loaded: what a load balancer should ask) and `/status` as JSON for `bindwall
 * status`. With a token, /metrics and /status need `Authorization: Bearer <token>`; the probes
 * stay open for the balancer. With admin.console, the console's pages are served here too
 * (over HTTPS).
 */
import http from 'node:http';
import https from 'node:https';
import { sameToken } from '../util/same-token.js';
import type { TlsMaterial } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { Secret } from '../log/secret.js';
import { close, listen } from '../util/http-listen.js';
import type { Metrics } from './metrics.js';

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail?: string;
  /** Reported but not required for ready: the node works without it, in a documented fail mode. */
  optional?: boolean;
}

export interface Readiness {
  ready: boolean;
  /** Each check, with why it fails. */
  checks: ReadinessCheck[];
}

export class AdminServer {
  readonly #server: http.Server;
  readonly #scheme: 'http' | 'https';
  #url = '';

  constructor(private readonly o: {
    metrics: Metrics; readiness: () => Promise<Readiness>; status: () => Promise<unknown>; log: Logger; token?: Secret<string>; tls?: TlsMaterial;
    /** The admin console (console/app.ts): answers its own paths, false for others. */
    console?: { handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> };
  }) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => void this.#handle(req, res);
    this.#server = o.tls ? https.createServer({ cert: o.tls.cert, key: o.tls.key }, handler) : http.createServer(handler);
    this.#server.requestTimeout = 10_000;
    this.#server.headersTimeout = 5_000;
    this.#scheme = o.tls ? 'https' : 'http';
  }

  get url(): string {
    return this.#url;
  }

  async start(host: string, port: number): Promise<string> {
    this.#url = await listen(this.#server, host, port, this.#scheme);
    this.o.log.info({ event: 'admin_listening', url: this.#url, console: this.o.console ? `${this.#url}/console/` : undefined }, `admin listener (metrics, health, status${this.o.console ? ', console' : ''}) at ${this.#url}`);
    return this.#url;
  }

  stop(): Promise<void> {
    return close(this.#server);
  }

  #authorized(req: http.IncomingMessage): boolean {
    if (!this.o.token) return true;
    return sameToken(String(req.headers.authorization ?? ''), `Bearer ${this.o.token.reveal()}`);
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const send = (status: number, type: string, body: string): void => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end(body);
    };
    const json = (status: number, body: unknown): void => send(status, 'application/json', `${JSON.stringify(body)}\n`);
    try {
      const path = new URL(req.url ?? '/', 'http://admin').pathname;
      if (this.o.console && path !== '/metrics' && path !== '/status' && path !== '/healthz' && path !== '/readyz' && (await this.o.console.handle(req, res))) return;
      if (req.method !== 'GET' && req.method !== 'HEAD') return json(405, { error: 'GET only' });
      if (path === '/healthz') return json(200, { ok: true });
      if (path === '/readyz') {
        const r = await this.o.readiness();
        return json(r.ready ? 200 : 503, r);
      }
      if (path !== '/metrics' && path !== '/status') return json(404, { error: 'not found', paths: ['/metrics', '/healthz', '/readyz', '/status'] });
      if (!this.#authorized(req)) return json(401, { error: 'a bearer token is required (admin.tokenFile)' });
      if (path === '/metrics') return send(200, this.o.metrics.contentType, await this.o.metrics.text());
      return json(200, await this.o.status());
    } catch (err) {
      this.o.log.error({ event: 'admin_error', error: String((err as Error).message ?? err) }, 'the admin listener failed to answer');
      if (!res.headersSent) json(500, { error: 'internal error' });
    }
  }
}
