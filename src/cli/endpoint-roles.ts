/**
 * `bindwall endpoints --roles`: what each source address was taken for (app server, shared
 * terminal, address pool, device), with the evidence, and the config lines that pin the
 * learned app servers (declared roles need no learning and are never unlearned).
 */
import { parseArgs } from 'node:util';
import type { EndpointBaseline } from '../behavior/baseline.js';
import { describeRole, EndpointRole } from '../behavior/endpoint-role.js';
import { EventMapper } from '../behavior/logon-event.js';
import { mapperFor } from '../behavior/setup.js';
import { loadConfigFile } from '../config/load.js';
import { BehaviorStore } from '../store/behavior-store.js';
import { openDatabase } from '../store/db.js';
import { UsageError } from './usage.js';

export const ENDPOINT_ROLES_USAGE = 'usage: bindwall endpoints --roles [--all] [--config FILE | --db PATH] [--json]';

export function endpointRoles(args: string[], out: (s: string) => void): number {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { roles: { type: 'boolean' }, all: { type: 'boolean', default: false }, config: { type: 'string', short: 'c' }, db: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 0) throw new UsageError(ENDPOINT_ROLES_USAGE);
  const config = values.config ? loadConfigFile(values.config) : undefined;
  const mapper = config ? mapperFor(config) : new EventMapper();
  const db = openDatabase(values.db ?? config?.storage.path ?? 'data/bindwall.db', { readonly: true });
  try {
    const rows: { endpoint: string; role: string; declared: boolean; accounts: number; evidence: string; lastSeen: number }[] = [];
    for (const ep of new BehaviorStore(db).allEndpoints()) {
      const d = describeRole(ep, mapper.declaredRole(ep.endpoint));
      if (!values.all && d.role === EndpointRole.Device && !d.declared) continue;
      rows.push({ endpoint: ep.endpoint, role: d.role, declared: d.declared, accounts: accountsOf(ep), evidence: d.evidence, lastSeen: ep.lastSeen });
    }
    rows.sort((a, b) => b.accounts - a.accounts || a.endpoint.localeCompare(b.endpoint));
    const toPin = rows.filter((r) => r.role === EndpointRole.AppServer && !r.declared);
    const suggestion = toPin.length ? ['behavior:', '  apps:', ...toPin.map((r) => `    - { name: app-${r.endpoint.replace(/[^A-Za-z0-9]+/g, '-')}, addresses: [${r.endpoint}] }`)] : [];
    if (values.json) {
      out(JSON.stringify({ endpoints: rows, pin: suggestion.join('\n') }, null, 2));
      return 0;
    }
    if (rows.length === 0) {
      out('no app servers, shared terminals or address pools learned or declared yet (--all lists devices too)');
      return 0;
    }
    out(`${'ENDPOINT'.padEnd(40)}${'ROLE'.padEnd(12)}${'HOW'.padEnd(10)}${'ACCOUNTS'.padEnd(10)}EVIDENCE`);
    for (const r of rows) out(`${r.endpoint.padEnd(40)}${r.role.padEnd(12)}${(r.declared ? 'declared' : 'learned').padEnd(10)}${String(r.accounts).padEnd(10)}${r.evidence}`);
    if (suggestion.length) out(['', `Pin the learned app servers in ${config?.file ?? 'bindwall.yaml'} (merge into behavior.apps; name them as you like):`, ...suggestion].join('\n'));
    return 0;
  } finally {
    db.close();
  }
}

function accountsOf(ep: EndpointBaseline): number {
  const all = new Set([...ep.accounts.keys(), ...(ep.relayedAccounts?.keys() ?? [])]);
  return all.size;
}
