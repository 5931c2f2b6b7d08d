/**
 * Incidents in SQLite: one row per failed step-up challenge, with a timeline of what happened
 * since (escalations, quarantine, notifications, acknowledgement, resolution). Writes are
 * synchronous on purpose: an incident is committed before the client hears its answer.
 */
import { durably, type Db } from './db.js';
import type { FleetOutbox } from './fleet-outbox.js';

export const IncidentStatus = { Open: 'open', Acknowledged: 'acknowledged', Resolved: 'resolved' } as const;
export type IncidentStatus = (typeof IncidentStatus)[keyof typeof IncidentStatus];

/** What a dead letter was: a notification, a response step (Okta, webhook) or an email to a person. */
export type DeadLetterKind = 'notify' | 'step' | 'email';

export interface DeadLetter {
  id: number;
  time: number;
  kind: DeadLetterKind;
  /** The notify target, the step (okta.clearSessions, webhook), or "email". */
  target: string;
  incidentId: number | null;
  /** What to send again: never a secret (routing keys, tokens and link signatures are added back at retry). */
  payload: string;
  error: string;
  attempts: number;
  retried: number | null;
}

export interface TimelineEntry {
  time: number;
  what: string;
}

export interface Incident {
  id: number;
  time: number;
  account: string;
  kind: string;
  endpoint: string;
  app: string;
  score: number;
  reasons: string[];
  signals: string[];
  ruleId: string | null;
  policyHash: string | null;
  method: string | null;
  failure: string;
  severity: string;
  status: IncidentStatus;
  timeline: TimelineEntry[];
  updated: number;
  /** For a user report: the notice and the sign-in (or account change) the person said was not theirs. */
  reported?: ReportedEvent;
}

export interface ReportedEvent {
  notice: string;
  kind: string;
  time: number;
  endpoint?: string;
  app?: string;
  device?: string;
}

type Row = Omit<Incident, 'reasons' | 'signals' | 'timeline' | 'reported'> & { reasons: string; signals: string; timeline: string; reported: string | null };

const COLUMNS = `id, time, account, kind, endpoint, app, score, reasons, signals, rule_id AS ruleId, policy_hash AS policyHash, method, failure, severity, status, timeline, updated, reported`;
const fromRow = ({ reported, ...r }: Row): Incident => ({
  ...r, reasons: JSON.parse(r.reasons) as string[], signals: JSON.parse(r.signals) as string[], timeline: JSON.parse(r.timeline) as TimelineEntry[],
  ...(reported ? { reported: JSON.parse(reported) as ReportedEvent } : {}),
});

export const INCIDENT_KIND = 'incident';

export class IncidentStore {
  readonly #db: Db;
  readonly #outbox: FleetOutbox | undefined;
  readonly #node: string;

  /**
   * With an outbox (fleet mode), every incident and every change to it also goes to the fleet,
   * in the same transaction: queued while the database is down, never lost. Its fleet key is its
   * challenge's id (one incident per challenge, fleet-wide), else this node's name and its number.
   */
  constructor(db: Db, opts: { outbox?: FleetOutbox | undefined; node?: string } = {}) {
    this.#db = db;
    this.#outbox = opts.outbox;
    this.#node = opts.node ?? 'local';
  }

  #share(incident: Incident, key: string | null): void {
    if (!this.#outbox || !key) return;
    this.#outbox.add(INCIDENT_KIND, key, incident, incident.updated);
  }

  /** Another node's incident, or a change to one: kept here too (the latest change wins); its response ran there. */
  apply(key: string, i: Incident): void {
    durably(this.#db, () => {
      const cur = this.#db.prepare('SELECT id, updated FROM incidents WHERE fleet_key = ?').get(key) as { id: number; updated: number } | undefined;
      if (cur) {
        if (i.updated < cur.updated) return;
        this.#db.prepare('UPDATE incidents SET status = ?, severity = ?, timeline = ?, updated = ? WHERE id = ?').run(i.status, i.severity, JSON.stringify(i.timeline), i.updated, cur.id);
        return;
      }
      this.#db.prepare(`INSERT INTO incidents (time, account, kind, endpoint, app, score, reasons, signals, rule_id, policy_hash, method, failure, severity, status, timeline, updated, reported, fleet_key)
        VALUES (@time, @account, @kind, @endpoint, @app, @score, @reasons, @signals, @ruleId, @policyHash, @method, @failure, @severity, @status, @timeline, @updated, @reported, @key)`).run({
        ...i, reasons: JSON.stringify(i.reasons), signals: JSON.stringify(i.signals), timeline: JSON.stringify(i.timeline), reported: i.reported ? JSON.stringify(i.reported) : null, key,
      });
    });
  }

  /** Committed with an fsync (power-loss durable) before it returns: the client is answered after. */
  /** With a challenge id, at most one incident per challenge: binds sharing it get the one. */
  insert(i: Omit<Incident, 'id' | 'updated'>, challengeId?: string): Incident {
    return durably(this.#db, () => {
      const info = this.#db.prepare(`INSERT INTO incidents (time, account, kind, endpoint, app, score, reasons, signals, rule_id, policy_hash, method, failure, severity, status, timeline, updated, reported, challenge_id)
        VALUES (@time, @account, @kind, @endpoint, @app, @score, @reasons, @signals, @ruleId, @policyHash, @method, @failure, @severity, @status, @timeline, @time, @reported, @challengeId)`).run({
        ...i, reasons: JSON.stringify(i.reasons), signals: JSON.stringify(i.signals), timeline: JSON.stringify(i.timeline), reported: i.reported ? JSON.stringify(i.reported) : null, challengeId: challengeId ?? null,
      });
      const incident: Incident = { ...i, id: Number(info.lastInsertRowid), updated: i.time };
      if (this.#outbox) {
        const key = challengeId ?? `${this.#node}:${incident.id}`;
        this.#db.prepare('UPDATE incidents SET fleet_key = ? WHERE id = ?').run(key, incident.id);
        this.#share(incident, key);
      }
      return incident;
    });
  }

  /** The incident a failed challenge already opened. */
  byChallenge(challengeId: string): Incident | undefined {
    const r = this.#db.prepare(`SELECT ${COLUMNS} FROM incidents WHERE challenge_id = ?`).get(challengeId) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  get(id: number): Incident | undefined {
    const r = this.#db.prepare(`SELECT ${COLUMNS} FROM incidents WHERE id = ?`).get(id) as Row | undefined;
    return r ? fromRow(r) : undefined;
  }

  list(o: { status?: IncidentStatus; since?: number; limit?: number } = {}): Incident[] {
    const rows = this.#db.prepare(`SELECT ${COLUMNS} FROM incidents WHERE (@status IS NULL OR status = @status) AND time >= @since ORDER BY time DESC, id DESC LIMIT @limit`)
      .all({ status: o.status ?? null, since: o.since ?? 0, limit: o.limit ?? 1000 }) as Row[];
    return rows.map(fromRow);
  }

  /** Open incidents, and dead letters not yet delivered (metrics). */
  counts(): { open: number; deadLetters: number } {
    const open = (this.#db.prepare("SELECT COUNT(*) AS n FROM incidents WHERE status = 'open'").get() as { n: number }).n;
    const deadLetters = (this.#db.prepare('SELECT COUNT(*) AS n FROM dead_letters WHERE retried IS NULL').get() as { n: number }).n;
    return { open, deadLetters };
  }

  /** Incidents for the account or from the endpoint since `since` (for escalation). */
  recentFor(account: string, endpoint: string, since: number): number {
    return (this.#db.prepare('SELECT COUNT(*) AS n FROM incidents WHERE time >= ? AND (account = ? OR endpoint = ?)').get(since, account, endpoint) as { n: number }).n;
  }

  /** Appends to the timeline and optionally sets the status, in one transaction. */
  update(id: number, entry: TimelineEntry, status?: IncidentStatus): Incident | undefined {
    return durably(this.#db, () => {
      const cur = this.get(id);
      if (!cur) return undefined;
      const timeline = [...cur.timeline, entry];
      this.#db.prepare('UPDATE incidents SET timeline = ?, status = ?, updated = ? WHERE id = ?').run(JSON.stringify(timeline), status ?? cur.status, entry.time, id);
      const changed: Incident = { ...cur, timeline, status: status ?? cur.status, updated: entry.time };
      if (this.#outbox) this.#share(changed, this.#db.prepare('SELECT fleet_key FROM incidents WHERE id = ?').pluck().get(id) as string | null);
      return changed;
    });
  }

  deadLetter(d: { time: number; target: string; incidentId: number | null; payload: string; error: string; attempts: number; kind?: DeadLetterKind }): number {
    const info = this.#db.prepare('INSERT INTO dead_letters (time, target, incident_id, payload, error, attempts, kind) VALUES (@time, @target, @incidentId, @payload, @error, @attempts, @kind)')
      .run({ ...d, kind: d.kind ?? 'notify' });
    return Number(info.lastInsertRowid);
  }

  /** Dead letters, oldest first; by default only those not yet delivered by a retry. */
  deadLetters(o: { all?: boolean } = {}): DeadLetter[] {
    return this.#db.prepare(`SELECT id, time, kind, target, incident_id AS incidentId, payload, error, attempts, retried FROM dead_letters ${o.all ? '' : 'WHERE retried IS NULL'} ORDER BY id`).all() as DeadLetter[];
  }

  deadLetterById(id: number): DeadLetter | undefined {
    return this.#db.prepare('SELECT id, time, kind, target, incident_id AS incidentId, payload, error, attempts, retried FROM dead_letters WHERE id = ?').get(id) as DeadLetter | undefined;
  }

  /** A retry's result: delivered (retried set) or failed again (error and attempts updated). */
  deadLetterRetried(id: number, r: { time: number; ok: boolean; error?: string; attempts: number }): void {
    if (r.ok) this.#db.prepare('UPDATE dead_letters SET retried = ?, attempts = attempts + ? WHERE id = ?').run(r.time, r.attempts, id);
    else this.#db.prepare('UPDATE dead_letters SET error = ?, attempts = attempts + ? WHERE id = ?').run(r.error ?? 'failed', r.attempts, id);
  }
}
