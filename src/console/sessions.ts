/**
 * Console sessions: a random 256-bit token in a `__Host-` cookie (Secure, HttpOnly,
 * SameSite=Strict, Path=/), only its SHA-256 in the database; an idle and an absolute
 * timeout; a CSRF token per session that every change must carry. Roles say what a session
 * may do: viewers read, analysts act on incidents and quarantine, admins also on posture.
 */
import { createHash, randomBytes } from 'node:crypto';
import type http from 'node:http';
import type { ConsoleConfig } from '../config/load.js';
import { ConsoleRole, type ConsoleSessionRow, type ConsoleStore } from '../store/console-store.js';
import type { Clock } from '../util/clock.js';

export const SESSION_COOKIE = '__Host-bindwall-session';
/** Ties a sign-in form to the browser that loaded it (double submit), and then to its pending sign-in. */
export const SIGN_IN_COOKIE = '__Host-bindwall-sign-in';

/** What each role may change. */
export const Permission = { Read: 'read', Respond: 'respond', Configure: 'configure' } as const;
export type Permission = (typeof Permission)[keyof typeof Permission];

const GRANTS: Record<ConsoleRole, readonly Permission[]> = {
  viewer: [Permission.Read],
  analyst: [Permission.Read, Permission.Respond],
  admin: [Permission.Read, Permission.Respond, Permission.Configure],
};

export const may = (role: ConsoleRole, p: Permission): boolean => GRANTS[role].includes(p);

/** One person's browsers at most. */
const SESSIONS_PER_OPERATOR = 5;

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('base64url');
export const newToken = (): string => randomBytes(32).toString('base64url');

export function cookies(req: http.IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

export const setCookie = (name: string, value: string, maxAgeS?: number): string =>
  `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Strict${maxAgeS === undefined ? '' : `; Max-Age=${maxAgeS}`}`;

export const clearCookie = (name: string): string => setCookie(name, '', 0);


export interface ConsoleSession extends ConsoleSessionRow {
  token: string;
}

export class Sessions {
  #pruned = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: { store: ConsoleStore; clock: Clock; console: ConsoleConfig }) {}

  create(s: { operator: string; dn: string; role: ConsoleRole; address: string }): ConsoleSession {
    const now = this.o.clock.now();
    const token = newToken();
    const row: ConsoleSessionRow = { tokenHash: hashToken(token), ...s, csrf: newToken(), created: now, lastSeen: now };
    this.o.store.putSession(row);
    this.o.store.capSessions(s.operator, SESSIONS_PER_OPERATOR);
    return { ...row, token };
  }

  /** The session a request carries, if it is still within both timeouts (it is touched). */
  resolve(req: http.IncomingMessage): ConsoleSession | undefined {
    const token = cookies(req).get(SESSION_COOKIE);
    if (!token || token.length > 128) return undefined;
    const now = this.o.clock.now();
    const { idleTimeoutMs, absoluteTimeoutMs } = this.o.console;
    // Expired rows are deleted at most once a minute; the one asked for is judged by its own times.
    if (now - this.#pruned >= 60_000) {
      this.o.store.expire(now, idleTimeoutMs, absoluteTimeoutMs);
      this.#pruned = now;
    }
    const row = this.o.store.session(hashToken(token));
    if (!row || now - row.lastSeen > idleTimeoutMs || now - row.created > absoluteTimeoutMs) return undefined;
    // Touched at most every 10 s: a page's asset requests are not each a write.
    if (now - row.lastSeen > 10_000) this.o.store.touch(row.tokenHash, now);
    return { ...row, role: row.role in GRANTS ? row.role : ConsoleRole.Viewer, token };
  }

  end(s: ConsoleSession): void {
    this.o.store.endSession(s.tokenHash, this.o.clock.now());
  }

  /** Seconds the cookie may live: the absolute timeout (the idle one is enforced here). */
  get cookieMaxAgeS(): number {
    return Math.floor(this.o.console.absoluteTimeoutMs / 1000);
  }
}
