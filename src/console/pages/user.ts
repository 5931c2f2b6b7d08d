/** The user page: who this identity is, where it logs on from, how risky it has been, what was decided, incidents and quarantine. */
import { cloudUse, describeCloud } from '../../behavior/cloud.js';
import { describeRole } from '../../behavior/endpoint-role.js';
import { describeLearning, learningState } from '../../behavior/learning.js';
import { html, type SafeHtml } from '../../util/html.js';
import type { ConsoleDeps } from '../deps.js';
import { chart, endpointLink, form, iso, link, table } from '../layout.js';
import { may, Permission, type ConsoleSession } from '../sessions.js';

export function userPage(d: ConsoleDeps, s: ConsoleSession, account: string): SafeHtml | undefined {
  const now = d.clock.now();
  const engine = d.engine;
  const b = engine?.account(account) ?? d.queries.baselines.account(account);
  const facts = d.queries.baselines.facts(account);
  if (!b && !facts) return undefined;
  const okta = d.queries.okta.facts<{ status: string; factors: string[]; apps: string[] }>(account);
  const cloud = cloudUse(b);
  const decisions = d.queries.decisions(account, 50);
  const risk = Math.round(engine ? engine.risk('account', account, now) : 0);
  const q = d.quarantine?.get(account);
  const quarantined = q && (q.until === null || q.until > now);
  const endpoints = [...(b?.endpoints ?? new Map())].sort((x, y) => y[1].last - x[1].last).slice(0, 100).map(([key, f]) => {
    const role = describeRole(engine?.endpoint(key) ?? d.queries.baselines.endpoint(key), d.mapper.declaredRole(key));
    return [endpointLink(key), iso(f.first), iso(f.last), f.count, role.role.replace('_', ' ')];
  });
  const history = [...decisions].reverse();
  const incidents = d.queries.incidentsFor('account', account, 20);
  return html`
<section aria-labelledby="identity"><h2 id="identity">Identity</h2><dl class="facts">
<dt>Account</dt><dd>${account}</dd>
<dt>Kind</dt><dd>${b?.kind ?? '—'}</dd>
<dt>Names seen</dt><dd>${(b?.names ?? []).join(', ') || '—'}</dd>
<dt>Entry</dt><dd>${facts?.dn ?? '— (no directory lookup recorded)'}</dd>
<dt>Groups</dt><dd>${facts?.groupNames.join(', ') || '—'}</dd>
${facts?.department ? html`<dt>Department</dt><dd>${facts.department}</dd>` : ''}
<dt>Privileged</dt><dd>${facts?.privileged ? 'yes' : 'no'}</dd>
<dt>First / last seen</dt><dd>${iso(b?.firstSeen)} / ${iso(b?.lastSeen)}</dd>
<dt>Learning</dt><dd>${describeLearning(learningState(b, now, engine?.opts))}</dd>
<dt>Risk now</dt><dd>${risk}/100</dd>
<dt>Cloud access</dt><dd>${cloud.access ? describeCloud(cloud, now) : 'no cloud sign-ins seen'}${okta ? html`; Okta: ${okta.status}, factors ${okta.factors.join(', ') || 'none'}, apps ${okta.apps.join(', ') || 'none'}` : ''}</dd>
</dl></section>
<section aria-labelledby="quarantine"><h2 id="quarantine">Quarantine</h2>${quarantined
    ? html`<p>Quarantined since ${iso(q.since)}${q.until ? html` until ${iso(q.until)}` : ''} (${q.source}): ${q.reason}${q.releaseOn === 'verified' ? ' — a passed step-up releases it' : ''}.</p>
${may(s.role, Permission.Respond) ? form(s, '/quarantine/release', html`<input type="hidden" name="account" value="${account}"><label for="release-note">Note</label> <input id="release-note" name="note" maxlength="500"> <button type="submit">Release from quarantine</button>`, 'Release from quarantine') : ''}`
    : html`<p>Not quarantined.</p>`}</section>
<section aria-labelledby="endpoints"><h2 id="endpoints">Associated endpoints</h2>${table(['Endpoint', 'First seen', 'Last seen', 'Logons', 'Role'], endpoints, 'No logons learned yet.')}</section>
${history.length ? chart({ id: 'risk', title: 'Risk over time (score of each bind and the account\'s risk)', type: 'line', labels: history.map((e) => iso(e.time)), series: [{ label: 'bind score', data: history.map((e) => e.score) }, { label: 'account risk', data: history.map((e) => Math.round(e.accountRisk ?? 0)) }] }) : ''}
<section aria-labelledby="decisions"><h2 id="decisions">Recent decisions</h2>${table(['Time', 'Bound as', 'From', 'App', 'Outcome', 'Rule', 'Score', 'Why'],
    decisions.map((e) => [iso(e.time), e.bindName, endpointLink(e.endpoint), e.app, e.outcome ?? e.action ?? '—', e.ruleId ?? '—', e.score, e.reasons.join('; ') || '—']), 'No binds recorded.')}</section>
<section aria-labelledby="incidents"><h2 id="incidents">Incidents</h2>${table(['Incident', 'Time', 'Severity', 'Status', 'Failure'], incidents.map((i) => [link(`/incidents/${i.id}`, `#${i.id}`), iso(i.time), i.severity, i.status, i.failure]), 'None.')}</section>`;
}
