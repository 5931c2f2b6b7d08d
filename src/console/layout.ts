/**
 * The console's page frame and small shared pieces: navigation, times, charts (a canvas
 * that console.js hands to Chart.js, with the same numbers as a table for screen readers and
 * for anyone without scripts), forms that carry the CSRF token.
 */
import { html, type SafeHtml } from '../util/html.js';
import type { ConsoleSession } from './sessions.js';

export const BASE = '/console';

const NAV: readonly [string, string][] = [
  ['overview', 'Overview'], ['incidents', 'Incidents'], ['policy', 'Policy'], ['insights', 'Insights'], ['health', 'HealthInsight'],
];

export const iso = (t: number | null | undefined): string => (t ? new Date(t).toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z') : '—');

export const link = (path: string, text: string | SafeHtml): SafeHtml => html`<a href="${BASE}${path}">${text}</a>`;

export const userLink = (account: string): SafeHtml => link(`/users/${encodeURIComponent(account)}`, account);
export const endpointLink = (address: string): SafeHtml => link(`/endpoints/${encodeURIComponent(address)}`, address);

/** A POST form with the session's CSRF token. */
export function form(s: ConsoleSession, action: string, inner: SafeHtml, label = ''): SafeHtml {
  return html`<form method="post" action="${BASE}${action}"${label ? html` aria-label="${label}"` : ''}><input type="hidden" name="csrf" value="${s.csrf}">${inner}</form>`;
}

export interface ChartSpec {
  id: string;
  title: string;
  type: 'bar' | 'line' | 'doughnut';
  labels: readonly string[];
  series: readonly { label: string; data: readonly number[] }[];
  stacked?: boolean;
}

export function chart(c: ChartSpec): SafeHtml {
  const config = {
    type: c.type,
    data: { labels: c.labels, datasets: c.series.map((s) => ({ label: s.label, data: s.data })) },
    options: c.stacked ? { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } : {},
  };
  return html`<figure class="chart"><figcaption>${c.title}</figcaption>
<div class="chart-box"><canvas id="${c.id}" role="img" aria-label="${c.title}" data-chart="${JSON.stringify(config)}"></canvas></div>
<details><summary>Data</summary><table><thead><tr><th scope="col">${c.type === 'doughnut' ? 'Part' : 'Time'}</th>${c.series.map((s) => html`<th scope="col">${s.label}</th>`)}</tr></thead>
<tbody>${c.labels.map((l, i) => html`<tr><th scope="row">${l}</th>${c.series.map((s) => html`<td>${s.data[i] ?? 0}</td>`)}</tr>`)}</tbody></table></details></figure>`;
}

export function layout(o: { title: string; session?: ConsoleSession; active?: string; body: SafeHtml; notice?: string; refreshS?: number }): string {
  const s = o.session;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="same-origin">${o.refreshS ? html`<meta http-equiv="refresh" content="${o.refreshS}">` : ''}
<title>${o.title} · bindwall</title><link rel="stylesheet" href="${BASE}/assets/console.css"><script src="${BASE}/assets/chart.umd.min.js" defer></script><script src="${BASE}/assets/console.js" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header><span class="brand">bindwall</span>${s ? html`<nav aria-label="Main"><ul>${NAV.map(([id, label]) => html`<li><a href="${BASE}/${id === 'overview' ? '' : id}"${o.active === id ? html` aria-current="page"` : ''}>${label}</a></li>`)}</ul></nav>
<form role="search" method="get" action="${BASE}/search"><label for="q" class="visually-hidden">Search users, DNs, addresses, host names</label><input id="q" name="q" type="search" placeholder="user, DN, address, host" maxlength="256"><button type="submit">Search</button></form>
<div class="who"><span>${s.operator} (${s.role})</span>${form(s, '/logout', html`<button type="submit">Sign out</button>`, 'Sign out')}</div>` : ''}</header>
<main id="main"><h1>${o.title}</h1>${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}${o.body}</main></body></html>`.value;
}

/** A data table, or a sentence when there are no rows. */
export function table(head: readonly string[], rows: readonly (readonly (SafeHtml | string | number)[])[], empty: string): SafeHtml {
  if (rows.length === 0 && empty) return html`<p class="empty">${empty}</p>`;
  return html`<table><thead><tr>${head.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`)}</tbody></table>`;
}
