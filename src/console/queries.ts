/**
 * What the console's pages read from the database, as a few indexed queries each: the
 * overview stays quick with tens of thousands of identities (see bench/console.bench.ts).
 */
import type { Db } from '../store/db.js';
import { BehaviorStore } from '../store/behavior-store.js';
import { ConnectorStore } from '../store/connector-store.js';

export interface DecisionRow {
  time: number;
  bindName: string;
  endpoint: string;
  endpointName: string | null;
  app: string;
  outcome: string | null;
  action: string | null;
  ruleId: string | null;
  score: number;
  reasons: string[];
  accountRisk: number | null;
}

export interface SearchHit {
  kind: 'user' | 'endpoint';
  key: string;
  /** Why it matched: the account, a DN, a name form, an address, a host name. */
  matched: string;
}

/** Identity attributes an Insight can filter on. */
export const INSIGHT_FILTERS = ['kind', 'privileged', 'cloud', 'department', 'group'] as const;
export type InsightFilter = Partial<Record<(typeof INSIGHT_FILTERS)[number], string>>;

export interface IdentityRow {
  account: string;
  kind: string;
  lastSeen: number;
  department: string | null;
  privileged: boolean;
  cloud: boolean;
}

const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export class ConsoleQueries {
  /** Baselines and directory facts, as behaviour stores them. */
  readonly baselines: BehaviorStore;
  /** What the SSO connector read of people in Okta. */
  readonly okta: ConnectorStore;

  constructor(private readonly db: Db) {
    this.baselines = new BehaviorStore(db);
    this.okta = new ConnectorStore(db);
  }

  identityCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM baselines WHERE kind = 'account'").get() as { n: number }).n;
  }

  /** The highest stored risks (the caller re-reads the live, decayed value). */
  topRisks(kind: 'account' | 'endpoint', limit: number): { key: string; value: number; asOf: number }[] {
    return this.db.prepare('SELECT key, value, as_of AS asOf FROM entity_risk WHERE kind = ? ORDER BY value DESC LIMIT ?').all(kind, limit) as { key: string; value: number; asOf: number }[];
  }

  openIncidentsBySeverity(): Record<string, number> {
    const rows = this.db.prepare("SELECT severity, COUNT(*) AS n FROM incidents WHERE status = 'open' GROUP BY severity").all() as { severity: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.severity, r.n]));
  }

  /** Sign-ins per hour since `since`, on-premises (through the proxy) and cloud (Okta's System Log). */
  signInsByHour(since: number): { hour: number; onPrem: number; cloud: number }[] {
    return this.db.prepare(`SELECT time / 3600000 AS hour, SUM(CASE WHEN app LIKE 'okta%' THEN 0 ELSE 1 END) AS onPrem, SUM(CASE WHEN app LIKE 'okta%' THEN 1 ELSE 0 END) AS cloud
      FROM events WHERE time >= ? AND result = 'success' GROUP BY hour ORDER BY hour`).all(since) as { hour: number; onPrem: number; cloud: number }[];
  }

  /** Users by account, name form, DN or department; endpoints by address or host name. At most `limit` of each. */
  search(q: string, account: string, limit = 25): SearchHit[] {
    const text = q.trim();
    if (text === '') return [];
    const prefix = `${likeEscape(text.toLowerCase())}%`;
    const inside = `%${likeEscape(text.toLowerCase())}%`;
    const hits = new Map<string, SearchHit>();
    const add = (h: SearchHit): void => {
      if (!hits.has(`${h.kind}:${h.key}`)) hits.set(`${h.kind}:${h.key}`, h);
    };
    for (const key of this.db.prepare("SELECT key FROM baselines WHERE kind = 'account' AND (key = ? OR key LIKE ? ESCAPE '\\') ORDER BY key LIMIT ?").pluck().all(account, prefix, limit) as string[]) {
      add({ kind: 'user', key, matched: key === account && account !== text.toLowerCase() ? `${text} is ${key}` : key });
    }
    for (const r of this.db.prepare("SELECT account, json_extract(data, '$.dn') AS dn FROM facts WHERE lower(json_extract(data, '$.dn')) LIKE ? ESCAPE '\\' LIMIT ?").all(inside, limit) as { account: string; dn: string }[]) {
      add({ kind: 'user', key: r.account, matched: r.dn });
    }
    for (const key of this.db.prepare("SELECT key FROM baselines WHERE kind = 'endpoint' AND key LIKE ? ESCAPE '\\' ORDER BY key LIMIT ?").pluck().all(prefix, limit) as string[]) {
      add({ kind: 'endpoint', key, matched: key });
    }
    // Host names bindwall learned (reverse DNS, computer accounts) are on the events; the newest first.
    for (const r of this.db.prepare("SELECT endpoint, endpoint_name AS name FROM events WHERE endpoint_name IS NOT NULL AND lower(endpoint_name) LIKE ? ESCAPE '\\' GROUP BY endpoint ORDER BY MAX(time) DESC LIMIT ?").all(prefix, limit) as { endpoint: string; name: string }[]) {
      add({ kind: 'endpoint', key: r.endpoint, matched: r.name });
    }
    return [...hits.values()].slice(0, limit * 2);
  }

  decisions(account: string, limit: number): DecisionRow[] {
    const rows = this.db.prepare(`SELECT time, bind_name AS bindName, endpoint, endpoint_name AS endpointName, app, outcome, action, rule_id AS ruleId, score, reasons, account_risk AS accountRisk
      FROM events WHERE account = ? ORDER BY time DESC, id DESC LIMIT ?`).all(account, limit) as (Omit<DecisionRow, 'reasons'> & { reasons: string })[];
    return rows.map((r) => ({ ...r, reasons: JSON.parse(r.reasons) as string[] }));
  }

  /** Identities the filter selects (all of them counted; `limit` listed). */
  identities(f: InsightFilter, limit: number): { count: number; rows: IdentityRow[]; byDepartment: { department: string; n: number }[] } {
    const where: string[] = ["b.kind = 'account'"];
    const args: unknown[] = [];
    if (f.kind) {
      where.push("json_extract(b.data, '$.kind') = ?");
      args.push(f.kind);
    }
    if (f.privileged === 'yes' || f.privileged === 'no') where.push(`coalesce(json_extract(fa.data, '$.privileged'), 0) = ${f.privileged === 'yes' ? 1 : 0}`);
    if (f.cloud === 'yes' || f.cloud === 'no') where.push(`(cf.account IS NOT NULL AND json_array_length(json_extract(cf.data, '$.apps')) > 0) = ${f.cloud === 'yes' ? 1 : 0}`);
    if (f.department) {
      where.push("lower(json_extract(fa.data, '$.department')) = lower(?)");
      args.push(f.department);
    }
    if (f.group) {
      where.push("EXISTS (SELECT 1 FROM json_each(json_extract(fa.data, '$.groupNames')) WHERE value = lower(?))");
      args.push(f.group);
    }
    const from = `FROM baselines b LEFT JOIN facts fa ON fa.account = b.key LEFT JOIN cloud_facts cf ON cf.account = b.key WHERE ${where.join(' AND ')}`;
    const count = (this.db.prepare(`SELECT COUNT(*) AS n ${from}`).get(...args) as { n: number }).n;
    const rows = (this.db.prepare(`SELECT b.key AS account, json_extract(b.data, '$.kind') AS kind, json_extract(b.data, '$.lastSeen') AS lastSeen,
        json_extract(fa.data, '$.department') AS department, coalesce(json_extract(fa.data, '$.privileged'), 0) AS privileged,
        (cf.account IS NOT NULL AND json_array_length(json_extract(cf.data, '$.apps')) > 0) AS cloud ${from} ORDER BY b.key LIMIT ?`).all(...args, limit) as (Omit<IdentityRow, 'privileged' | 'cloud'> & { privileged: number; cloud: number })[])
      .map((r) => ({ ...r, privileged: r.privileged === 1, cloud: r.cloud === 1 }));
    const byDepartment = this.db.prepare(`SELECT coalesce(json_extract(fa.data, '$.department'), '(none)') AS department, COUNT(*) AS n ${from} GROUP BY department ORDER BY n DESC LIMIT 12`).all(...args) as { department: string; n: number }[];
    return { count, rows, byDepartment };
  }

  incidentsFor(kind: 'account' | 'endpoint', key: string, limit: number): { id: number; time: number; severity: string; status: string; failure: string; account: string; endpoint: string }[] {
    return this.db.prepare(`SELECT id, time, severity, status, failure, account, endpoint FROM incidents WHERE ${kind} = ? ORDER BY time DESC LIMIT ?`).all(key, limit) as { id: number; time: number; severity: string; status: string; failure: string; account: string; endpoint: string }[];
  }
}
