/**
 * Persistence for behaviour: logon events (with their score and reasons, kept for
 * `retention`), baselines and entity risk. Writes are batched in transactions by the caller
 * (write-behind); nothing here runs per bind.
 */
import type { AccountBaseline, EndpointBaseline, PeerBaseline } from '../behavior/baseline.js';
import type { Assessment, BaselineLoader } from '../behavior/engine.js';
import type { Decayed } from '../behavior/decay.js';
import type { LogonEvent } from '../behavior/logon-event.js';
import type { UserFacts } from '../directory/facts.js';
import { decodeJson, encodeJson } from './codec.js';
import type { Db } from './db.js';

export interface StoredEvent {
  logon: LogonEvent;
  assessment: Assessment;
  outcome?: string;
  listener?: string;
  tls?: boolean;
  /** The decision made on this bind (policy issue), when one was made. */
  decision?: { action: string; ruleId?: string; policyHash?: string; audit?: { ruleId: string; action: string } };
  /** What the threat pool and smart lockout said of this bind (threat/), when they said anything. */
  threat?: ThreatNote;
}

export interface ThreatNote {
  pool?: { level: string; action: string; enforced: boolean };
  lockout?: { bucket: string; enforced: boolean };
  repeatedPassword?: true;
  honeytoken?: true;
}

/** An event as `policy replay` reads it back. */
export interface ReplayRow {
  id: number;
  time: number;
  account: string;
  bindName: string;
  kind: string;
  endpoint: string;
  app: string;
  listener: string | null;
  tls: boolean;
  outcome: string | null;
  score: number;
  codes: string[];
  reasons: string[];
  accountRisk: number;
  endpointRisk: number;
  action: string | null;
  ruleId: string | null;
  policyHash: string | null;
  /** What a rule in audit mode would have decided (recorded, not enforced). */
  auditRuleId: string | null;
  auditAction: string | null;
}

export interface EventRow {
  time: number;
  account: string;
  endpoint: string;
  endpointName: string | null;
  app: string;
  result: string;
  outcome: string | null;
  score: number;
  codes: string[];
  reasons: string[];
  threat?: ThreatNote;
}

export interface EngineState {
  accounts: AccountBaseline[];
  endpoints: EndpointBaseline[];
  peers: PeerBaseline[];
  risks: { kind: 'account' | 'endpoint'; key: string; value: number; asOf: number }[];
}

/** The signals' codes as a JSON array, without building the array first (most binds have none). */
function codesJson(signals: Assessment['signals']): string {
  if (signals.length === 0) return '[]';
  let out = '[';
  for (let i = 0; i < signals.length; i++) out += `${i ? ',' : ''}${JSON.stringify(signals[i]!.code)}`;
  return `${out}]`;
}

export class BehaviorStore {
  readonly #db: Db;
  readonly #insertEvent;
  readonly #upsertBaseline;
  readonly #upsertRisk;
  readonly #upsertFacts;
  readonly #getBaseline;
  readonly #getRisk;

  constructor(db: Db) {
    this.#db = db;
    // Positional parameters: binding 24 named ones per row costs more than the insert itself.
    this.#insertEvent = db.prepare(`INSERT INTO events (time, account, bind_name, kind, endpoint, subnet, endpoint_name, app, result, peer_group, outcome, score, codes, reasons,
        listener, tls, action, rule_id, policy_hash, account_risk, endpoint_risk, audit_rule_id, audit_action, threat)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#upsertFacts = db.prepare('INSERT INTO facts (account, data, updated) VALUES (?, ?, ?) ON CONFLICT(account) DO UPDATE SET data = excluded.data, updated = excluded.updated');
    this.#upsertBaseline = db.prepare('INSERT INTO baselines (kind, key, data, updated) VALUES (?, ?, ?, ?) ON CONFLICT(kind, key) DO UPDATE SET data = excluded.data, updated = excluded.updated');
    this.#getBaseline = db.prepare('SELECT data FROM baselines WHERE kind = ? AND key = ?').pluck();
    this.#getRisk = db.prepare('SELECT value, as_of AS asOf FROM entity_risk WHERE kind = ? AND key = ?');
    this.#upsertRisk = db.prepare('INSERT INTO entity_risk (kind, key, value, as_of) VALUES (?, ?, ?, ?) ON CONFLICT(kind, key) DO UPDATE SET value = excluded.value, as_of = excluded.as_of');
  }

  /** Writes a batch of events and changed baselines in one transaction. */
  write(events: readonly StoredEvent[], baselines: { accounts: AccountBaseline[]; endpoints: EndpointBaseline[]; peers: PeerBaseline[] }, risks: EngineState['risks'], now: number,
    facts: readonly { account: string; facts: UserFacts }[] = []): void {
    this.#db.transaction(() => {
      for (const e of events) {
        const l = e.logon;
        const a = e.assessment;
        const d = e.decision;
        this.#insertEvent.run(
          l.time, l.account, l.bindName, l.kind, l.endpoint, l.subnet, l.endpointName ?? null, l.app, l.result, l.peerGroup ?? null, e.outcome ?? null,
          a.score, codesJson(a.signals), JSON.stringify(a.reasons), e.listener ?? null, e.tls === undefined ? null : e.tls ? 1 : 0,
          d?.action ?? null, d?.ruleId ?? null, d?.policyHash ?? null, a.accountRisk, a.endpointRisk, d?.audit?.ruleId ?? null, d?.audit?.action ?? null,
          e.threat ? JSON.stringify(e.threat) : null,
        );
      }
      for (const f of facts) this.#upsertFacts.run(f.account, encodeJson(f.facts), now);
      for (const a of baselines.accounts) this.#upsertBaseline.run('account', a.account, encodeJson(a), now);
      for (const ep of baselines.endpoints) this.#upsertBaseline.run('endpoint', ep.endpoint, encodeJson(ep), now);
      for (const p of baselines.peers) this.#upsertBaseline.run('peer', p.group, encodeJson(p), now);
      for (const r of risks) this.#upsertRisk.run(r.kind, r.key, r.value, r.asOf);
    })();
  }

  /**
   * What to load at startup: the most recently updated accounts and endpoints, at most
   * `limit` of each (oldest first), every peer group, and their entity risk. The rest is
   * loaded when it returns (BaselineLoader), so startup time and memory do not grow with
   * everything ever seen.
   */
  loadState(limit: { accounts: number; endpoints: number } = { accounts: Number.MAX_SAFE_INTEGER, endpoints: Number.MAX_SAFE_INTEGER }): EngineState {
    const recent = this.#db.prepare(`SELECT data FROM (SELECT data, updated, key FROM baselines WHERE kind = ? ORDER BY updated DESC, key DESC LIMIT ?) ORDER BY updated, key`);
    const state: EngineState = {
      accounts: (recent.pluck().all('account', limit.accounts) as string[]).map((d) => decodeJson<AccountBaseline>(d)),
      endpoints: (recent.pluck().all('endpoint', limit.endpoints) as string[]).map((d) => decodeJson<EndpointBaseline>(d)),
      peers: (this.#db.prepare("SELECT data FROM baselines WHERE kind = 'peer'").pluck().all() as string[]).map((d) => decodeJson<PeerBaseline>(d)),
      risks: [],
    };
    const risk = this.#db.prepare('SELECT value, as_of AS asOf FROM entity_risk WHERE kind = ? AND key = ?');
    for (const [kind, list] of [['account', state.accounts.map((a) => a.account)], ['endpoint', state.endpoints.map((e) => e.endpoint)]] as const) {
      for (const key of list) {
        const r = risk.get(kind, key) as { value: number; asOf: number } | undefined;
        if (r) state.risks.push({ kind, key, ...r });
      }
    }
    return state;
  }

  /** Loads baselines back on demand (the engine keeps only the most recently used in memory). */
  readonly loader: BaselineLoader = {
    account: (key) => this.#load<AccountBaseline>('account', key),
    endpoint: (key) => this.#load<EndpointBaseline>('endpoint', key),
  };

  #load<B>(kind: 'account' | 'endpoint', key: string): { baseline: B; risk?: Decayed } | undefined {
    const data = this.#getBaseline.get(kind, key) as string | undefined;
    if (data === undefined) return undefined;
    const r = this.#getRisk.get(kind, key) as Decayed | undefined;
    return { baseline: decodeJson<B>(data), ...(r ? { risk: { value: r.value, asOf: r.asOf } } : {}) };
  }

  /** Every stored endpoint baseline, one at a time (for the CLI). */
  *allEndpoints(): Generator<EndpointBaseline> {
    for (const data of this.#db.prepare("SELECT data FROM baselines WHERE kind = 'endpoint'").pluck().iterate() as Iterable<string>) yield decodeJson<EndpointBaseline>(data);
  }

  account(key: string): AccountBaseline | undefined {
    const row = this.#db.prepare("SELECT data FROM baselines WHERE kind = 'account' AND key = ?").get(key) as { data: string } | undefined;
    return row ? decodeJson<AccountBaseline>(row.data) : undefined;
  }

  endpoint(key: string): EndpointBaseline | undefined {
    const data = this.#getBaseline.get('endpoint', key) as string | undefined;
    return data ? decodeJson<EndpointBaseline>(data) : undefined;
  }

  /**
   * Endpoints where more than `accounts` people logged on, or `relayed` or more through relayed
   * binds: the only ones that can be app servers or shared. SQLite reads the counts out of the
   * stored JSON, so the rest are never decoded.
   */
  *endpointsUsedByMany(accounts: number, relayed: number): Generator<EndpointBaseline> {
    const rows = this.#db.prepare(`SELECT data FROM baselines WHERE kind = 'endpoint'
      AND (json_array_length(json_extract(data, '$.accounts."$map"')) > ? OR coalesce(json_array_length(json_extract(data, '$.relayedAccounts."$map"')), 0) >= ?)`).pluck();
    for (const data of rows.iterate(accounts, relayed) as Iterable<string>) yield decodeJson<EndpointBaseline>(data);
  }

  risk(kind: 'account' | 'endpoint', key: string): { value: number; asOf: number } | undefined {
    return this.#db.prepare('SELECT value, as_of AS asOf FROM entity_risk WHERE kind = ? AND key = ?').get(kind, key) as { value: number; asOf: number } | undefined;
  }

  recentEvents(account: string, limit: number, minScore = 0): EventRow[] {
    // Threat decisions are shown whatever the score (schema 7 on; older databases have no such column).
    const hasThreat = (this.#db.pragma('user_version', { simple: true }) as number) >= 7;
    const rows = this.#db.prepare(`SELECT time, account, endpoint, endpoint_name AS endpointName, app, result, outcome, score, codes, reasons${hasThreat ? ', threat' : ''}
      FROM events WHERE account = ? AND (score >= ?${hasThreat ? ' OR threat IS NOT NULL' : ''}) ORDER BY time DESC, id DESC LIMIT ?`).all(account, minScore, limit) as (Omit<EventRow, 'codes' | 'reasons' | 'threat'> & { codes: string; reasons: string; threat?: string | null })[];
    return rows.map(({ threat, ...r }) => ({ ...r, codes: JSON.parse(r.codes) as string[], reasons: JSON.parse(r.reasons) as string[], ...(threat ? { threat: JSON.parse(threat) as ThreatNote } : {}) }));
  }

  /** Events the directory accepted (so a policy decided them), oldest first, for replay. */
  *decidedEvents(since: number, until = Number.MAX_SAFE_INTEGER): Generator<ReplayRow> {
    const stmt = this.#db.prepare(`SELECT id, time, account, bind_name AS bindName, kind, endpoint, app, listener, tls, outcome, score, codes, reasons,
        account_risk AS accountRisk, endpoint_risk AS endpointRisk, action, rule_id AS ruleId, policy_hash AS policyHash,
        audit_rule_id AS auditRuleId, audit_action AS auditAction
      FROM events WHERE time >= ? AND time < ? AND result = 'success'
        AND outcome IN ('approved', 'demoted', 'blocked', 'challenge_passed', 'challenge_failed')
      ORDER BY time, id`);
    for (const r of stmt.iterate(since, until) as Iterable<Omit<ReplayRow, 'codes' | 'reasons' | 'tls'> & { codes: string; reasons: string; tls: number | null }>) {
      yield { ...r, tls: r.tls === 1, codes: JSON.parse(r.codes) as string[], reasons: JSON.parse(r.reasons) as string[], accountRisk: r.accountRisk ?? 0, endpointRisk: r.endpointRisk ?? 0 };
    }
  }

  /** The directory facts last seen for an account (for replay and explain). */
  facts(account: string): UserFacts | undefined {
    const row = this.#db.prepare('SELECT data FROM facts WHERE account = ?').get(account) as { data: string } | undefined;
    return row ? decodeJson<UserFacts>(row.data) : undefined;
  }

  /** Deletes events older than `before`; returns how many. */
  pruneEvents(before: number): number {
    return this.#db.prepare('DELETE FROM events WHERE time < ?').run(before).changes;
  }

  /** Keeps at most `max` events (the newest): storage is bounded by configuration, not by traffic. */
  capEvents(max: number): number {
    const r = this.#db.prepare('SELECT MIN(id) AS lo, MAX(id) AS hi FROM events').get() as { lo: number | null; hi: number | null };
    if (r.lo === null || r.hi === null || r.hi - r.lo + 1 <= max) return 0;
    return this.#db.prepare('DELETE FROM events WHERE id <= ?').run(r.hi - max).changes;
  }

  /**
   * Forgets account baselines that never had a successful logon (earlier versions kept one
   * for every refused name; a spray of random names left thousands).
   */
  pruneNeverLoggedOn(): number {
    return this.#db.prepare("DELETE FROM baselines WHERE kind = 'account' AND json_array_length(data, '$.recent') = 0").run().changes;
  }

  /** Forgets endpoints (and their risk) not seen since `before`: addresses come and go. */
  pruneEndpoints(before: number): number {
    return this.#db.transaction(() => {
      const n = this.#db.prepare("DELETE FROM baselines WHERE kind = 'endpoint' AND updated < ?").run(before).changes;
      this.#db.prepare("DELETE FROM entity_risk WHERE kind = 'endpoint' AND as_of < ? AND key NOT IN (SELECT key FROM baselines WHERE kind = 'endpoint')").run(before);
      return n;
    })();
  }

  checkpoint(): void {
    this.#db.pragma('wal_checkpoint(TRUNCATE)');
  }
}
