/**
 * `bindwall risk show USER` and `bindwall endpoints USER`: what bindwall has learned about
 * an account (endpoints, apps, hours, entity risk, recent reasons), read from storage.
 */
import { describeLearning, learningState } from '../behavior/learning.js';
import { parseArgs } from 'node:util';
import type { AccountBaseline } from '../behavior/baseline.js';
import { valueAt } from '../behavior/decay.js';
import { canonicalAccount } from '../behavior/logon-event.js';
import { defaultBehaviorOptions } from '../behavior/options.js';
import { loadConfigFile } from '../config/load.js';
import { BehaviorStore, type ThreatNote } from '../store/behavior-store.js';
import type { Db } from '../store/db.js';
import { lockoutsFor, threatEntriesFor } from '../threat/context.js';
import { cloudUse, describeCloud } from '../behavior/cloud.js';
import { ConnectorStore } from '../store/connector-store.js';
import { openDatabase } from '../store/db.js';
import { UsageError } from './usage.js';

const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];


/** A stored event's threat decision, in words. */
function threatWords(t: ThreatNote | undefined): string[] {
  if (!t) return [];
  const out: string[] = [];
  if (t.pool) out.push(`threat pool: source at ${t.pool.level}, ${t.pool.action}${t.pool.enforced ? '' : ' (not enforced)'}`);
  if (t.lockout) out.push(`locked out from ${t.lockout.bucket} sources${t.lockout.enforced ? '' : ' (not enforced)'}`);
  if (t.repeatedPassword) out.push('a wrong password retried');
  if (t.honeytoken) out.push('honeytoken account');
  return out;
}

interface Common {
  account: string;
  json: boolean;
  db: Db;
  store: BehaviorStore;
  close(): void;
  timeZone: string;
}

function open(args: string[], usage: string): Common {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { config: { type: 'string', short: 'c' }, db: { type: 'string' }, json: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) throw new UsageError(usage);
  let dbPath = values.db;
  let timeZone = 'UTC';
  if (!dbPath) {
    if (values.config) {
      const config = loadConfigFile(values.config);
      dbPath = config.storage.path;
      timeZone = config.behavior.timeZone;
    } else dbPath = 'data/bindwall.db';
  }
  const db = openDatabase(dbPath, { readonly: true });
  return { account: canonicalAccount(positionals[0]!), json: !!values.json, db, store: new BehaviorStore(db), close: () => db.close(), timeZone };
}

const iso = (t: number): string => new Date(t).toISOString().replace('T', ' ').slice(0, 16);

function usualHours(b: AccountBaseline): { hour: string; share: number }[] {
  const total = b.hours.total || 1;
  return b.hours.bins.map((v, h) => ({ hour: `${DAYS[Math.floor(h / 24)]} ${String(h % 24).padStart(2, '0')}:00`, share: v / total }))
    .filter((x) => x.share >= 0.02).sort((a, b2) => b2.share - a.share).slice(0, 12);
}

/** Opens storage, finds the account (exit 1 when unknown) and runs `show` on it. */
function withAccount(args: string[], usage: string, out: (s: string) => void, show: (c: Common, b: AccountBaseline) => number): number {
  const c = open(args, usage);
  try {
    const b = c.store.account(c.account);
    if (!b) {
      if (c.json) out(JSON.stringify({ account: c.account, known: false }));
      else process.stderr.write(`bindwall: ${c.account}: no logons recorded\n`);
      return 1;
    }
    return show(c, b);
  } finally {
    c.close();
  }
}

export function riskShow(args: string[], out: (s: string) => void): number {
  return withAccount(args, 'usage: bindwall risk show USER [--config FILE | --db PATH] [--json]', out, (c, b) => {
    const now = Date.now();
    const r = c.store.risk('account', c.account);
    const risk = r ? Math.round(valueAt({ value: r.value, asOf: r.asOf }, now, defaultBehaviorOptions.entityRiskHalfLifeMs)) : 0;
    const recent = c.store.recentEvents(c.account, 10, 1);
    const view = {
      account: b.account, kind: b.kind, peerGroup: b.peerGroup ?? null, firstSeen: b.firstSeen, lastSeen: b.lastSeen,
      logonsLearned: Math.round(b.logons), entityRisk: risk, names: b.names ?? [],
      learning: learningState(b, now),
      endpoints: b.endpoints.size, subnets: [...b.subnets.keys()],
      apps: [...b.apps].map(([app, f]) => ({ app, count: f.count })).sort((x, y) => y.count - x.count),
      usualHours: usualHours(b), timeZone: c.timeZone,
      recent: recent.map((e) => ({ time: e.time, endpoint: e.endpoint, app: e.app, result: e.result, outcome: e.outcome, score: e.score, signals: e.codes, reasons: e.reasons, ...(e.threat ? { threat: e.threat } : {}) })),
      // Smart lockout now, and which of the account's usual sources are in the threat pool.
      lockouts: lockoutsFor(c.db, b.account, now),
      cloud: cloudUse(b),
      okta: new ConnectorStore(c.db).facts<{ status: string; factors: string[]; apps: string[]; fetched: number }>(b.account) ?? null,
      sourcesInPool: threatEntriesFor(c.db, [...b.endpoints.keys()], now),
    };
    if (c.json) {
      out(JSON.stringify(view, null, 2));
      return 0;
    }
    out(`${view.account} (${view.kind}${view.peerGroup ? `, peer group ${view.peerGroup}` : ''})`);
    out(`  first seen ${iso(view.firstSeen)} UTC, last seen ${iso(view.lastSeen)} UTC, ${view.logonsLearned} logons learned`);
    out(`  entity risk ${view.entityRisk}/100`);
    if (view.names.length) out(`  names seen: ${view.names.join(' | ')}`);
    out(`  learning: ${describeLearning(view.learning)}`);
    out(`  endpoints ${view.endpoints} (bindwall endpoints ${view.account}), networks ${view.subnets.join(', ') || '-'}`);
    out(`  apps ${view.apps.map((a) => `${a.app} (${a.count})`).join(', ') || '-'}`);
    out(`  cloud: ${describeCloud(view.cloud, now)}`);
    if (view.okta) out(`  Okta: ${view.okta.status}; factors ${view.okta.factors.join(', ') || 'none'}; ${view.okta.apps.length} assigned app${view.okta.apps.length === 1 ? '' : 's'}${view.okta.apps.length ? ` (${view.okta.apps.slice(0, 6).join(', ')})` : ''}`);
    out(`  usual hours (${view.timeZone}): ${view.usualHours.map((h) => `${h.hour} ${Math.round(h.share * 100)}%`).join(', ') || '-'}`);
    for (const l of view.lockouts) out(`  locked out at the proxy from ${l.bucket} sources until ${iso(l.lockedUntil)} UTC (lockout ${l.lockouts}; bindwall lockouts release ${view.account})`);
    for (const e of view.sourcesInPool) out(`  its endpoint ${e.key} is in the threat pool at ${e.level}: ${e.reasons.join('; ')}`);
    out(recent.length ? '  recent reasons:' : '  recent reasons: none');
    for (const e of view.recent) out(`    ${iso(e.time)}  score ${String(e.score).padStart(3)}  ${e.endpoint}  ${[...e.reasons, ...threatWords(e.threat)].join('; ')}`);
    return 0;
  });
}

export function endpoints(args: string[], out: (s: string) => void): number {
  return withAccount(args, 'usage: bindwall endpoints USER [--config FILE | --db PATH] [--json]', out, (c, b) => {
    const rows = [...b.endpoints].map(([endpoint, f]) => ({ endpoint, firstSeen: f.first, lastSeen: f.last, count: f.count }))
      .sort((x, y) => y.lastSeen - x.lastSeen);
    const learning = learningState(b, Date.now());
    if (c.json) {
      out(JSON.stringify({ account: b.account, learning, endpoints: rows }, null, 2));
      return 0;
    }
    out(`${b.account}: learning ${describeLearning(learning)}`);
    out(`${'ENDPOINT'.padEnd(40)}${'FIRST SEEN (UTC)'.padEnd(19)}${'LAST SEEN (UTC)'.padEnd(19)}LOGONS`);
    for (const r of rows) out(`${r.endpoint.padEnd(40)}${iso(r.firstSeen).padEnd(19)}${iso(r.lastSeen).padEnd(19)}${r.count}`);
    return 0;
  });
}

