/**
 * Directory facts about a user (groups including nested ones, OU, department, title, site,
 * configured attributes), looked up through a service account and cached with a TTL. A
 * cached answer is returned synchronously; a stale one is served while it refreshes in the
 * background, so the bind path waits on the directory only the first time it meets a user.
 */
import { BindwallError, describeError, ErrorCode } from '../errors.js';
import { Filter, LdapClient } from '../ldap/client.js';
import type { SearchEntry } from '../ldap/messages.js';
import type { Logger } from '../log/logger.js';
import type { Secret } from '../log/secret.js';
import type { DirectoryPool } from '../proxy/upstream.js';
import type { Clock } from '../util/clock.js';
import { normalizeDn } from '../util/dn.js';
import { canonicalAccount } from '../behavior/logon-event.js';

export interface UserFacts {
  dn: string;
  /**
   * The identity's login name (the first of directory.lookup.userAttributes the entry has,
   * lower-cased; a UPN's user part): what every name form of this person resolves to.
   */
  login?: string;
  /** OU names from the entry up (["Finance", "People"]). */
  ous: string[];
  department?: string;
  title?: string;
  site?: string;
  /** Group DNs, nested membership included. */
  groups: string[];
  /** Group common names, lower-cased, for policy lists. */
  groupNames: string[];
  privileged: boolean;
  /** Every configured attribute, by name. */
  attributes: Record<string, string[]>;
}

export interface FactsOptions {
  bindDn: string;
  password: Secret<string>;
  baseDn: string;
  /** Attributes a bind name is matched against (uid, sAMAccountName, userPrincipalName …). */
  userAttributes: readonly string[];
  /** Which directory attribute holds each fact. */
  departmentAttribute: string;
  titleAttribute: string;
  siteAttribute: string;
  extraAttributes: readonly string[];
  /** Members of these groups (DN or cn, nested) are privileged accounts. */
  privilegedGroups: readonly string[];
  cacheTtlMs: number;
  /** Unknown users are remembered for less time. */
  negativeTtlMs: number;
  timeoutMs: number;
  maxGroupDepth: number;
  /** When a lookup fails and nothing is known of the account: secure (refuse the bind) or facts-optional. */
  onFailure?: 'secure' | 'facts-optional';
}

interface CacheEntry {
  facts: UserFacts | null;
  fetchedAt: number;
  refreshing?: Promise<UserFacts | null>;
  /** The last lookup failed (and `facts` is what was known before, if anything). */
  failed?: BindwallError;
}

const cnOf = (dn: string): string => (/^\s*cn\s*=\s*((?:\\.|[^,])+)/i.exec(dn)?.[1] ?? dn).trim().toLowerCase();

export class DirectoryFacts {
  readonly #o: FactsOptions;
  readonly #pool: DirectoryPool;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #cache = new Map<string, CacheEntry>();
  #client: LdapClient | null = null;
  #queue: Promise<unknown> = Promise.resolve();
  readonly #privileged: Set<string>;
  readonly #reported = new Map<string, { at: number; suppressed: number }>();
  lookups = 0;
  /** Lookups that failed (the directory or the lookup account), for metrics. */
  lookupFailures = 0;

  constructor(opts: FactsOptions, pool: DirectoryPool, clock: Clock, log: Logger) {
    this.#o = opts;
    this.#pool = pool;
    this.#clock = clock;
    this.#log = log;
    this.#privileged = new Set(opts.privilegedGroups.map((g) => (g.includes('=') ? normalizeDn(g) : g.toLowerCase())));
  }

  /** Fresh or stale cached facts, without waiting; a stale entry starts a refresh. */
  cached(account: string): UserFacts | null | undefined {
    const e = this.#cache.get(account);
    if (!e) return undefined;
    const ttl = e.facts ? this.#o.cacheTtlMs : this.#o.negativeTtlMs;
    if (this.#clock.now() - e.fetchedAt >= ttl && !e.refreshing) void this.#refresh(account, e);
    return e.facts;
  }

  /** Cached facts, or a lookup (deduplicated, bounded by timeoutMs). null: no such user, or the lookup failed. */
  async get(account: string, bindName: string): Promise<UserFacts | null> {
    return (await this.lookup(account, bindName)).facts;
  }

  /** Like get, and says when the lookup failed (then `facts` is what was known before, or null). */
  async lookup(account: string, bindName: string): Promise<{ facts: UserFacts | null; error?: BindwallError }> {
    const hit = this.cached(account);
    if (hit !== undefined) return { facts: hit };
    const existing = this.#cache.get(account)?.refreshing;
    const entry: CacheEntry = this.#cache.get(account) ?? { facts: null, fetchedAt: -Infinity };
    if (!existing) this.#cache.set(account, entry);
    const facts = await (existing ?? this.#refresh(account, entry, bindName));
    return { facts, ...(entry.failed ? { error: entry.failed } : {}) };
  }

  #refresh(account: string, entry: CacheEntry, bindName?: string): Promise<UserFacts | null> {
    const p = this.#withTimeout(this.#serial(() => this.#lookup(account, bindName)))
      .then((facts) => {
        entry.facts = facts;
        entry.fetchedAt = this.#clock.now();
        delete entry.failed;
        return facts;
      })
      .catch((err: unknown) => {
        entry.failed = err instanceof BindwallError ? err : new BindwallError(ErrorCode.UpstreamUnavailable, describeError(err).message);
        this.lookupFailures++;
        this.#reportFailure(entry.failed);
        if (entry.fetchedAt === -Infinity) this.#cache.delete(account);
        return entry.facts;
      })
      .finally(() => {
        delete entry.refreshing;
      });
    entry.refreshing = p;
    return p;
  }

  /**
   * Loud, but once a minute per kind of failure: a broken lookup account fails every bind's
   * lookup, and the log must say what is wrong, not repeat it thousands of times.
   */
  #reportFailure(err: BindwallError): void {
    const now = this.#clock.now();
    const last = this.#reported.get(err.code);
    if (last && now - last.at < 60_000) {
      last.suppressed++;
      return;
    }
    const fix = err.code === ErrorCode.LookupBindFailed ? 'check directory.lookup.bindDn and its password file (bindwall config check --connect)'
      : 'check that the directory answers the lookup account (directory.urls, directory.lookup.timeoutMs)';
    this.#log.error({ event: 'facts_lookup_failed', code: err.code, error: describeError(err), suppressedSinceLast: last?.suppressed ?? 0, fix, onFailure: this.#o.onFailure },
      `directory lookups are failing (${err.code}): ${err.message}; ${this.#o.onFailure === 'secure' ? 'binds of accounts with no known facts are refused' : 'deciding without facts'} — ${fix}`);
    this.#reported.set(err.code, { at: now, suppressed: 0 });
  }

  #withTimeout<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.#clock.setTimer(this.#o.timeoutMs, () => reject(new BindwallError(ErrorCode.UpstreamTimeout, `facts lookup timed out after ${this.#o.timeoutMs} ms`)));
      p.then((v) => { timer.cancel(); resolve(v); }, (e: unknown) => { timer.cancel(); reject(e); });
    });
  }

  /** One request at a time on the one lookup connection (the client does not multiplex). */
  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #connection(): Promise<LdapClient> {
    if (this.#client && !this.#client.socket.destroyed) return this.#client;
    const { socket } = await this.#pool.connect();
    const client = LdapClient.fromSocket(socket);
    const r = await client.bind(this.#o.bindDn, this.#o.password.reveal());
    if (r.resultCode !== 0) {
      client.destroy();
      throw new BindwallError(r.resultCode === 49 ? ErrorCode.LookupBindFailed : ErrorCode.UpstreamUnavailable, `the lookup account ${this.#o.bindDn} cannot bind (result ${r.resultCode}${r.resultCode === 49 ? ': invalid credentials' : ''})`);
    }
    this.#client = client;
    return client;
  }

  async #lookup(account: string, bindName?: string): Promise<UserFacts | null> {
    this.lookups++;
    let client: LdapClient;
    try {
      client = await this.#connection();
    } catch (err) {
      this.#client = null;
      throw err;
    }
    try {
      const o = this.#o;
      const wanted = [...o.userAttributes, o.departmentAttribute, o.titleAttribute, o.siteAttribute, ...o.extraAttributes];
      // A bind name that is a DN under the base is read directly; anything else is searched for.
      let entry: SearchEntry | undefined;
      if (bindName && bindName.includes('=')) {
        const r = await client.searchEntries(bindName, Filter.present('objectClass'), { scope: 0, attributes: wanted });
        entry = r.entries[0];
      }
      if (!entry) {
        const r = await client.searchEntries(o.baseDn, Filter.or(...o.userAttributes.map((a) => Filter.equality(a, account))), { attributes: wanted, sizeLimit: 2 });
        if (r.entries.length > 1) throw new BindwallError(ErrorCode.UpstreamProtocol, `more than one entry matches ${account}`);
        entry = r.entries[0];
      }
      if (!entry) return null;
      const groups = await this.#groupsOf(client, entry.dn);
      const first = (name: string): string | undefined => valueOf(entry!.attributes, name);
      const loginValue = o.userAttributes.map(first).find((v) => v !== undefined && v !== '');
      return {
        dn: entry.dn,
        ...(loginValue ? { login: canonicalAccount(loginValue) } : {}),
        ous: [...entry.dn.matchAll(/(?:^|,)\s*ou\s*=\s*((?:\\.|[^,])+)/gi)].map((m) => m[1]!.trim()),
        ...(first(o.departmentAttribute) ? { department: first(o.departmentAttribute)! } : {}),
        ...(first(o.titleAttribute) ? { title: first(o.titleAttribute)! } : {}),
        ...(first(o.siteAttribute) ? { site: first(o.siteAttribute)! } : {}),
        groups,
        groupNames: groups.map(cnOf),
        privileged: groups.some((g) => this.#privileged.has(normalizeDn(g)) || this.#privileged.has(cnOf(g))),
        attributes: entry.attributes,
      };
    } catch (err) {
      client.destroy();
      this.#client = null;
      throw err;
    }
  }

  /** Nested membership by breadth-first search over member= (works on any directory). */
  async #groupsOf(client: LdapClient, dn: string): Promise<string[]> {
    const found = new Map<string, string>();
    let frontier = [dn];
    for (let depth = 0; depth < this.#o.maxGroupDepth && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const member of frontier) {
        const r = await client.searchEntries(this.#o.baseDn, Filter.equality('member', member), { attributes: ['1.1'] });
        for (const g of r.entries) {
          const key = normalizeDn(g.dn);
          if (!found.has(key)) {
            found.set(key, g.dn);
            next.push(g.dn);
          }
        }
      }
      frontier = next;
    }
    return [...found.values()];
  }

  /** Binds the lookup account now (within timeoutMs): `config check --connect`. Throws a typed error. */
  async verify(): Promise<void> {
    await this.#withTimeout(this.#serial(() => this.#connection()));
  }

  close(): void {
    this.#client?.destroy();
    this.#client = null;
  }
}

function valueOf(attrs: Record<string, string[]>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(attrs)) if (k.toLowerCase() === lower) return v[0];
  return undefined;
}
