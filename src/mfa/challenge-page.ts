/**
 * The challenge page, a route on bindwall's web listener: a person at the suspect endpoint
 * types the one-time code for their waiting sign-in. A browser sees only the challenges of
 * its own client address; codes travel in a POST body and are never logged or shown back.
 */
import { page, readForm, type Route } from '../web/server.js';
import { escapeHtml as esc } from '../util/html.js';
import type { CodeInbox } from './code-inbox.js';

export function challengePageRoute(inbox: CodeInbox): Route {
  return (req, { url, from, send }) => {
    if (req.method === 'GET' && url.pathname === '/') {
      const waiting = inbox.forEndpoint(from);
      const items = waiting.map((w) => `<form method="post" action="/code/${encodeURIComponent(w.id)}"><p>Sign-in by <b>${esc(w.account)}</b> to <b>${esc(w.app)}</b>: ` +
        `<input name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required autofocus> <button>Verify</button></p></form>`).join('');
      send(200, page('Verify your sign-in', items || `<p>No sign-in from this computer (${esc(from)}) is waiting for a code.</p>`));
      return true;
    }
    const m = /^\/code\/([\w-]+)$/.exec(url.pathname);
    if (req.method !== 'POST' || !m) return false;
    readForm(req, 4096).then((form) => {
      const code = form.get('code') ?? '';
      if (!/^\d{6}$/.test(code)) return send(400, page('Verify your sign-in', '<p>Type the six digits shown in Okta Verify. <a href="/">Back</a></p>'));
      const ok = inbox.submit(m[1]!, from, code);
      send(ok ? 200 : 404, page('Verify your sign-in', ok ? '<p>Thank you — checking the code. Your application continues on its own.</p>' : '<p>No such sign-in is waiting here.</p>'));
    }, () => undefined);
    return true;
  };
}
