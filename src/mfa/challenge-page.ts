/**
 * The challenge page: a small HTTP server where a person at the suspect endpoint types the
 * one-time code for their waiting sign-in. A browser sees only the challenges of its own
 * client address; codes travel in a POST body and are never logged or shown back.
 */
import http from 'node:http';
import https from 'node:https';
import type { TlsMaterial } from '../config/load.js';
import { close, listen } from '../util/http-listen.js';
import type { Logger } from '../log/logger.js';
import { normalizeAddress } from '../proxy/session.js';
import type { CodeInbox } from './code-inbox.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;max-width:36em;margin:2em auto}input{font-size:1.4em;width:7em;letter-spacing:.2em}</style>
<h1>${esc(title)}</h1>${body}`;
}

export class ChallengePage {
  readonly #server: http.Server;
  readonly #scheme: 'http' | 'https';
  #url = '';

  constructor(private readonly inbox: CodeInbox, private readonly log: Logger, tls?: TlsMaterial) {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => this.#handle(req, res);
    this.#server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handler) : http.createServer(handler);
    this.#scheme = tls ? 'https' : 'http';
  }

  get url(): string {
    return this.#url;
  }

  async start(host: string, port: number): Promise<string> {
    this.#url = await listen(this.#server, host, port, this.#scheme);
    if (this.#scheme === 'http' && !/^(127\.|::1$|localhost$)/.test(host)) {
      this.log.warn({ event: 'challenge_page_plain_http', host }, 'the challenge page is served over plain HTTP on a non-loopback address: codes cross the network unencrypted (set mfa.challengePage.tls)');
    }
    this.log.info({ event: 'challenge_page', url: this.#url }, `challenge page at ${this.#url}`);
    return this.#url;
  }

  stop(): Promise<void> {
    return close(this.#server);
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const from = normalizeAddress(req.socket.remoteAddress);
    const send = (status: number, html: string): void => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'x-frame-options': 'DENY', 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'" });
      res.end(html);
    };
    const url = new URL(req.url ?? '/', 'http://page');
    if (req.method === 'GET' && url.pathname === '/') {
      const waiting = this.inbox.forEndpoint(from);
      const items = waiting.map((w) => `<form method="post" action="/code/${encodeURIComponent(w.id)}"><p>Sign-in by <b>${esc(w.account)}</b> to <b>${esc(w.app)}</b>: ` +
        `<input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus> <button>Verify</button></p></form>`).join('');
      send(200, page('Verify your sign-in', items || `<p>No sign-in from this computer (${esc(from)}) is waiting for a code.</p>`));
      return;
    }
    const m = /^\/code\/([\w-]+)$/.exec(url.pathname);
    if (req.method === 'POST' && m) {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString('utf8');
        if (body.length > 4096) req.destroy();
      });
      req.on('end', () => {
        const code = new URLSearchParams(body).get('code') ?? '';
        if (!/^\d{6}$/.test(code)) return send(400, page('Verify your sign-in', '<p>Type the six digits shown in Okta Verify. <a href="/">Back</a></p>'));
        const ok = this.inbox.submit(m[1]!, from, code);
        send(ok ? 200 : 404, page('Verify your sign-in', ok ? '<p>Thank you — checking the code. Your application continues on its own.</p>' : '<p>No such sign-in is waiting here.</p>'));
      });
      return;
    }
    send(404, page('Not found', '<p>Nothing here.</p>'));
  }
}
