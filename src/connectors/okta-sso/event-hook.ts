/**
 * Okta event hooks (`../shared/okta-api.md` §7): the one-time verification GET echoing
 * `x-okta-verification-challenge`, then POSTed batches (`data.events`, LogEvents) taken in
 * through the poller, so an event arriving both ways is learned once. Every request must
 * carry the configured Authorization value (compared in constant time); bodies are bounded,
 * requests have deadlines, and the answer is a quick 204 (Okta waits 3 s and retries once).
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { close, listen } from '../../util/http-listen.js';
import { describeError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { Secret } from '../../log/secret.js';
import { LogBudget } from '../../log/budget.js';
import type { Clock } from '../../util/clock.js';

export interface EventHookOptions {
  host: string;
  port: number;
  path: string;
  secret: Secret<string>;
  tls?: { cert: Buffer; key: Buffer };
  log: Logger;
  clock: Clock;
  /** A batch's events; returns how many were new. */
  receive: (events: readonly unknown[]) => number;
}

const MAX_BODY_BYTES = 8 * 1024 * 1024;

/** Equal length first: timingSafeEqual compares digests, so the secret's length does not leak either. */
const sameSecret = (given: string, secret: Secret<string>): boolean =>
  timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(secret.reveal()).digest());

export class OktaEventHook {
  readonly #o: EventHookOptions;
  readonly #server: http.Server;
  readonly #budget: LogBudget;
  #url = '';

  constructor(o: EventHookOptions) {
    this.#o = o;
    this.#budget = new LogBudget(o.clock, { perWindow: 20, windowMs: 60_000 });
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.#handle(req, res);
    this.#server = o.tls ? https.createServer({ cert: o.tls.cert, key: o.tls.key, minVersion: 'TLSv1.2' }, handler) : http.createServer(handler);
    // Deadlines for everything a client controls.
    this.#server.requestTimeout = 10_000;
    this.#server.headersTimeout = 5_000;
    this.#server.keepAliveTimeout = 5_000;
    this.#server.maxConnections = 64;
  }

  get url(): string {
    return this.#url;
  }

  async start(): Promise<string> {
    this.#url = `${await listen(this.#server, this.#o.host, this.#o.port, this.#o.tls ? 'https' : 'http')}${this.#o.path}`;
    this.#o.log.info({ event: 'event_hook_listening', url: this.#url }, `Okta event hook listening at ${this.#url}`);
    return this.#url;
  }

  stop(): Promise<void> {
    return close(this.#server);
  }

  #refuse(req: http.IncomingMessage, res: http.ServerResponse, status: number, why: string): void {
    const address = req.socket.remoteAddress ?? 'unknown';
    const suppressed = this.#budget.take(address);
    if (suppressed !== undefined) this.#o.log.warn({ event: 'event_hook_refused', client: address, status, reason: why, ...(suppressed ? { suppressed } : {}) }, `Okta event hook request refused: ${why}`);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: why }));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://hook');
    if (url.pathname !== this.#o.path) return this.#refuse(req, res, 404, 'not found');
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !sameSecret(auth, this.#o.secret)) return this.#refuse(req, res, 401, 'missing or wrong Authorization');
    if (req.method === 'GET') {
      const challenge = req.headers['x-okta-verification-challenge'];
      if (typeof challenge !== 'string' || challenge.length > 1024) return this.#refuse(req, res, 400, 'no x-okta-verification-challenge header');
      this.#o.log.info({ event: 'event_hook_verified' }, 'Okta verified the event hook');
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ verification: challenge }));
      return;
    }
    if (req.method !== 'POST') return this.#refuse(req, res, 405, 'only GET (verification) and POST (events)');
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        this.#refuse(req, res, 413, `a batch over ${MAX_BODY_BYTES} bytes`);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (res.headersSent) return;
      let events: unknown;
      try {
        events = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { events?: unknown } }).data?.events;
      } catch {
        return this.#refuse(req, res, 400, 'the body is not JSON');
      }
      if (!Array.isArray(events)) return this.#refuse(req, res, 400, 'no data.events list');
      try {
        const fresh = this.#o.receive(events);
        this.#o.log.debug({ event: 'event_hook_batch', events: events.length, fresh }, 'Okta event hook batch');
        res.writeHead(204).end();
      } catch (err) {
        // A 5xx makes Okta retry once; polling catches up in any case.
        this.#o.log.error({ event: 'event_hook_failed', error: describeError(err) }, 'an Okta event hook batch could not be taken in; polling will bring it');
        res.writeHead(503).end();
      }
    });
  }
}
