/** HealthInsight: the posture tasks, most important first, each with its impacts, what was found, why and the fix; admins dismiss with a reason or restore. */
import { html, type SafeHtml } from '../../util/html.js';
import type { ReportedTask } from '../../health/report.js';
import type { ConsoleDeps } from '../deps.js';
import { form, iso } from '../layout.js';
import { may, Permission, type ConsoleSession } from '../sessions.js';

export function healthPage(d: ConsoleDeps, s: ConsoleSession, tasks: readonly ReportedTask[]): SafeHtml {
  const open = tasks.filter((t) => !t.dismissed);
  const dismissed = tasks.filter((t) => t.dismissed);
  const admin = may(s.role, Permission.Configure);
  const card = (t: ReportedTask): SafeHtml => html`<article class="task impact-${t.securityImpact}" aria-labelledby="task-${t.id}">
<h3 id="task-${t.id}">${t.title}</h3>
<p class="impacts"><span class="badge">${t.securityImpact} security impact</span> <span class="badge">${t.userImpact} end-user impact</span> <code>${t.id}</code></p>
<p><strong>Found:</strong> ${t.found}</p><p><strong>Why it matters:</strong> ${t.why}</p>
<p><strong>Fix</strong> in <code>${t.fix.file}</code>:</p><pre>${t.fix.yaml}</pre>
${t.dismissed ? html`<p class="dismissed">Dismissed by ${t.dismissed.operator} on ${iso(t.dismissed.time)}: ${t.dismissed.reason}</p>${admin ? form(s, '/health/restore', html`<input type="hidden" name="task" value="${t.id}"><button type="submit">Restore</button>`, `Restore ${t.id}`) : ''}`
    : admin ? form(s, '/health/dismiss', html`<input type="hidden" name="task" value="${t.id}"><label>Reason <input name="reason" required maxlength="500"></label> <button type="submit">Dismiss</button>`, `Dismiss ${t.id}`) : ''}
</article>`;
  return html`<p>${open.length} open task(s)${dismissed.length ? `, ${dismissed.length} dismissed` : ''}. A task completes itself when the configuration, policy or traffic no longer shows the problem (checked at most once a minute).</p>
${open.length ? open.map(card) : html`<p class="empty">Nothing to fix.</p>`}
${dismissed.length ? html`<section aria-labelledby="dismissed"><h2 id="dismissed">Dismissed</h2>${dismissed.map(card)}</section>` : ''}
<p><a href="/console/audit">Changes made in the console</a></p>`;
}
