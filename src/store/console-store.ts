/**
 * The admin console's tables: sessions (the cookie's SHA-256, never the cookie), saved
 * Insights, and the audit trail of every change made in the console, with its operator.
 */
import type { Db } from './db.js';
import type { FleetOutbox } from './fleet-outbox.js';

export const ConsoleRole = { Viewer: 'viewer', Analyst: 'analyst', Admin: 'admin' } as const;
export type ConsoleRole = (typeof ConsoleRole)[keyof typeof ConsoleRole];

export interface ConsoleSessionRow {
  tokenHash: string;
  operator: string;
  dn: string;
  role: ConsoleRole;
  csrf: string;
  address: string;
  created: number;
  lastSeen: number;
}

export interface SavedInsight {
  id: number;
  name: string;
  filter: Record<string, string>;
  operator: string;
  created: number;
}

export interface AuditEntry {
  time: number;
  operator: string;
  role: string;
  action: string;
  subject: string;
  detail?: string;
}

const SESSION_COLUMNS = 'token_hash AS tokenHash, operator, dn, role, csrf, address, created, last_seen AS lastSeen';

export const CONSOLE_SESSION_KIND = 'console-session';
export const CONSOLE_INSIGHT_KIND = 'console-insight';
export const CONSOLE_AUDIT_KIND = 'console-audit';
/** A session's last use reaches the other nodes at most this often (their idle timeout reads it). */
const SHARE_TOUCH_MS = 60_000;

export class ConsoleStore {
  readonly #outbox: FleetOutbox | undefined;
  readonly #touchShared = new Map<string, number>();
  readonly #node: string;

  /**
   * With an outbox (fleet mode), sessions reach every node (a balancer may send the next
   * request of a signed-in browser to any of them), and so do saved Insights and the audit trail.
   */
  constructor(private readonly db: Db, opts: { outbox?: FleetOutbox | undefined; node?: string } = {}) {
    this.#outbox = opts.outbox;
    this.#node = opts.node ?? 'local';
  }

  putSession(s: ConsoleSessionRow): void {
    this.db.transaction(() => {
      this.#put(s);
      this.#outbox?.add(CONSOLE_SESSION_KIND, s.tokenHash, { session: s }, s.lastSeen);
    })();
  }

  #put(s: ConsoleSessionRow): void {
    this.db.prepare(`INSERT INTO console_sessions (token_hash, operator, dn, role, csrf, address, created, last_seen) VALUES (@tokenHash, @operator, @dn, @role, @csrf, @address, @created, @lastSeen)
      ON CONFLICT(token_hash) DO UPDATE SET last_seen = MAX(console_sessions.last_seen, excluded.last_seen)`).run(s);
  }

  /** Another node's session, its last use, or its end (fleet mode). */
  applySession(tokenHash: string, s: ConsoleSessionRow | null): void {
    if (s) this.#put(s);
    else this.db.prepare('DELETE FROM console_sessions WHERE token_hash = ?').run(tokenHash);
  }

  session(tokenHash: string): ConsoleSessionRow | undefined {
    return this.db.prepare(`SELECT ${SESSION_COLUMNS} FROM console_sessions WHERE token_hash = ?`).get(tokenHash) as ConsoleSessionRow | undefined;
  }

  touch(tokenHash: string, now: number): void {
    this.db.prepare('UPDATE console_sessions SET last_seen = ? WHERE token_hash = ?').run(now, tokenHash);
    if (!this.#outbox || now - (this.#touchShared.get(tokenHash) ?? 0) < SHARE_TOUCH_MS) return;
    this.#touchShared.set(tokenHash, now);
    if (this.#touchShared.size > 10_000) this.#touchShared.clear();
    const s = this.session(tokenHash);
    if (s) this.#outbox.add(CONSOLE_SESSION_KIND, tokenHash, { session: s }, now);
  }

  endSession(tokenHash: string, now: number): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM console_sessions WHERE token_hash = ?').run(tokenHash);
      this.#outbox?.add(CONSOLE_SESSION_KIND, tokenHash, { session: null }, now);
    })();
  }

  /** Removes sessions past either timeout; returns how many. */
  expire(now: number, idleMs: number, absoluteMs: number): number {
    return this.db.prepare('DELETE FROM console_sessions WHERE last_seen < ? OR created < ?').run(now - idleMs, now - absoluteMs).changes;
  }

  /** Drops the oldest sessions of an operator beyond `keep` (one person, a few browsers). */
  capSessions(operator: string, keep: number): void {
    this.db.prepare('DELETE FROM console_sessions WHERE operator = ? AND token_hash NOT IN (SELECT token_hash FROM console_sessions WHERE operator = ? ORDER BY created DESC LIMIT ?)').run(operator, operator, keep);
  }

  saveInsight(i: Omit<SavedInsight, 'id'>): number {
    return this.db.transaction(() => {
      const id = this.#saveInsight(i);
      this.#outbox?.add(CONSOLE_INSIGHT_KIND, i.name, { insight: i }, i.created);
      return id;
    })();
  }

  #saveInsight(i: Omit<SavedInsight, 'id'>): number {
    const r = this.db.prepare('INSERT INTO console_insights (name, filter, operator, created) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET filter = excluded.filter, operator = excluded.operator, created = excluded.created')
      .run(i.name, JSON.stringify(i.filter), i.operator, i.created);
    return Number(r.lastInsertRowid);
  }

  /** Another node's saved Insight, or its deletion (fleet mode): they are kept by name. */
  applyInsight(name: string, i: Omit<SavedInsight, 'id'> | null): void {
    if (i) this.#saveInsight(i);
    else this.db.prepare('DELETE FROM console_insights WHERE name = ?').run(name);
  }

  /** Another node's audit entry (fleet mode): the trail on every node has every node's changes. */
  applyAudit(key: string, e: AuditEntry): void {
    this.db.prepare('INSERT OR IGNORE INTO console_audit (time, operator, role, action, subject, detail, fleet_key) VALUES (@time, @operator, @role, @action, @subject, @detail, @key)').run({ ...e, detail: e.detail ?? null, key });
  }

  insights(): SavedInsight[] {
    return (this.db.prepare('SELECT id, name, filter, operator, created FROM console_insights ORDER BY name').all() as (Omit<SavedInsight, 'filter'> & { filter: string })[])
      .map((r) => ({ ...r, filter: JSON.parse(r.filter) as Record<string, string> }));
  }

  deleteInsight(id: number, now: number): boolean {
    return this.db.transaction(() => {
      const name = this.db.prepare('SELECT name FROM console_insights WHERE id = ?').pluck().get(id) as string | undefined;
      if (name === undefined) return false;
      this.db.prepare('DELETE FROM console_insights WHERE id = ?').run(id);
      this.#outbox?.add(CONSOLE_INSIGHT_KIND, name, { insight: null }, now);
      return true;
    })();
  }

  audit(e: AuditEntry): void {
    this.db.transaction(() => {
      const r = this.db.prepare('INSERT INTO console_audit (time, operator, role, action, subject, detail) VALUES (@time, @operator, @role, @action, @subject, @detail)').run({ ...e, detail: e.detail ?? null });
      if (!this.#outbox) return;
      const key = `${this.#node}:${Number(r.lastInsertRowid)}`;
      this.db.prepare('UPDATE console_audit SET fleet_key = ? WHERE id = ?').run(key, Number(r.lastInsertRowid));
      this.#outbox.add(CONSOLE_AUDIT_KIND, key, { entry: e }, e.time);
    })();
  }

  auditLog(limit = 100): AuditEntry[] {
    return (this.db.prepare('SELECT time, operator, role, action, subject, detail FROM console_audit ORDER BY id DESC LIMIT ?').all(limit) as (AuditEntry & { detail: string | null })[])
      .map(({ detail, ...e }) => (detail === null ? e : { ...e, detail }));
  }

  /** Keeps the newest `keep` audit entries. */
  capAudit(keep: number): void {
    this.db.prepare('DELETE FROM console_audit WHERE id <= (SELECT id FROM console_audit ORDER BY id DESC LIMIT 1 OFFSET ?)').run(keep);
  }
}
