/**
 * `bindwall connectors [--json]`: each configured connector's health as the running proxy
 * last stored it — ok, degraded, failing or stopped, why, and when it last read anything.
 */
import { parseArgs } from 'node:util';
import type { ConnectorHealth } from '../connectors/health.js';
import { loadConfigFile } from '../config/load.js';
import { ConnectorStore } from '../store/connector-store.js';
import { openDatabase } from '../store/db.js';
import { UsageError } from './usage.js';

export const CONNECTORS_USAGE = 'usage: bindwall connectors [--config FILE | --db PATH] [--json]';

const ago = (t: number | undefined, now: number): string => (t === undefined ? 'never' : `${Math.max(0, Math.round((now - t) / 1000))} s ago`);

export function connectorsCommand(args: string[], out: (s: string) => void): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { config: { type: 'string', short: 'c' }, db: { type: 'string' }, json: { type: 'boolean', default: false } } });
  if (positionals.length > 0) throw new UsageError(CONNECTORS_USAGE);
  const config = values.config ? loadConfigFile(values.config) : undefined;
  const configured = config ? Object.keys(config.connectors).map((k) => (k === 'oktaSso' ? 'okta-sso' : k)) : undefined;
  const db = openDatabase(values.db ?? config?.storage.path ?? 'data/bindwall.db', { readonly: true });
  let rows: ConnectorHealth[];
  try {
    rows = (db.pragma('user_version', { simple: true }) as number) >= 8 ? new ConnectorStore(db).health() : [];
  } finally {
    db.close();
  }
  // A configured connector the proxy has not reported yet is starting (or the proxy is not running).
  for (const name of configured ?? []) if (!rows.some((r) => r.name === name)) rows.push({ name, state: 'starting', reason: 'no report yet: is bindwall running?', events: 0, updated: Date.now() });
  if (configured) rows = rows.filter((r) => configured.includes(r.name));
  // Nothing reported for three polls: the proxy is not running, or the connector is stuck.
  const sso = config?.connectors.oktaSso;
  if (sso) {
    const now = Date.now();
    rows = rows.map((r) => (r.state !== 'stopped' && r.state !== 'failing' && now - r.updated > 3 * sso.pollIntervalMs
      ? { ...r, state: 'failing', reason: `stale: no report for ${Math.round((now - r.updated) / 60_000)} min (is bindwall running?)` } : r));
  }
  if (values.json) {
    out(JSON.stringify(rows));
    return rows.some((r) => r.state === 'failing') ? 1 : 0;
  }
  if (rows.length === 0) out('no connectors configured (connectors.oktaSso in the config)');
  const now = Date.now();
  for (const r of rows) {
    out(`${r.name}: ${r.state}${r.reason ? ` — ${r.reason}` : ''}`);
    out(`  last read ${ago(r.lastSuccess, now)}, newest event ${r.lastEvent ? new Date(r.lastEvent).toISOString() : 'none'}, ${r.events} events taken in`);
  }
  return rows.some((r) => r.state === 'failing') ? 1 : 0;
}
