/**
 * bindwall's web listener (mfa.challengePage's host and port): one small HTTP(S) server for
 * the pages people open — the challenge page's code form, UserInsight's report links. Routes
 * are tried in order; every answer carries the same strict headers; an error inside a route
 * is a plain 500 page, never a stack trace.
 */
import http from 'node:http';
import https from 'node:https';
import type { TlsMaterial } from '../config/load.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { close, listen } from '../util/http-listen.js';
import { isLoopbackHost, normalizeAddress } from '../util/address.js';
import { escapeHtml } from '../util/html.js';

export function page(title: string, body: string): string {
  return `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:36em;margin:2em auto}input{font-size:1.4em;width:7em;letter-spacing:.2em}button{font-size:1.1em;padding:.4em 1em}</style>
<h1>${escapeHtml(title)}</h1>${body}`;
}

export interface WebContext {
  url: URL;
  /** The client's address (as the proxy writes addresses). */
  from: string;
  send(status: number, html: string): void;
}

/** Handles the request and returns true, or returns false to let the next route try. */
export type Route = (req: http.IncomingMessage, ctx: WebContext) => boolean;

/** Reads a form body of at most maxBytes; past that the request is dropped and the promise rejects (nobody is left to answer). */
export function readForm(req: http.IncomingMessage, maxBytes: number): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        reject(new Error(`form larger than ${maxBytes} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

export class WebServer {
  readonly #server: http.Server;
  readonly #scheme: 'http' | 'https';
  readonly #routes: Route[] = [];
  #url = '';

  constructor(private readonly log: Logger, tls?: TlsMaterial) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.#handle(req, res);
    this.#server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
    // Slow clients do not hold a socket for long.
    this.#server.requestTimeout = 30_000;
    this.#server.headersTimeout = 10_000;
    this.#server.maxHeadersCount = 100;
    this.#scheme = tls ? 'https' : 'http';
  }

  get url(): string {
    return this.#url;
  }

  mount(route: Route): void {
    this.#routes.push(route);
  }

  async start(host: string, port: number): Promise<string> {
    this.#url = await listen(this.#server, host, port, this.#scheme);
    if (this.#scheme === 'http' && !isLoopbackHost(host)) {
      this.log.warn({ event: 'challenge_page_plain_http', host }, 'the web listener (challenge page, report links) is served over plain HTTP on a non-loopback address: codes and links cross the network unencrypted (set mfa.challengePage.tls)');
    }
    this.log.info({ event: 'challenge_page', url: this.#url }, `web listener (challenge page, report links) at ${this.#url}`);
    return this.#url;
  }

  stop(): Promise<void> {
    return close(this.#server);
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const send = (status: number, html: string): void => {
      if (res.headersSent) return;
      res.writeHead(status, {
        'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
      });
      res.end(html);
    };
    try {
      const ctx: WebContext = { url: new URL(req.url ?? '/', 'http://page'), from: normalizeAddress(req.socket.remoteAddress), send };
      for (const route of this.#routes) if (route(req, ctx)) return;
      send(404, page('Not found', '<p>Nothing here.</p>'));
    } catch (err) {
      this.log.error({ event: 'web_error', error: describeError(err) }, 'a web page failed');
      send(500, page('Something went wrong', '<p>Please try again later.</p>'));
    }
  }
}
