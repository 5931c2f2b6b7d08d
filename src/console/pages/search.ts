/** Search: one box for a user, a DN, a name form (DOMAIN\sam, a UPN), an address or a host name; one hit goes straight to its page. */
import { canonicalAccount } from '../../behavior/logon-event.js';
import { html, type SafeHtml } from '../../util/html.js';
import type { ConsoleDeps } from '../deps.js';
import { BASE, endpointLink, table, userLink } from '../layout.js';
import type { SearchHit } from '../queries.js';

export function search(d: ConsoleDeps, q: string): SearchHit[] {
  const text = q.slice(0, 256);
  const account = canonicalAccount(text.trim());
  const hits = d.queries.search(text, account);
  // What the running engine knows and storage may not have yet (it is written in batches).
  const engine = d.engine;
  const live: SearchHit[] = [];
  if (engine?.account(account) && !hits.some((h) => h.kind === 'user' && h.key === account)) live.push({ kind: 'user', key: account, matched: account === text.trim() ? account : `${text.trim()} is ${account}` });
  if (engine?.endpoint(text.trim()) && !hits.some((h) => h.kind === 'endpoint' && h.key === text.trim())) live.push({ kind: 'endpoint', key: text.trim(), matched: text.trim() });
  return [...live, ...hits];
}

export const hitPath = (h: SearchHit): string => `${BASE}/${h.kind === 'user' ? 'users' : 'endpoints'}/${encodeURIComponent(h.key)}`;

export function searchPage(q: string, hits: readonly SearchHit[]): SafeHtml {
  if (q.trim() === '') return html`<p>Type a user name, a DN, an address or a host name in the search box.</p>`;
  return html`<p>${hits.length} result(s) for “${q}”.</p>${table(['Result', 'Kind', 'Matched'], hits.map((h) => [h.kind === 'user' ? userLink(h.key) : endpointLink(h.key), h.kind, h.matched]), 'Nothing matches.')}`;
}
