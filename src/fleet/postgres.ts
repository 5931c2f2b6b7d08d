/**
 * Connections to the fleet's PostgreSQL database (`storage.postgres`): a small pool for
 * pushes and pulls, and one dedicated client for LISTEN. Every connection and query has a
 * deadline; the password comes from its file and is handed to `pg` only.
 */
import pg from 'pg';
import type { PostgresConfig } from '../config/load.js';

/** The fleet's traffic is a few statements a second: a handful of connections is plenty. */
const POOL_MAX = 4;

export function clientOptions(c: PostgresConfig): pg.ClientConfig {
  // Not pg's connectionString: what it parses from the URL overrides the options given beside
  // it, the password among them. The config check made sure the URL parses and holds none.
  const u = new URL(c.url);
  return {
    host: decodeURIComponent(u.hostname.replace(/^\[|\]$/g, '')),
    port: u.port ? Number(u.port) : 5432,
    ...(u.username ? { user: decodeURIComponent(u.username) } : {}),
    ...(u.pathname.length > 1 ? { database: decodeURIComponent(u.pathname.slice(1)) } : {}),
    ...(c.password ? { password: c.password.reveal() } : {}),
    ...(c.tls ? { ssl: { rejectUnauthorized: c.tls.rejectUnauthorized, ...(c.tls.ca ? { ca: c.tls.ca } : {}) } } : {}),
    connectionTimeoutMillis: c.connectTimeoutMs,
    query_timeout: c.queryTimeoutMs,
    statement_timeout: c.queryTimeoutMs,
    application_name: `bindwall ${c.node}`.slice(0, 63),
    keepAlive: true,
  };
}

export function openPool(c: PostgresConfig): pg.Pool {
  const pool = new pg.Pool({ ...clientOptions(c), max: POOL_MAX, idleTimeoutMillis: 30_000 });
  // An idle client's error (the server restarted) must not end the process: the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

export function openClient(c: PostgresConfig): pg.Client {
  return new pg.Client(clientOptions(c));
}

/** What a PostgreSQL failure says, without the connection string. */
export function describePgError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = (e.message ?? String(err)).replace(/postgres(ql)?:\/\/\S+/g, 'postgres://…');
  return e.code ? `${message} (${e.code})` : message;
}
