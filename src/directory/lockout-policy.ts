/**
 * The directory's own lockout threshold, read through the lookup account: Active Directory's
 * `lockoutThreshold` on the domain object (and any fine-grained password policy's
 * `msDS-LockoutThreshold`), or OpenLDAP ppolicy's `pwdMaxFailure` on its policy entries
 * (`pwdLockout: TRUE`). The smallest one that locks applies: smart lockout must stay below
 * the strictest policy any account is under.
 */
import { BindwallError, describeError, ErrorCode } from '../errors.js';
import { Filter, LdapClient } from '../ldap/client.js';
import type { SearchEntry } from '../ldap/messages.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import { DirectoryPool } from '../proxy/upstream.js';
import type { Secret } from '../log/secret.js';
import type { Clock } from '../util/clock.js';

export interface DirectoryLockoutPolicy {
  /** Where it came from: the AD domain, an AD fine-grained policy, or a ppolicy entry. */
  source: 'ad' | 'ad-pso' | 'ppolicy';
  /** Failures that lock the account; 0: this directory never locks accounts. */
  threshold: number;
  /** How long the directory remembers a failure (AD lockOutObservationWindow, ppolicy pwdFailureCountInterval); 0: until a success; absent: not said. */
  windowMs?: number;
  dn: string;
}

export interface LockoutPolicyReader {
  bindDn: string;
  password: Secret<string>;
  baseDn: string;
  timeoutMs: number;
}

const attr = (e: SearchEntry, name: string): string | undefined => {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(e.attributes)) if (k.toLowerCase() === lower) return v[0];
  return undefined;
};

/** Reads the policies it can see; null when it finds none (the caller says so and uses its default). */
export async function readLockoutPolicy(pool: DirectoryPool, o: LockoutPolicyReader, clock: Clock): Promise<DirectoryLockoutPolicy | null> {
  let client: LdapClient | undefined;
  let done = false;
  const work = (async () => {
    const { socket } = await pool.connect();
    client = LdapClient.fromSocket(socket);
    if (done) client.destroy(); // timed out while connecting
    const r = await client.bind(o.bindDn, o.password.reveal());
    if (r.resultCode !== 0) throw new BindwallError(r.resultCode === 49 ? ErrorCode.LookupBindFailed : ErrorCode.UpstreamUnavailable, `the lookup account ${o.bindDn} cannot bind (result ${r.resultCode})`);
    const found: DirectoryLockoutPolicy[] = [];
    // AD: the domain object is the default naming context (the lookup base may be an OU below it).
    const root = await client.searchEntries('', Filter.present('objectClass'), { scope: 0, attributes: ['defaultNamingContext'] });
    const domain = root.entries[0] ? attr(root.entries[0], 'defaultNamingContext') : undefined;
    if (domain) {
      const d = await client.searchEntries(domain, Filter.present('objectClass'), { scope: 0, attributes: ['lockoutThreshold', 'lockOutObservationWindow'] });
      const v = d.entries[0] ? attr(d.entries[0], 'lockoutThreshold') : undefined;
      if (v !== undefined && /^\d+$/.test(v)) found.push({ source: 'ad', threshold: Number(v), ...adWindow(attr(d.entries[0]!, 'lockOutObservationWindow')), dn: d.entries[0]!.dn });
      const pso = await client.searchEntries(`CN=Password Settings Container,CN=System,${domain}`, Filter.equality('objectClass', 'msDS-PasswordSettings'), { attributes: ['msDS-LockoutThreshold', 'msDS-LockoutObservationWindow'], sizeLimit: 100 });
      for (const e of pso.entries) {
        const t = attr(e, 'msDS-LockoutThreshold');
        if (t !== undefined && /^\d+$/.test(t)) found.push({ source: 'ad-pso', threshold: Number(t), ...adWindow(attr(e, 'msDS-LockoutObservationWindow')), dn: e.dn });
      }
    }
    // OpenLDAP ppolicy: policy entries are ordinary entries in the tree.
    const pp = await client.searchEntries(o.baseDn, Filter.equality('objectClass', 'pwdPolicy'), { attributes: ['pwdMaxFailure', 'pwdLockout', 'pwdFailureCountInterval'], sizeLimit: 100 });
    for (const e of pp.entries) {
      const max = attr(e, 'pwdMaxFailure');
      const locks = (attr(e, 'pwdLockout') ?? 'FALSE').toUpperCase() === 'TRUE';
      // pwdFailureCountInterval: seconds; 0 or absent, failures are forgotten only on a success.
      const interval = attr(e, 'pwdFailureCountInterval');
      if (max !== undefined && /^\d+$/.test(max)) found.push({ source: 'ppolicy', threshold: locks ? Number(max) : 0, windowMs: interval && /^\d+$/.test(interval) ? Number(interval) * 1000 : 0, dn: e.dn });
    }
    return strictest(found);
  })();
  let timer: { cancel(): void } | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => {
      timer = clock.setTimer(o.timeoutMs, () => reject(new BindwallError(ErrorCode.UpstreamTimeout, `reading the directory's lockout policy timed out after ${o.timeoutMs} ms`)));
    })]);
  } catch (err) {
    throw err instanceof BindwallError ? err : new BindwallError(ErrorCode.UpstreamUnavailable, `could not read the directory's lockout policy: ${describeError(err).message}`);
  } finally {
    done = true;
    timer?.cancel();
    client?.destroy();
    work.catch(() => undefined);
  }
}

/** AD keeps durations as negative counts of 100 ns ("-18000000000" is 30 minutes). */
function adWindow(v: string | undefined): { windowMs?: number } {
  return v !== undefined && /^-?\d+$/.test(v) ? { windowMs: Math.abs(Number(v)) / 10_000 } : {};
}

/** The policy that locks soonest; one that never locks only when none does. */
export function strictest(found: readonly DirectoryLockoutPolicy[]): DirectoryLockoutPolicy | null {
  const locking = found.filter((p) => p.threshold > 0).sort((a, b) => a.threshold - b.threshold);
  return locking[0] ?? found[0] ?? null;
}

/** The reader the proxy and `config check --connect` use: through the lookup account, when one is configured. */
export function lockoutPolicySource(config: Config, clock: Clock, log: Logger): (() => Promise<DirectoryLockoutPolicy | null>) | undefined {
  const l = config.directory.lookup;
  if (!l) return undefined;
  const pool = new DirectoryPool(config.directory, clock, log);
  return () => readLockoutPolicy(pool, { bindDn: l.bindDn, password: l.password, baseDn: l.baseDn, timeoutMs: l.timeoutMs }, clock);
}
