/** The simulator's "phone": a small page listing waiting pushes with Approve / Deny, and TOTP codes. */
import { totp } from '../totp.js';
import type { OktaState } from './state.js';
import { escapeHtml as esc } from '../../util/html.js';

export function simPage(state: OktaState): string {
  const now = state.clock.now();
  const pending = state.pending().map((t) => {
    const u = state.user(t.userId)!;
    const secs = Math.max(0, Math.round((t.expiresAt - now) / 1000));
    return `<li><b>${esc(u.login)}</b> — sign-in from ${esc(t.clientIp ?? 'unknown address')}${t.userAgent ? ` (${esc(t.userAgent)})` : ''}` +
      `${t.correctAnswer !== undefined ? `, number <b>${t.correctAnswer}</b>` : ''}, ${secs}s left ` +
      `<form method="post" action="/sim/push/${encodeURIComponent(t.id)}/approve" style="display:inline"><button>Approve</button></form> ` +
      `<form method="post" action="/sim/push/${encodeURIComponent(t.id)}/deny" style="display:inline"><button>Deny</button></form></li>`;
  }).join('\n');
  const codes = state.users().flatMap((u) => u.factors.filter((f) => f.secret).map((f) => `<li>${esc(u.login)}: <code>${totp(f.secret!, now)}</code></li>`)).join('\n');
  return `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="3"><title>Okta Verify (simulator)</title>
<h1>Okta Verify — simulator</h1>
<h2>Waiting pushes</h2><ul>${pending || '<li>none</li>'}</ul>
<h2>One-time codes (change every 30 s)</h2><ul>${codes || '<li>none</li>'}</ul>`;
}
