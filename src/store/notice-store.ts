/**
 * UserInsight notices: what a person was told, under an opaque reference (the id in their
 * links; the links' signatures are never stored), and how they answered. Answering is one
 * conditional UPDATE, so a link works once even when two clicks race.
 */
import type { NoticeKind } from '../config/insight-schema.js';
import type { LogonEvent } from '../behavior/logon-event.js';
import { durably, type Db } from './db.js';

export const NoticeStatus = { Queued: 'queued', Sent: 'sent', Failed: 'failed', NoAddress: 'no_address' } as const;
export type NoticeStatus = (typeof NoticeStatus)[keyof typeof NoticeStatus];
export type NoticeAnswer = 'denied' | 'confirmed';

/** What the notice is about: the sign-in (or account change) as the person will read it. */
export interface NoticeEvent {
  time: number;
  app?: string;
  endpoint?: string;
  device?: string;
  place?: string;
  /** okta (a cloud sign-in) or the listener the bind came through. */
  source?: string;
  factor?: string;
  /** The failed step-up's incident. */
  incidentId?: number;
  /** The logon itself, to learn from when the person confirms it. */
  logon?: LogonEvent;
}

export interface Notice {
  id: string;
  time: number;
  account: string;
  kind: NoticeKind;
  dedupe: string;
  event: NoticeEvent;
  status: NoticeStatus;
  expires: number;
  answered: number | null;
  answer: NoticeAnswer | null;
  incidentId: number | null;
}

type Row = Omit<Notice, 'event'> & { event: string };
const COLUMNS = 'id, time, account, kind, dedupe, event, status, expires, answered, answer, incident_id AS incidentId';

export class NoticeStore {
  readonly #db: Db;
  readonly #insert;
  readonly #get;
  readonly #last;
  readonly #count;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare('INSERT INTO notices (id, time, account, kind, dedupe, event, status, expires, incident_id) VALUES (@id, @time, @account, @kind, @dedupe, @event, @status, @expires, @incidentId)');
    this.#get = db.prepare(`SELECT ${COLUMNS} FROM notices WHERE id = ?`);
    this.#last = db.prepare('SELECT MAX(time) AS t FROM notices WHERE dedupe = ? AND time >= ?');
    this.#count = db.prepare('SELECT COUNT(*) AS n FROM notices WHERE account = ? AND time >= ?');
  }

  insert(n: Omit<Notice, 'answered' | 'answer' | 'incidentId'> & { incidentId?: number | null }): void {
    this.#insert.run({ ...n, incidentId: n.incidentId ?? null, event: JSON.stringify(n.event) });
  }

  get(id: string): Notice | undefined {
    const r = this.#get.get(id) as Row | undefined;
    return r ? { ...r, event: JSON.parse(r.event) as NoticeEvent } : undefined;
  }

  /** Was this person told of the same thing (device, app, change) since `since`? */
  toldSince(dedupe: string, since: number): boolean {
    return (this.#last.get(dedupe, since) as { t: number | null }).t !== null;
  }

  countSince(account: string, since: number): number {
    return (this.#count.get(account, since) as { n: number }).n;
  }

  setStatus(id: string, status: NoticeStatus): void {
    this.#db.prepare('UPDATE notices SET status = ? WHERE id = ?').run(status, id);
  }

  /** Takes the answer if the notice is unanswered and unexpired; false when it was not (used, expired, unknown). */
  answer(id: string, answer: NoticeAnswer, now: number): boolean {
    return durably(this.#db, () => this.#db.prepare('UPDATE notices SET answered = ?, answer = ? WHERE id = ? AND answered IS NULL AND expires > ?').run(now, answer, id, now).changes === 1);
  }

  linkIncident(id: string, incidentId: number): void {
    this.#db.prepare('UPDATE notices SET incident_id = ? WHERE id = ?').run(incidentId, id);
  }

  /** Forgets notices whose links have expired and whose dedupe window is over. */
  prune(now: number, windowMs: number): number {
    return this.#db.prepare('DELETE FROM notices WHERE expires < ? AND time < ?').run(now, now - windowMs).changes;
  }
}
