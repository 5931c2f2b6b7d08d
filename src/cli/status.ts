/**
 * `bindwall status --config FILE [--json]`: what the running bindwall says of itself through
 * its admin listener — version, uptime, readiness and why, policy, directory URLs, pending
 * challenges, incidents, behaviour, connectors. Exit 0 when ready, 1 when not (or unreachable).
 */
import { parseArgs } from 'node:util';
import axios from 'axios';
import { loadConfigFile } from '../config/load.js';
import { UsageError } from './usage.js';

export const STATUS_USAGE = 'usage: bindwall status --config FILE [--json]   (the config\'s admin: listener must be set)';

interface Status {
  version: string; uptimeS: number; ready: boolean; checks: { name: string; ok: boolean; detail?: string; optional?: boolean }[];
  listeners: { name: string; url: string }[]; policy: { hash: string; rules: number } | null;
  directory: { url: string; healthy: boolean; lastError?: string }[]; sessions: number; challengesPending: number;
  incidents: { open: number; deadLetters: number } | null; behavior: { accounts: number; endpoints: number; learning?: { accounts: number; learned: number } } | null;
  threatSources: number; connectors: { name: string; state: string; reason?: string }[];
  fleet?: { node: string; connected: boolean; listening: boolean; outbox: number; applied: number; lastError?: string; events: { queued: number; dropped: number } };
}

export async function statusCommand(args: string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean', default: false } } });
  if (positionals.length > 0 || !values.config) throw new UsageError(STATUS_USAGE);
  const config = loadConfigFile(values.config);
  const a = config.admin;
  if (!a) {
    err(`bindwall: ${config.file} has no admin: listener, so a running bindwall cannot be asked (add admin: { port: 9090 })`);
    return 1;
  }
  const host = a.host === '0.0.0.0' ? '127.0.0.1' : a.host === '::' ? '::1' : a.host;
  const url = `${a.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${a.port}/status`;
  let s: Status;
  try {
    const res = await axios.get<Status>(url, { timeout: 5_000, validateStatus: () => true, ...(a.token ? { headers: { Authorization: `Bearer ${a.token.reveal()}` } } : {}) });
    if (res.status !== 200) {
      err(`bindwall: ${url} answered HTTP ${res.status}${res.status === 401 ? ' (the token in admin.tokenFile is not the running one)' : ''}`);
      return 1;
    }
    s = res.data;
  } catch (e) {
    err(`bindwall: bindwall is not answering at ${url} (${(e as { code?: string }).code ?? 'request failed'}): is it running with this config?`);
    return 1;
  }
  if (values.json) {
    out(JSON.stringify(s));
    return s.ready ? 0 : 1;
  }
  const h = Math.floor(s.uptimeS / 3600);
  const m = Math.floor((s.uptimeS % 3600) / 60);
  out(`bindwall ${s.version}, up ${h}h ${m}m: ${s.ready ? 'ready' : 'NOT READY'}`);
  for (const c of s.checks.filter((x) => !x.ok)) out(`  ${c.name}: ${c.detail ?? 'failing'}${c.optional ? ' (reported, not required for ready)' : ''}`);
  out(`listeners: ${s.listeners.map((l) => `${l.name} ${l.url}`).join(', ')}; ${s.sessions} session(s)`);
  out(`policy: ${s.policy ? `${s.policy.hash} (${s.policy.rules} rules)` : 'none (a custom decision function)'}`);
  for (const d of s.directory) out(`directory ${d.url}: ${d.healthy ? 'healthy' : `down (${d.lastError ?? 'failing'})`}`);
  out(`challenges pending: ${s.challengesPending}${s.incidents ? `; incidents open: ${s.incidents.open}; dead letters: ${s.incidents.deadLetters}` : ''}`);
  if (s.behavior) out(`behaviour: ${s.behavior.accounts} accounts, ${s.behavior.endpoints} endpoints${s.behavior.learning ? `; ${s.behavior.learning.learned} of ${s.behavior.learning.accounts} people past their learning period` : ''}; threat pool: ${s.threatSources} source(s)`);
  for (const c of s.connectors) out(`connector ${c.name}: ${c.state}${c.reason ? ` — ${c.reason}` : ''}`);
  const f = s.fleet;
  if (f) {
    out(`fleet: node ${f.node}, ${f.connected ? `connected${f.listening ? '' : ' (not listening: changes arrive with the reload)'}` : `database unavailable (${f.lastError ?? 'connecting'})`}; ` +
      `${f.outbox} change(s) queued, ${f.applied} applied from other nodes; observations ${f.events.queued} queued, ${f.events.dropped} dropped`);
  }
  return s.ready ? 0 : 1;
}
