/**
 * Insights: a saved filter over identities (kind, privileged, cloud-enabled, department,
 * group) with its count, a chart by department and the identities it selects — the seeds'
 * "custom Insight with cloud-enabled as an attribute".
 */
import { AccountKind } from '../../behavior/logon-event.js';
import { html, type SafeHtml } from '../../util/html.js';
import type { ConsoleDeps } from '../deps.js';
import { chart, form, iso, link, table, userLink } from '../layout.js';
import { INSIGHT_FILTERS, type InsightFilter } from '../queries.js';
import { may, Permission, type ConsoleSession } from '../sessions.js';

const KINDS = Object.values(AccountKind);

export function filterFrom(params: URLSearchParams): InsightFilter {
  const f: InsightFilter = {};
  for (const k of INSIGHT_FILTERS) {
    const v = params.get(k)?.trim().slice(0, 128);
    if (v) f[k] = v;
  }
  return f;
}

export const filterQuery = (f: InsightFilter): string => new URLSearchParams(Object.entries(f) as [string, string][]).toString();

const describe = (f: InsightFilter): string => Object.entries(f).map(([k, v]) => `${k} = ${v}`).join(', ') || 'every identity';

export function insightsPage(d: ConsoleDeps, s: ConsoleSession, url: URL): SafeHtml {
  const f = filterFrom(url.searchParams);
  const r = d.queries.identities(f, 200);
  const saved = d.store.insights();
  const yesNo = (name: 'privileged' | 'cloud', label: string): SafeHtml => html`<label>${label} <select name="${name}"><option value="">any</option>${['yes', 'no'].map((v) => html`<option${f[name] === v ? html` selected` : ''}>${v}</option>`)}</select></label>`;
  return html`
<section aria-labelledby="saved"><h2 id="saved">Saved Insights</h2>${table(['Insight', 'Filter', 'Saved by', ''], saved.map((i) => [link(`/insights?${filterQuery(i.filter)}`, i.name), describe(i.filter), `${i.operator}, ${iso(i.created)}`,
    may(s.role, Permission.Respond) ? form(s, `/insights/${i.id}/delete`, html`<button type="submit">Delete</button>`, `Delete ${i.name}`) : '']), 'None saved yet.')}</section>
<section aria-labelledby="filter"><h2 id="filter">Filter</h2><form method="get" action="/console/insights" class="filters" aria-label="Insight filter">
<label>Kind <select name="kind"><option value="">any</option>${KINDS.map((k) => html`<option${f.kind === k ? html` selected` : ''}>${k}</option>`)}</select></label>
${yesNo('privileged', 'Privileged')} ${yesNo('cloud', 'Cloud-enabled')}
<label>Department <input name="department" value="${f.department ?? ''}" maxlength="128"></label> <label>Group <input name="group" value="${f.group ?? ''}" maxlength="128"></label> <button type="submit">Show</button></form>
${may(s.role, Permission.Respond) ? form(s, '/insights', html`${Object.entries(f).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}<label for="insight-name">Save this filter as</label> <input id="insight-name" name="name" required maxlength="80"> <button type="submit">Save Insight</button>`, 'Save this Insight') : ''}</section>
<section aria-labelledby="result"><h2 id="result">${r.count} identities: ${describe(f)}</h2>
${r.byDepartment.length ? chart({ id: 'insight', title: `By department (${describe(f)})`, type: 'bar', labels: r.byDepartment.map((x) => x.department), series: [{ label: 'identities', data: r.byDepartment.map((x) => x.n) }] }) : ''}
${table(['Identity', 'Kind', 'Department', 'Privileged', 'Cloud', 'Last seen'], r.rows.map((i) => [userLink(i.account), i.kind, i.department ?? '—', i.privileged ? 'yes' : 'no', i.cloud ? 'yes' : 'no', iso(i.lastSeen)]), 'No identity matches.')}
${r.count > r.rows.length ? html`<p>First ${r.rows.length} of ${r.count} shown.</p>` : ''}</section>`;
}
