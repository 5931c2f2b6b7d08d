/**
 * The simulator's System Log (`../shared/okta-api.md` §5): events kept in persistence order,
 * queried with Okta's semantics — `since` or an opaque `after` cursor (never both), `until`,
 * `limit` 0–1000 (default 100), `sortOrder`, and a SCIM-style `filter` subset (eq, ne, sw, co,
 * ew, pr over dotted paths, joined by `and` / `or`). A polling request (ascending, no `until`)
 * always gets a `next` cursor, even on an empty page; a bounded one ends.
 */
import { randomUUID } from 'node:crypto';

export interface LogEvent {
  uuid: string;
  published: string;
  eventType: string;
  version: string;
  severity: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  legacyEventType: string | null;
  displayMessage: string;
  actor: { id: string; type: string; alternateId: string; displayName: string; detailEntry: Record<string, unknown> | null };
  client: {
    ipAddress: string | null;
    device: string;
    id: string | null;
    zone: string;
    userAgent: { rawUserAgent: string; os: string; browser: string } | null;
    geographicalContext: { city: string | null; state: string | null; country: string | null; postalCode: string | null; geolocation: { lat: number; lon: number } | null } | null;
  };
  device: null;
  authenticationContext: Record<string, unknown>;
  securityContext: Record<string, unknown>;
  debugContext: { debugData: Record<string, string> };
  outcome: { result: string; reason: string | null };
  target: { id: string; type: string; alternateId: string; displayName: string; detailEntry: Record<string, unknown> | null }[] | null;
  transaction: { id: string; type: 'WEB' | 'JOB'; detail: Record<string, unknown> };
  request: { ipChain: unknown[] };
}

/** What a test or the demo gives; the rest gets Okta's shape. */
export type LogEventInput = Partial<Omit<LogEvent, 'actor' | 'client' | 'outcome'>> & {
  eventType: string;
  actor: Partial<LogEvent['actor']> & { alternateId: string };
  client?: Partial<LogEvent['client']>;
  outcome?: Partial<LogEvent['outcome']>;
  /** Milliseconds; default now. */
  at?: number;
};

export interface LogQuery {
  since?: string;
  until?: string;
  after?: string;
  limit?: string;
  sortOrder?: string;
  filter?: string;
}

export class LogQueryError extends Error {
  constructor(readonly code: 'E0000001' | 'E0000053', readonly detail: string) {
    super(detail);
  }
}

const DAY_MS = 86_400_000;

export class SystemLog {
  readonly #events: LogEvent[] = [];
  readonly #now: () => number;
  readonly #max: number;
  /** Events dropped from the front (bounded memory); cursors stay valid as positions. */
  #dropped = 0;

  constructor(now: () => number, maxEvents = 200_000) {
    this.#now = now;
    this.#max = maxEvents;
  }

  get size(): number {
    return this.#events.length;
  }

  append(e: LogEventInput): LogEvent {
    const at = e.at ?? this.#now();
    const ev: LogEvent = {
      uuid: e.uuid ?? randomUUID(), published: new Date(at).toISOString(), eventType: e.eventType, version: '0', severity: e.severity ?? 'INFO',
      legacyEventType: e.legacyEventType ?? null, displayMessage: e.displayMessage ?? e.eventType,
      actor: { id: e.actor.id ?? '00u0000000000000000', type: e.actor.type ?? 'User', alternateId: e.actor.alternateId, displayName: e.actor.displayName ?? e.actor.alternateId, detailEntry: e.actor.detailEntry ?? null },
      client: {
        ipAddress: null, device: 'Computer', id: null, zone: 'null',
        userAgent: { rawUserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36', os: 'Windows 10', browser: 'CHROME' },
        geographicalContext: null, ...e.client,
      },
      device: null, authenticationContext: e.authenticationContext ?? { authenticationStep: 0, externalSessionId: `102${randomUUID().slice(0, 20)}` },
      securityContext: e.securityContext ?? { asNumber: null, asOrg: null, isp: null, domain: null, isProxy: null },
      debugContext: e.debugContext ?? { debugData: { requestId: randomUUID().slice(0, 24) } },
      outcome: { result: e.outcome?.result ?? 'SUCCESS', reason: e.outcome?.reason ?? null },
      target: e.target ?? null, transaction: e.transaction ?? { id: randomUUID().slice(0, 24), type: 'WEB', detail: {} }, request: e.request ?? { ipChain: [] },
    };
    this.#events.push(ev);
    if (this.#events.length > this.#max) {
      this.#events.shift();
      this.#dropped++;
    }
    return ev;
  }

  /** One page; `next` is the cursor for the following page (always set when polling). */
  query(q: LogQuery): { events: LogEvent[]; next?: string } {
    if (q.since !== undefined && q.after !== undefined) throw new LogQueryError('E0000053', 'since and after cannot be used together');
    const now = this.#now();
    const time = (s: string, what: string): number => {
      const t = Date.parse(s);
      if (!Number.isFinite(t)) throw new LogQueryError('E0000001', `${what}: Invalid date format`);
      return t;
    };
    const until = q.until !== undefined ? time(q.until, 'until') : undefined;
    const since = q.since !== undefined ? time(q.since, 'since') : (until ?? now) - 7 * DAY_MS;
    if (since < now - 180 * DAY_MS) throw new LogQueryError('E0000053', 'since must be within the last 180 days');
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 0 || limit > 1000) throw new LogQueryError('E0000001', 'limit: must be between 0 and 1000');
    const descending = q.sortOrder === 'DESCENDING';
    if (q.sortOrder !== undefined && q.sortOrder !== 'ASCENDING' && !descending) throw new LogQueryError('E0000053', 'sortOrder must be ASCENDING or DESCENDING');
    const match = q.filter ? compileFilter(q.filter) : () => true;
    const polling = until === undefined && !descending;
    // The cursor is the position in persistence order after the last event returned.
    let start = 0;
    if (q.after !== undefined) {
      const m = /^c(\d+)$/.exec(Buffer.from(q.after, 'base64url').toString('latin1'));
      if (!m) throw new LogQueryError('E0000053', 'after: invalid cursor');
      start = Math.max(0, Number(m[1]) - this.#dropped);
    }
    const out: LogEvent[] = [];
    let pos = start;
    const ordered = descending ? [...this.#events].reverse() : this.#events;
    for (; pos < ordered.length && out.length < limit; pos++) {
      const e = ordered[pos]!;
      const t = Date.parse(e.published);
      if (q.after === undefined && t < since) continue;
      if (until !== undefined && t >= until) continue;
      if (match(e)) out.push(e);
    }
    const more = pos < ordered.length;
    const next = polling || more ? Buffer.from(`c${pos + this.#dropped}`, 'latin1').toString('base64url') : undefined;
    return { events: out, ...(next ? { next } : {}) };
  }
}

/** A SCIM filter subset: `path op "value"` / `path pr`, joined by and / or (and binds tighter). */
export function compileFilter(text: string): (e: LogEvent) => boolean {
  const term = /^\s*([A-Za-z][\w.]*)\s+(eq|ne|sw|co|ew|pr)(?:\s+"((?:[^"\\]|\\.)*)")?\s*$/;
  const ors = text.split(/\s+or\s+/i).map((part) => part.split(/\s+and\s+/i).map((t) => {
    const m = term.exec(t);
    if (!m || (m[2] !== 'pr' && m[3] === undefined)) throw new LogQueryError('E0000053', `Invalid filter: ${text}`);
    const [, path, op, value] = m as unknown as [string, string, string, string | undefined];
    const get = (e: LogEvent): unknown => path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), e);
    return (e: LogEvent): boolean => {
      const v = get(e);
      if (op === 'pr') return v !== undefined && v !== null;
      const s = v === undefined || v === null ? undefined : String(v);
      if (op === 'ne') return s !== value;
      if (s === undefined) return false;
      return op === 'eq' ? s === value : op === 'sw' ? s.startsWith(value!) : op === 'ew' ? s.endsWith(value!) : s.includes(value!);
    };
  }));
  return (e) => ors.some((all) => all.every((f) => f(e)));
}
