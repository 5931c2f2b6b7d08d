/** Overview: the last hour's binds by decision, on-premises vs cloud sign-ins, who and what is riskiest, open incidents, the threat pool, live status. */
import { html, type SafeHtml } from '../../util/html.js';
import type { ConsoleDeps } from '../deps.js';
import { chart, endpointLink, iso, table, userLink } from '../layout.js';
import { RATE_GROUPS } from '../bind-rates.js';

const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;

/** The live part (refreshed by console.js from /console/api/live): directory URLs and connectors. */
export function liveStatus(d: ConsoleDeps): { upstreams: { name: string; ok: boolean; detail: string }[]; connectors: { name: string; ok: boolean; detail: string }[] } {
  return {
    upstreams: d.upstreams().map((u) => ({ name: u.url, ok: u.healthy, detail: u.healthy ? 'healthy' : (u.lastError ?? 'unreachable') })),
    connectors: d.connectors().map((c) => ({ name: c.name, ok: c.state === 'ok', detail: c.state === 'ok' ? `${c.events} events taken in, last poll ${iso(c.lastSuccess)}` : `${c.state}${c.reason ? `: ${c.reason}` : ''}` })),
  };
}

const indicator = (kind: string, s: { name: string; ok: boolean; detail: string }): SafeHtml =>
  html`<li data-live-item="${kind}:${s.name}" class="${s.ok ? 'ok' : 'bad'}"><span class="dot" aria-hidden="true"></span><span class="name">${s.name}</span> — <span class="detail">${s.ok ? 'OK' : 'PROBLEM'}: ${s.detail}</span></li>`;

export function overviewPage(d: ConsoleDeps): SafeHtml {
  const now = d.clock.now();
  const rates = d.rates.lastHour(now);
  const thisHour = Math.floor(now / 3_600_000);
  const counted = new Map(d.queries.signInsByHour((thisHour - 23) * 3_600_000).map((h) => [h.hour, h]));
  const hours = Array.from({ length: 24 }, (_, i) => counted.get(thisHour - 23 + i) ?? { hour: thisHour - 23 + i, onPrem: 0, cloud: 0 });
  const engine = d.engine;
  const live = (kind: 'account' | 'endpoint'): { key: string; risk: number }[] => d.queries.topRisks(kind, 50)
    .map((r) => ({ key: r.key, risk: Math.round(engine ? engine.risk(kind, r.key, now) : r.value) }))
    .filter((r) => r.risk > 0).sort((a, b) => b.risk - a.risk).slice(0, 10);
  const incidents = d.queries.openIncidentsBySeverity();
  const threats = d.threats(now);
  const level = (l: string): number => threats.filter((t) => t.level === l).length;
  const status = liveStatus(d);
  const quarantined = d.quarantine?.list().filter((q) => q.until === null || q.until > now).length ?? 0;
  return html`
<section aria-labelledby="at-a-glance"><h2 id="at-a-glance">At a glance</h2><dl class="tiles">
<div><dt>Identities</dt><dd>${d.queries.identityCount()}</dd></div>
<div><dt>Open incidents</dt><dd>${Object.values(incidents).reduce((a, b) => a + b, 0)}</dd></div>
<div><dt>Quarantined</dt><dd>${quarantined}</dd></div>
<div><dt>Threat pool sources</dt><dd>${threats.length}</dd></div></dl></section>
<section aria-labelledby="live"><h2 id="live">Directory and connectors</h2><ul class="live" data-live="/console/api/live">
${status.upstreams.map((u) => indicator('upstream', u))}${status.connectors.map((c) => indicator('connector', c))}
${status.connectors.length === 0 ? html`<li class="none">No connectors configured.</li>` : ''}</ul></section>
<div class="charts">
${chart({ id: 'binds', title: 'Binds per minute by decision (last hour)', type: 'bar', stacked: true, labels: rates.minutes.map((m) => iso(m).slice(11, 16)), series: RATE_GROUPS.map((g) => ({ label: g, data: rates.series[g] })) })}
${chart({ id: 'signins', title: 'Sign-ins per hour: on-premises and cloud (last 24 h)', type: 'line', labels: hours.map((h) => iso(h.hour * 3_600_000).slice(11, 16)), series: [{ label: 'on-premises', data: hours.map((h) => h.onPrem) }, { label: 'cloud', data: hours.map((h) => h.cloud) }] })}
</div>
<div class="columns">
<section aria-labelledby="risky-users"><h2 id="risky-users">Riskiest identities</h2>${table(['Identity', 'Risk'], live('account').map((r) => [userLink(r.key), r.risk]), 'No identity carries risk now.')}</section>
<section aria-labelledby="risky-endpoints"><h2 id="risky-endpoints">Riskiest endpoints</h2>${table(['Endpoint', 'Risk'], live('endpoint').map((r) => [endpointLink(r.key), r.risk]), 'No endpoint carries risk now.')}</section>
<section aria-labelledby="open-incidents"><h2 id="open-incidents">Open incidents by severity</h2>${table(['Severity', 'Open'], SEVERITIES.map((s) => [html`<a href="/console/incidents?status=open&amp;severity=${s}">${s}</a>`, incidents[s] ?? 0]), '')}</section>
<section aria-labelledby="threat-pool"><h2 id="threat-pool">Threat pool</h2>${table(['Level', 'Sources'], [['high (blocked)', level('high')], ['medium (slowed)', level('medium')], ['low', level('low')]], '')}</section>
</div>`;
}

