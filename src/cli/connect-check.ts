/**
 * `bindwall doctor` (and `config check --connect`, and the proxy at startup): what `config
 * check` cannot see in the file — every directory URL (TLS and its certificate's name
 * included), the lookup account's bind, the Okta credentials for MFA and the connector, every
 * notify target, the SMTP server. Each problem has a stable code and a fix; no password or
 * token reaches the output.
 */
import type { Config } from '../config/load.js';
import { factsOptions } from '../behavior/setup.js';
import { DirectoryFacts } from '../directory/facts.js';
import { describePgError, openPool } from '../fleet/postgres.js';
import { PG_MIGRATIONS } from '../fleet/schema.js';
import { BindwallError, describeError, ErrorCode } from '../errors.js';
import { silentLogger } from '../log/logger.js';
import { DirectoryPool } from '../proxy/upstream.js';
import { systemClock } from '../util/clock.js';
import { lockoutPolicySource } from '../directory/lockout-policy.js';
import { effectiveThreshold, type EffectiveThreshold } from '../threat/lockout-threshold.js';
import { OktaClient } from '../okta/client.js';
import axios from 'axios';
import { Mailer } from '../insight/mailer.js';

export interface ConnectCheck {
  what: string;
  ok: boolean;
  code?: string;
  message?: string;
  fix?: string;
}

export async function checkConnections(config: Config): Promise<ConnectCheck[]> {
  // Our own lines say what failed; the pool's directory_down warnings would say it twice.
  const log = silentLogger();
  const out: ConnectCheck[] = [];
  for (const u of config.directory.urls) {
    const pool = new DirectoryPool({ ...config.directory, urls: [u] }, systemClock, log);
    try {
      const { socket } = await pool.connect();
      socket.destroy();
      out.push({ what: `directory ${u.url}`, ok: true });
    } catch (err) {
      out.push({
        what: `directory ${u.url}`, ok: false, code: err instanceof BindwallError ? err.code : ErrorCode.UpstreamUnavailable, message: describeError(err).message,
        fix: 'check directory.urls (host, port, ldaps:// or startTls) and directory.tls.caFile; is the directory up?',
      });
    }
  }
  const l = config.directory.lookup;
  if (l) {
    const facts = new DirectoryFacts(factsOptions(l), new DirectoryPool(config.directory, systemClock, log), systemClock, log);
    try {
      await facts.verify();
      out.push({ what: `lookup account ${l.bindDn}`, ok: true });
    } catch (err) {
      const code = err instanceof BindwallError ? err.code : ErrorCode.UpstreamUnavailable;
      out.push({
        what: `lookup account ${l.bindDn}`, ok: false, code, message: describeError(err).message,
        fix: code === ErrorCode.LookupBindFailed ? 'check directory.lookup.bindDn and the password in its passwordFile' : 'the directory did not answer the lookup account: see the directory lines above',
      });
    } finally {
      facts.close();
    }
  }
  const pg = config.storage.postgres;
  if (pg) {
    // The fleet database: reachable, the password right, and the schema one this bindwall knows.
    const what = `fleet database ${pg.url}`;
    const pool = openPool(pg);
    try {
      // Read only: a check changes nothing (the first node to start creates the schema).
      const r = await pool.query<{ version: number | null }>("SELECT CASE WHEN to_regclass('bindwall_schema') IS NULL THEN NULL ELSE (SELECT max(version) FROM bindwall_schema) END AS version");
      const version = r.rows[0]?.version ?? null;
      const latest = PG_MIGRATIONS[PG_MIGRATIONS.length - 1]!.version;
      if (version !== null && version > latest) {
        out.push({ what, ok: false, code: ErrorCode.FleetUnavailable, message: `the fleet database's schema version ${version} is newer than this bindwall (${latest})`, fix: 'upgrade bindwall on this node to the fleet\'s version' });
      } else out.push({ what: `${what} (${version === null ? 'no schema yet: the first node creates it' : `schema ${version}`})`, ok: true });
    } catch (err) {
      const code = (err as { code?: string }).code;
      out.push({
        what, ok: false, code: ErrorCode.FleetUnavailable, message: describePgError(err),
        fix: code === '28P01' ? 'check the user in storage.postgres.url and the password in its passwordFile'
          : code === '3D000' ? 'create the database named in storage.postgres.url (createdb), or name an existing one'
            : 'check storage.postgres.url (host, port) and tls; is PostgreSQL up and reachable from here? (the node decides from its own state meanwhile)',
      });
    } finally {
      await pool.end().catch(() => undefined);
    }
  }
  const sso = config.connectors.oktaSso;
  if (sso) {
    const client = new OktaClient({ orgUrl: sso.orgUrl, auth: sso.auth, requestTimeoutMs: sso.requestTimeoutMs, maxRateLimitWaitMs: 0, clock: systemClock, userAgent: 'bindwall config check' });
    const what = `Okta System Log at ${sso.orgUrl}`;
    try {
      await client.logPage(`${sso.orgUrl}/api/v1/logs?since=${encodeURIComponent(new Date(Date.now() - 60_000).toISOString())}&limit=1`, Date.now() + sso.requestTimeoutMs);
      out.push({ what, ok: true });
    } catch (err) {
      const code = err instanceof BindwallError ? err.code : ErrorCode.OktaUnavailable;
      out.push({
        what, ok: false, code, message: describeError(err).message,
        fix: code === ErrorCode.OktaAuth ? 'check connectors.oktaSso\'s API token, or grant the service app okta.logs.read (and an admin role)' : 'is the org URL right, and reachable from here?',
      });
    }
  }
  const m = config.mfa.okta;
  if (m) {
    // A user that cannot exist: 404 means the credentials (and, for a service app, its scopes) were accepted.
    const client = new OktaClient({ orgUrl: m.orgUrl, auth: m.auth, requestTimeoutMs: m.requestTimeoutMs, maxRateLimitWaitMs: 0, clock: systemClock, userAgent: 'bindwall doctor' });
    const what = `Okta API at ${m.orgUrl} (mfa.okta)`;
    try {
      await client.getUser(`bindwall-doctor-${Date.now()}@invalid.example`, Date.now() + m.requestTimeoutMs);
      out.push({ what, ok: true });
    } catch (err) {
      const code = err instanceof BindwallError ? err.code : ErrorCode.OktaUnavailable;
      if (code === ErrorCode.OktaUserUnknown) out.push({ what, ok: true });
      else {
        out.push({
          what, ok: false, code, message: describeError(err).message,
          fix: code === ErrorCode.OktaAuth ? `check mfa.okta's API token, or grant the service app ${m.auth.type === 'oauth' ? m.auth.scopes.join(', ') : 'okta.users.manage'}` : 'is the org URL right, and reachable from here?',
        });
      }
    }
  }
  for (const [name, t] of Object.entries(config.incidents.notify)) {
    // No target has a harmless test call; an answer of any kind shows it can be reached.
    const what = `notify target ${name} (${t.type} ${new URL(t.url).host})`;
    try {
      await axios.head(t.url, { timeout: Math.min(t.timeoutMs, 5_000), validateStatus: () => true, maxRedirects: 0 });
      out.push({ what, ok: true });
    } catch (err) {
      out.push({ what, ok: false, code: (err as { code?: string }).code ?? 'ERR_NETWORK', message: `cannot reach ${new URL(t.url).host}`, fix: `check incidents.notify.${name}.url and that this host may reach it (proxy, firewall)` });
    }
  }
  const ui = config.userInsight;
  if (ui) {
    const what = `SMTP ${ui.smtp.host}:${ui.smtp.port} (userInsight)`;
    // The mailer bindwall sends with, so the check sees the same TLS, auth and timeouts.
    const mailer = new Mailer({ smtp: ui.smtp, maxQueued: 1, clock: systemClock, log });
    try {
      await mailer.verify();
      out.push({ what, ok: true });
    } catch (err) {
      const e = err as { code?: string; responseCode?: number };
      out.push({
        what, ok: false, code: e.code ?? 'ESMTP', message: e.responseCode ? `the server answered ${e.responseCode}` : `${e.code ?? 'failed'}`,
        fix: e.code === 'EAUTH' ? 'check userInsight.smtp.user and the password in its passwordFile' : 'check userInsight.smtp host, port, security and caFile',
      });
    } finally {
      mailer.close();
    }
  }
  return out;
}

/**
 * Which smart-lockout threshold the proxy would use: the configured one, the one derived from
 * the directory's policy (read now through the lookup account), or the default — and why.
 */
export async function checkLockoutThreshold(config: Config): Promise<EffectiveThreshold> {
  const configured = config.threat.lockout.threshold;
  const read = lockoutPolicySource(config, systemClock, silentLogger());
  if (!read) return effectiveThreshold(configured, undefined, 'no directory.lookup account to read it with');
  try {
    return effectiveThreshold(configured, await read());
  } catch (err) {
    return effectiveThreshold(configured, undefined, describeError(err).message);
  }
}
