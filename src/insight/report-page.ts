/**
 * The pages behind report links, on bindwall's web listener. Opening a link (GET) only shows
 * what it is about and a button: mail scanners and link previews open every link, and must
 * not answer for the person. The button (POST to the same link) answers, once. A link that is
 * not ours, was changed, has expired or was used gets a page that says so.
 */
import type { Logger } from '../log/logger.js';
import type { Clock } from '../util/clock.js';
import { page, readForm, type Route } from '../web/server.js';
import { escapeHtml as esc } from '../util/html.js';
import type { LinkSigner } from './links.js';
import type { AnswerResult, ReportDesk } from './reports.js';

const WHAT: Record<string, string> = {
  new_device: 'a sign-in from a new device', new_app: 'a sign-in to a new application', factor_enrolled: 'a new sign-in factor on your account',
  factor_reset: 'a reset of your sign-in factors', password_changed: 'a change of your password', failed_step_up: 'a sign-in that was stopped',
};

const REFUSED = {
  invalid: [400, 'This link is not valid', 'The link is incomplete or was changed. Open it again from the email, or contact your IT helpdesk.'],
  unknown: [404, 'This link is not valid', 'We do not know this link. It may be older than our records; contact your IT helpdesk if something looks wrong.'],
  expired: [410, 'This link has expired', 'Links in our emails work for a limited time. If something looks wrong on your account, contact your IT helpdesk.'],
  used: [410, 'This link was already used', 'Your answer was already taken. If something still looks wrong, contact your IT helpdesk.'],
} as const;

/** At most this many refused links are logged per minute (anyone can send junk to the listener). */
const REFUSALS_LOGGED_PER_MINUTE = 20;

export function reportPageRoute(o: { links: LinkSigner; desk: ReportDesk; log: Logger; clock: Clock }): Route {
  let minute = 0;
  let logged = 0;
  const refuse = (send: (s: number, h: string) => void, why: keyof typeof REFUSED, from: string): true => {
    const [status, title, text] = REFUSED[why];
    const m = Math.floor(o.clock.now() / 60_000);
    if (m !== minute) [minute, logged] = [m, 0];
    if (logged++ < REFUSALS_LOGGED_PER_MINUTE) o.log.warn({ event: 'report_link_refused', reason: why, client: from }, `a report link was refused (${why}) from ${from}`);
    send(status, page(title, `<p>${esc(text)}</p>`));
    return true;
  };
  return (req, { url, from, send }) => {
    const m = /^\/r\/([^/]{1,200})$/.exec(url.pathname);
    if (!m) return false;
    if (req.method !== 'GET' && req.method !== 'POST') {
      send(405, page('Not allowed', '<p>Open the link from the email.</p>'));
      return true;
    }
    const link = o.links.verify(m[1]!);
    if (!link) return refuse(send, 'invalid', from);
    const state = o.desk.peek(link.ref);
    if (!state.ok) return refuse(send, state.reason, from);
    const what = WHAT[state.notice.kind] ?? 'activity on your account';
    const when = new Date(state.notice.event.time).toISOString().slice(0, 16).replace('T', ' ');
    if (req.method === 'GET') {
      const [title, question, button] = link.answer === 'denied'
        ? ['Report suspicious activity', `We will treat ${what} on ${esc(when)} UTC as not yours: your account will be protected and our security team told.`, 'This wasn\'t me']
        : ['Confirm it was you', `You are confirming that ${what} on ${esc(when)} UTC was yours.`, 'This was me'];
      send(200, page(title, `<p>${question}</p>${state.notice.event.app ? `<p>Application: <b>${esc(state.notice.event.app)}</b></p>` : ''}` +
        `<form method="post"><button>${esc(button)}</button></form>`));
      return true;
    }
    readForm(req, 1024).then(() => {
      let r: AnswerResult;
      try {
        r = o.desk.answer(link.ref, link.answer);
      } catch (err) {
        o.log.error({ event: 'report_failed', error: String((err as Error).message ?? err) }, 'taking a report failed');
        send(500, page('Something went wrong', '<p>Your answer could not be taken. Please try the link again in a few minutes, or contact your IT helpdesk.</p>'));
        return;
      }
      if (!r.ok) return refuse(send, r.reason, from);
      send(200, r.answer === 'denied'
        ? page('Thank you for reporting it', '<p>Your account is being protected and our security team has been told. You may be asked to verify yourself with Okta Verify at your next sign-in.</p>')
        : page('Thank you', '<p>We have noted that it was you. Nothing else to do.</p>'));
    }, () => undefined);
    return true;
  };
}
