/**
 * The malicious-source pool (ThreatInsight at the edge): sources seen spraying passwords
 * (failures for many accounts that never succeed), brute-forcing one account, or named by
 * the behaviour engine's spraying evidence get a threat level with reasons and an expiry;
 * a /24 (IPv4) or /64 (IPv6) with several high sources is high as a whole. Exempt zones and
 * app servers are recorded but never blocked as a whole: an attack through them belongs to
 * the accounts it targets. Memory is bounded (LRU), time comes from the clock.
 */
import { cidrContains, parseCidr, subnetOf, type Cidr } from '../util/cidr.js';
import type { Clock } from '../util/clock.js';
import { LruMap } from '../util/lru.js';

export const ThreatLevel = { Low: 'low', Medium: 'medium', High: 'high' } as const;
export type ThreatLevel = (typeof ThreatLevel)[keyof typeof ThreatLevel];
const RANK: Record<ThreatLevel, number> = { low: 1, medium: 2, high: 3 };

/** Why a source is in the pool, for policy (`threatKind:`) and the CLI. */
export const ThreatKind = {
  Spraying: 'spraying', SlowSpraying: 'slow_spraying', BruteForce: 'brute_force', Behaviour: 'behaviour',
  Honeytoken: 'honeytoken', Network: 'network', Manual: 'manual',
  /** Okta ThreatInsight saw the address (security.threat.detected, through the SSO connector). */
  OktaThreatInsight: 'okta_threatinsight',
} as const;
export type ThreatKind = (typeof ThreatKind)[keyof typeof ThreatKind];

export const ThreatMode = { Off: 'off', Log: 'log', Enforce: 'enforce' } as const;
export type ThreatMode = (typeof ThreatMode)[keyof typeof ThreatMode];

export interface ThreatOptions {
  mode: ThreatMode;
  /** Named zones never blocked as a whole (a conference NAT, a partner's gateway). */
  exempt: readonly { name: string; addresses: readonly string[] }[];
  windowMs: number;
  /** Accounts failing from one source (none succeeding after) within the window, per level. */
  sprayAccounts: Record<ThreatLevel, number>;
  /** Slow spraying: accounts failing from one source (none succeeding after) within slowWindowMs (no low level). */
  slowWindowMs: number;
  slowSprayAccounts: { medium: number; high: number };
  /** Spraying needs failed-only accounts to be at least this share of the accounts a source tried in the window. */
  sprayShare: number;
  /** Failed binds for one account from one source within the window, per level. */
  bruteForceAttempts: Record<ThreatLevel, number>;
  /** How long an entry lasts after its last evidence, per level. */
  ttlMs: Record<ThreatLevel, number>;
  /** High sources in one /24 or /64 that make the whole network high. */
  subnetHighSources: number;
  maxSources: number;
}

export const defaultThreatOptions: Readonly<ThreatOptions> = Object.freeze({
  mode: ThreatMode.Log,
  exempt: [],
  windowMs: 10 * 60_000,
  sprayAccounts: { low: 4, medium: 6, high: 10 },
  slowWindowMs: 6 * 3_600_000,
  slowSprayAccounts: { medium: 10, high: 20 },
  sprayShare: 0.5,
  bruteForceAttempts: { low: 6, medium: 10, high: 20 },
  ttlMs: { low: 15 * 60_000, medium: 30 * 60_000, high: 60 * 60_000 },
  subnetHighSources: 3,
  maxSources: 100_000,
});

export interface ThreatEntry {
  key: string;
  level: ThreatLevel;
  reasons: string[];
  /** The kinds of evidence behind the reasons. */
  kinds?: ThreatKind[];
  since: number;
  updated: number;
  expires: number;
  /** Set when the source is exempt (a zone's name, or "app server"): recorded, never blocked. */
  exempt?: string;
  /** Added by an admin (bindwall threats add), not by evidence. */
  manual?: boolean;
  /** Guesses from here bindwall answered itself (enforce mode), which the directory never saw. */
  blocked?: number;
}

export interface ThreatObservation {
  time: number;
  address: string;
  account: string;
  failed: boolean;
  /** The source binds for many people (a declared or learned app server, a declared pool). */
  relaying?: boolean;
  /** The behaviour engine's spraying_source points for this bind, if any. */
  sprayingPoints?: number;
  /** The pool itself answered it (enforce mode): counted on the entry that blocked it. */
  blocked?: boolean;
}

export interface ThreatVerdict {
  /** What enforce mode does with the next bind from here: high is blocked, low and medium slowed. */
  action: 'allow' | 'slow' | 'block';
  entry?: ThreatEntry;
}

/** Attempts from one source inside the window, counted incrementally. */
interface SourceWindow {
  started: number;
  perAccount: Map<string, { failed: number; ok: number }>;
  failedOnly: number;
}

const MAX_ACCOUNTS_PER_WINDOW = 4_096;

/** Counts one bind in a window; undefined when the window is full (its accounts are bounded). */
function count(w: SourceWindow, account: string, failed: boolean): { failed: number; ok: number } | undefined {
  let c = w.perAccount.get(account);
  if (!c) {
    if (w.perAccount.size >= MAX_ACCOUNTS_PER_WINDOW) return undefined;
    w.perAccount.set(account, (c = { failed: 0, ok: 0 }));
  }
  const wasFailedOnly = c.failed > 0 && c.ok === 0;
  if (failed) c.failed++;
  else c.ok++;
  const isFailedOnly = c.failed > 0 && c.ok === 0;
  w.failedOnly += (isFailedOnly ? 1 : 0) - (wasFailedOnly ? 1 : 0);
  return c;
}

/** Written at most this often per entry while only its expiry moves (a spray renews it every guess). */
const REWRITE_MS = 60_000;

export class ThreatPool {
  readonly #o: ThreatOptions;
  /** Told of new entries, level changes and (at most once a minute) renewals: storage. */
  onChange: ((e: ThreatEntry) => void) | undefined;
  /**
   * Told of each observation that counts toward an entry — failures, blocked guesses, and
   * successes that correct a failure — so the fleet (fleet/) counts a spray spread over
   * nodes once. A success for an account that never failed here counts for nothing: not told.
   */
  onObserved: ((ob: ThreatObservation) => void) | undefined;
  readonly #written = new Map<string, { level: ThreatLevel; at: number }>();
  readonly #clock: Clock;
  readonly #exempt: { name: string; cidrs: Cidr[] }[];
  readonly #windows: LruMap<SourceWindow>;
  readonly #slowWindows: LruMap<SourceWindow>;
  readonly #entries: LruMap<ThreatEntry>;
  /** Per /24 or /64: its addresses that went high (bounded), for the network's own entry. */
  readonly #highInSubnet: LruMap<Set<string>>;

  constructor(o: Partial<ThreatOptions>, clock: Clock) {
    this.#o = { ...defaultThreatOptions, ...o };
    this.#clock = clock;
    this.#exempt = this.#o.exempt.map((z) => ({ name: z.name, cidrs: z.addresses.map((a) => parseCidr(a)).filter((c): c is Cidr => !('error' in c)) }));
    this.#windows = new LruMap(this.#o.maxSources);
    this.#slowWindows = new LruMap(this.#o.maxSources);
    this.#entries = new LruMap(this.#o.maxSources);
    this.#highInSubnet = new LruMap(this.#o.maxSources);
  }

  /** Sources with an entry (metrics). */
  get entryCount(): number {
    return this.#entries.size;
  }

  get mode(): ThreatMode {
    return this.#o.mode;
  }

  /** Learns from one bind's outcome (every bind, whoever answered it); `remote`: another node's, not told again. */
  observe(ob: ThreatObservation, remote = false): void {
    if (this.#o.mode === ThreatMode.Off) return;
    // A guess the pool answered: it renews the entry that blocked it; the windows (bounded
    // memory) only count what reached the directory.
    if (ob.blocked) {
      if (!remote) this.onObserved?.(ob);
      return this.#countBlocked(ob.address, ob.time);
    }
    const w = this.#window(this.#windows, this.#o.windowMs, ob.address, ob.time);
    const c = count(w, ob.account, ob.failed);
    if (!c) return;
    if (!remote && (ob.failed || c.failed > 0)) this.onObserved?.(ob);
    const slow = count(this.#window(this.#slowWindows, this.#o.slowWindowMs, ob.address, ob.time), ob.account, ob.failed);
    const reasons: [ThreatLevel, string, ThreatKind][] = [];
    const level = (counts: Record<ThreatLevel, number>, n: number): ThreatLevel | undefined =>
      n >= counts.high ? ThreatLevel.High : n >= counts.medium ? ThreatLevel.Medium : n >= counts.low ? ThreatLevel.Low : undefined;
    const minutes = Math.round(this.#o.windowMs / 60_000);
    // Failures for many accounts that do not then succeed: a typo corrected by its owner is not counted.
    // Spraying fails for most accounts it tries; a busy app server's uncorrected typos are a few per cent.
    const spraying = (win: SourceWindow): boolean => win.failedOnly >= this.#o.sprayShare * win.perAccount.size;
    const spray = spraying(w) ? level(this.#o.sprayAccounts, w.failedOnly) : undefined;
    if (spray && ob.failed) reasons.push([spray, `failed binds for ${w.failedOnly} accounts within ${minutes} minutes (password spraying)`, ThreatKind.Spraying]);
    // Low and slow: one guess every quarter of an hour stays under the short window, not under this one.
    const sw = slow ? this.#slowWindows.get(ob.address) : undefined;
    const slowLevel = sw && ob.failed && spraying(sw) ? (sw.failedOnly >= this.#o.slowSprayAccounts.high ? ThreatLevel.High : sw.failedOnly >= this.#o.slowSprayAccounts.medium ? ThreatLevel.Medium : undefined) : undefined;
    if (slowLevel) reasons.push([slowLevel, `failed binds for ${sw!.failedOnly} accounts within ${Math.round(this.#o.slowWindowMs / 3_600_000)} hours (slow password spraying)`, ThreatKind.SlowSpraying]);
    const brute = level(this.#o.bruteForceAttempts, ob.failed && c.ok === 0 ? c.failed : 0);
    if (brute) reasons.push([brute, `${c.failed} failed binds for ${ob.account} within ${minutes} minutes (brute force)`, ThreatKind.BruteForce]);
    if ((ob.sprayingPoints ?? 0) >= 85) reasons.push([ThreatLevel.High, 'the behaviour engine sees password spraying from it', ThreatKind.Behaviour]);
    else if ((ob.sprayingPoints ?? 0) >= 60) reasons.push([ThreatLevel.Medium, 'the behaviour engine sees slow password spraying from it', ThreatKind.Behaviour]);
    if (reasons.length === 0) return;
    const top = reasons.reduce((a, b) => (RANK[b[0]] > RANK[a[0]] ? b : a));
    const exempt = ob.relaying ? 'app server' : this.#exemptZone(ob.address);
    const wasHigh = this.#live(ob.address, ob.time)?.level === ThreatLevel.High;
    // Every kind of evidence seen here, not only the strongest: a spray the behaviour engine also saw is still a spray.
    this.#raise(ob.address, top[0], top[1], ob.time, exempt, ...reasons.map((r) => r[2]));
    if (top[0] === ThreatLevel.High && !exempt && !wasHigh) this.#raiseSubnet(ob.address, ob.time);
  }

  /** Told of each honeytoken bind (the fleet shares them). */
  onHoneytoken: ((address: string, account: string, time: number, relaying: boolean) => void) | undefined;

  /** A honeytoken account was tried from here: high at once (an app server is recorded, not blocked). */
  honeytoken(address: string, account: string, time: number, relaying = false, remote = false): void {
    if (this.#o.mode === ThreatMode.Off) return;
    if (!remote) this.onHoneytoken?.(address, account, time, relaying);
    const exempt = relaying ? 'app server' : this.#exemptZone(address);
    const wasHigh = this.#live(address, time)?.level === ThreatLevel.High;
    this.#raise(address, ThreatLevel.High, `a bind as the honeytoken account ${account}`, time, exempt, ThreatKind.Honeytoken);
    if (!exempt && !wasHigh) this.#raiseSubnet(address, time);
  }

  /** What enforce mode does with a bind from this address now. Never blocks an exempt source. */
  verdict(address: string, relaying: boolean | (() => boolean) = false): ThreatVerdict {
    if (this.#o.mode === ThreatMode.Off) return { action: 'allow' };
    const now = this.#clock.now();
    const own = this.#live(address, now);
    const net = this.#live(subnetOf(address), now);
    const entry = own && net ? (RANK[net.level] > RANK[own.level] ? net : own) : own ?? net;
    if (!entry) return { action: 'allow' };
    // Asked only of a source with an entry: whether it relays costs a lookup or two.
    const relays = typeof relaying === 'function' ? relaying() : relaying;
    const exempt = own?.exempt ?? (relays ? 'app server' : this.#exemptZone(address));
    const action = exempt !== undefined ? 'allow' : entry.level === ThreatLevel.High ? 'block' : 'slow';
    return { action, entry: exempt && !entry.exempt ? { ...entry, exempt } : entry };
  }

  /** Entries in force now, highest first. */
  list(): ThreatEntry[] {
    const now = this.#clock.now();
    const out: ThreatEntry[] = [];
    for (const k of this.#entries.keys()) {
      const e = this.#live(k, now);
      if (e) out.push({ ...e, reasons: [...e.reasons] });
    }
    return out.sort((a, b) => RANK[b.level] - RANK[a.level] || b.updated - a.updated);
  }

  /** Forgets an entry and its evidence; true when there was one. */
  release(key: string): boolean {
    const had = this.#live(key, this.#clock.now()) !== undefined;
    this.#entries.delete(key);
    this.#windows.delete(key);
    this.#slowWindows.delete(key);
    this.#highInSubnet.get(subnetOf(key))?.delete(key);
    return had;
  }

  #live(key: string, now: number): ThreatEntry | undefined {
    const e = this.#entries.get(key);
    return e && e.expires > now ? e : undefined;
  }

  #countBlocked(address: string, now: number): void {
    const e = this.#live(address, now) ?? this.#live(subnetOf(address), now);
    if (!e) return;
    e.blocked = (e.blocked ?? 0) + 1;
    e.updated = now;
    if (!e.manual) e.expires = Math.max(e.expires, now + this.#o.ttlMs[e.level]);
    this.#changed(e, now);
  }

  #window(windows: LruMap<SourceWindow>, windowMs: number, address: string, now: number): SourceWindow {
    let w = windows.get(address);
    if (!w || now - w.started >= windowMs) windows.set(address, (w = { started: now, perAccount: new Map(), failedOnly: 0 }));
    else windows.use(address, w);
    return w;
  }

  #exemptZone(address: string): string | undefined {
    for (const z of this.#exempt) if (z.cidrs.some((c) => cidrContains(c, address))) return z.name;
    return undefined;
  }

  #raise(key: string, level: ThreatLevel, reason: string, now: number, exempt: string | undefined, ...kind: ThreatKind[]): void {
    const e = this.#live(key, now);
    const lvl = e && RANK[e.level] > RANK[level] ? e.level : level;
    const reasons = e ? [...new Set([reason, ...e.reasons])].slice(0, 5) : [reason];
    const kinds = [...new Set([...kind, ...(e?.kinds ?? [])])];
    const entry: ThreatEntry = {
      key, level: lvl, reasons, kinds, since: e?.since ?? now, updated: now, expires: Math.max(e?.expires ?? 0, now + this.#o.ttlMs[lvl]),
      ...(exempt ? { exempt } : {}), ...(e?.manual ? { manual: true } : {}), ...(e?.blocked ? { blocked: e.blocked } : {}),
    };
    this.#entries.set(key, entry);
    this.#changed(entry, now);
  }

  #changed(e: ThreatEntry, now: number): void {
    if (!this.onChange) return;
    const w = this.#written.get(e.key);
    if (w && w.level === e.level && now - w.at < REWRITE_MS) return;
    this.#written.set(e.key, { level: e.level, at: now });
    if (this.#written.size > this.#o.maxSources) this.#written.delete(this.#written.keys().next().value as string);
    this.onChange(e);
  }

  /**
   * Takes in what storage holds (the CLI adds and releases there): entries it has are kept
   * or raised; one this pool wrote that storage no longer has was released.
   */
  sync(stored: readonly ThreatEntry[]): void {
    const now = this.#clock.now();
    const keys = new Set(stored.map((e) => e.key));
    for (const e of stored) {
      const mine = this.#live(e.key, now);
      if (!mine || RANK[e.level] > RANK[mine.level] || e.manual) this.#entries.set(e.key, { ...e, reasons: [...e.reasons] });
      this.#written.set(e.key, { level: e.level, at: now });
    }
    for (const k of [...this.#written.keys()]) {
      if (keys.has(k)) continue;
      this.#written.delete(k);
      this.#entries.delete(k);
      this.#windows.delete(k);
      this.#slowWindows.delete(k);
    }
  }

  /** Called when an address goes high: enough of them in one network make the network high. */
  #raiseSubnet(address: string, now: number): void {
    const net = subnetOf(address);
    let members = this.#highInSubnet.get(net);
    if (!members) this.#highInSubnet.set(net, (members = new Set()));
    members.add(address);
    for (const a of members) if (this.#live(a, now)?.level !== ThreatLevel.High) members.delete(a);
    if (members.size > 256) members.delete(members.values().next().value as string);
    if (members.size >= this.#o.subnetHighSources) this.#raise(net, ThreatLevel.High, `${members.size} high-threat sources in ${net}`, now, undefined, ThreatKind.Network);
  }
}
