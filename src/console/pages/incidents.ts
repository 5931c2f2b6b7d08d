/** Incidents: filtered by status, severity and time; one incident's timeline (response workflow steps included), acknowledged or resolved with a note. */
import { html, type SafeHtml } from '../../util/html.js';
import type { Incident } from '../../store/incident-store.js';
import type { ConsoleDeps } from '../deps.js';
import { endpointLink, form, iso, link, table, userLink } from '../layout.js';
import { may, Permission, type ConsoleSession } from '../sessions.js';

const STATUSES = ['open', 'acknowledged', 'resolved'] as const;
const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const WINDOWS: Record<string, number> = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

export function incidentsPage(d: ConsoleDeps, url: URL): SafeHtml {
  const status = STATUSES.find((s) => s === url.searchParams.get('status'));
  const severity = SEVERITIES.find((s) => s === url.searchParams.get('severity'));
  const window = url.searchParams.get('since') ?? '';
  const since = WINDOWS[window] ? d.clock.now() - WINDOWS[window]! : undefined;
  const list = (d.incidents?.list({ ...(status ? { status } : {}), ...(since ? { since } : {}), limit: 500 }) ?? []).filter((i) => !severity || i.severity === severity);
  const select = (name: string, label: string, values: readonly string[], current: string | undefined): SafeHtml =>
    html`<label>${label} <select name="${name}"><option value="">any</option>${values.map((v) => html`<option${v === current ? html` selected` : ''}>${v}</option>`)}</select></label>`;
  return html`<form method="get" action="/console/incidents" class="filters" aria-label="Filter incidents">
${select('status', 'Status', STATUSES, status)} ${select('severity', 'Severity', SEVERITIES, severity)} ${select('since', 'Since', Object.keys(WINDOWS), window || undefined)} <button type="submit">Filter</button></form>
${table(['Incident', 'Time', 'Identity', 'From', 'App', 'Severity', 'Status', 'Failure'],
    list.map((i) => [link(`/incidents/${i.id}`, `#${i.id}`), iso(i.time), userLink(i.account), endpointLink(i.endpoint), i.app, i.severity, i.status, i.failure]), 'No incidents match.')}`;
}

export function incidentPage(s: ConsoleSession, i: Incident): SafeHtml {
  return html`<dl class="facts">
<dt>When</dt><dd>${iso(i.time)}</dd>
<dt>Identity</dt><dd>${userLink(i.account)} (${i.kind})</dd>
<dt>From</dt><dd>${endpointLink(i.endpoint)} via ${i.app}</dd>
<dt>Severity / status</dt><dd>${i.severity} / <span id="incident-status">${i.status}</span></dd>
<dt>What failed</dt><dd>${i.failure}${i.method ? ` (${i.method})` : ''}</dd>
<dt>Rule</dt><dd>${i.ruleId ?? '—'}</dd>
<dt>Why it was challenged</dt><dd>${i.reasons.join('; ') || '—'} (score ${i.score})</dd>
${i.reported ? html`<dt>Reported by the person</dt><dd>${i.reported.kind.replace(/_/g, ' ')} at ${iso(i.reported.time)}${i.reported.endpoint ? ` from ${i.reported.endpoint}` : ''}</dd>` : ''}
</dl>
<section aria-labelledby="timeline"><h2 id="timeline">Timeline</h2><ol class="timeline">${i.timeline.map((e) => html`<li><time>${iso(e.time)}</time> ${e.what}</li>`)}</ol></section>
${may(s.role, Permission.Respond) && i.status !== 'resolved' ? html`<section aria-labelledby="respond"><h2 id="respond">Respond</h2>${form(s, `/incidents/${i.id}`, html`<label for="note">Note</label> <input id="note" name="note" maxlength="1000">
${i.status === 'open' ? html`<button type="submit" name="action" value="ack">Acknowledge</button>` : ''} <button type="submit" name="action" value="resolve">Resolve</button>`, 'Respond to the incident')}</section>` : ''}`;
}
