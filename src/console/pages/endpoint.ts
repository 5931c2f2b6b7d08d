/** The endpoint page: what bindwall takes this source for and why, who logged on here, what the threat pool holds on it. */
import { describeRole } from '../../behavior/endpoint-role.js';
import { html, type SafeHtml } from '../../util/html.js';
import type { ConsoleDeps } from '../deps.js';
import { iso, link, table, userLink } from '../layout.js';
import { cidrContains, parseCidr } from '../../util/cidr.js';

const covers = (network: string, address: string): boolean => {
  const c = parseCidr(network);
  return !('error' in c) && cidrContains(c, address);
};

export function endpointPage(d: ConsoleDeps, address: string): SafeHtml | undefined {
  const now = d.clock.now();
  const engine = d.engine;
  const ep = engine?.endpoint(address) ?? d.queries.baselines.endpoint(address);
  const threats = d.threats(now).filter((t) => t.key === address || (t.key.includes('/') && covers(t.key, address)));
  if (!ep && threats.length === 0) return undefined;
  const role = describeRole(ep, d.mapper.declaredRole(address));
  const accounts = [...(ep?.accounts ?? new Map())].sort((x, y) => y[1].last - x[1].last).slice(0, 200);
  const incidents = d.queries.incidentsFor('endpoint', address, 20);
  return html`
<section aria-labelledby="role"><h2 id="role">Role</h2><dl class="facts">
<dt>Address</dt><dd>${address}</dd>
<dt>Role</dt><dd>${role.role.replace('_', ' ')} (${role.declared ? 'declared' : 'learned'})</dd>
<dt>Evidence</dt><dd>${role.evidence}</dd>
${ep?.device ? html`<dt>Device now</dt><dd>${ep.device} (seen ${iso(ep.deviceSeen)})</dd>` : ''}
<dt>First / last seen</dt><dd>${iso(ep?.firstSeen)} / ${iso(ep?.lastSeen)}</dd>
<dt>Risk now</dt><dd>${Math.round(engine ? engine.risk('endpoint', address, now) : 0)}/100</dd></dl></section>
<section aria-labelledby="identities"><h2 id="identities">Identities seen here</h2>${table(['Identity', 'First seen', 'Last seen', 'Logons'], accounts.map(([a, f]) => [userLink(a), iso(f.first), iso(f.last), f.count]), 'No successful logons from here.')}</section>
<section aria-labelledby="threat"><h2 id="threat">Threat pool</h2>${table(['Entry', 'Level', 'Since', 'Expires', 'Why'], threats.map((t) => [t.key, t.level, iso(t.since), iso(t.expires), t.reasons.join('; ')]), 'No threat-pool entry for this source.')}</section>
<section aria-labelledby="incidents"><h2 id="incidents">Incidents from here</h2>${table(['Incident', 'Time', 'Identity', 'Severity', 'Status'], incidents.map((i) => [link(`/incidents/${i.id}`, `#${i.id}`), iso(i.time), userLink(i.account), i.severity, i.status]), 'None.')}</section>`;
}
