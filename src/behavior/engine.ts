/**
 * The behaviour engine: scores a logon against what is normal (assess), then learns from
 * it (learn). Scoring only reads; learning updates every baseline incrementally. Risky
 * logons teach less, and never make an endpoint familiar on their own; a passed step-up
 * (`confirm`) teaches fully. Users, accounts and endpoints carry an entity risk that
 * rises with risky logons and decays with time.
 */
import { addHour, newAccountBaseline, newHourProfile, type HourProfile, newEndpointBaseline, newPeerBaseline, share, touch, type AccountBaseline, type EndpointBaseline, type PeerBaseline, type RecentLogon } from './baseline.js';
import { isFailure } from './bind-result.js';
import { bump, DAY_MS, valueAt, type Decayed } from './decay.js';
import { expire, record } from './endpoint-window.js';
import { AccountKind, type LogonEvent } from './logon-event.js';
import { distance2, FEATURE_DIMS, features, learnFeatures } from './multivariate.js';
import { defaultBehaviorOptions, type BehaviorOptions } from './options.js';
import { changesAddresses, isRoaming, CHECKS, combine, devicesInWindow, owners, SignalCode, visitsToday, type CheckContext, type Signal } from './signals.js';
import { HourOfWeek } from './time-of-week.js';
import { LruMap } from '../util/lru.js';
import { zoneOf } from '../util/cidr.js';
import { EndpointRole, isRelayingRole, learnRole, roleOf } from './endpoint-role.js';
import { isCloudApp } from './cloud.js';
import { learningState } from './learning.js';

export interface Assessment {
  /** 0 (normal) … 100 (certainly not the usual person or process). */
  score: number;
  /** Every signal that fired, strongest first. */
  signals: Signal[];
  /** The top reasons, for logs and people. */
  reasons: string[];
  maturity: number;
  accountRisk: number;
  endpointRisk: number;
  hourOfWeek: number;
  /** What the source address was taken for (device, shared, app_server, pool). */
  endpointRole?: EndpointRole;
  /** Feature vector of a successful logon (multivariate term), kept for learning. */
  features?: number[];
  /** Whether the identity has used cloud access (Okta sign-ins in its baseline), and how many apps. */
  cloud?: { access: boolean; apps: number };
}

/** Cheap: counts the baseline's cloud apps (cloud.ts has the full picture for people). */
function cloudSummary(b: AccountBaseline): { access: boolean; apps: number } {
  let apps = 0;
  let access = false;
  for (const app of b.apps.keys()) {
    if (!isCloudApp(app)) continue;
    access = true;
    if (app !== 'okta') apps++;
  }
  return { access, apps };
}

/** Entity risk carried into a score; excluded when entity risk itself is updated. */
const RISK_SIGNALS: ReadonlySet<string> = new Set([SignalCode.EndpointRisk, SignalCode.AccountRisk]);

/** Checks on one dimension at a time (the multivariate term defers to them). */
const MARGINAL: ReadonlySet<string> = new Set([SignalCode.UnusualHour, SignalCode.NewEndpoint, SignalCode.NewSubnet, SignalCode.EndpointNotAssociated]);

/** Signals about the endpoint itself; they drive the endpoint's entity risk. */
const ENDPOINT_SIGNALS: ReadonlySet<string> = new Set([SignalCode.SprayingSource, SignalCode.EndpointManyAccounts, SignalCode.EndpointNotAssociated]);

/** Bind names kept per identity (the forms it logs on with: DN, DOMAIN\\sam, UPN). */
const MAX_NAMES = 8;

function rememberName(acc: AccountBaseline, name: string): void {
  const names = (acc.names ??= []);
  if (names[names.length - 1] === name) return;
  const i = names.indexOf(name);
  if (i >= 0) names.splice(i, 1);
  names.push(name);
  if (names.length > MAX_NAMES) names.shift();
}

/**
 * The device a logon came from, as location signals key it: a declared endpoint name, else
 * the computer account that last bound from the address (a DHCP lease moves a laptop to
 * another address, and gives its old one to another machine), else the address itself.
 */
export function deviceOf(ev: Pick<LogonEvent, 'kind' | 'account' | 'endpoint' | 'time' | 'endpointName'>, endpoint: EndpointBaseline | undefined): string {
  if (ev.kind === AccountKind.Computer) return ev.account.replace(/\$$/, '');
  if (ev.endpointName) return ev.endpointName;
  // A computer's bind vouches for the address for a day (machines bind as they start); after
  // that the lease may have gone to a machine that does not bind.
  const fresh = endpoint?.device !== undefined && ev.time - (endpoint.deviceSeen ?? 0) < DEVICE_LEASE_MS;
  return fresh ? endpoint.device! : ev.endpoint;
}

/** How long a computer account's bind says which machine holds its address. */
const DEVICE_LEASE_MS = DAY_MS;

/** Apps whose hours are kept per account (the least used goes when a new one comes). */
const MAX_APP_PROFILES = 6;

function appHours(acc: AccountBaseline, app: string, now: number): HourProfile {
  const m = (acc.appHours ??= new Map());
  let p = m.get(app);
  if (p) return p;
  if (m.size >= MAX_APP_PROFILES) {
    let least: string | undefined;
    for (const [k, v] of m) if (least === undefined || v.total < m.get(least)!.total) least = k;
    m.delete(least!);
  }
  m.set(app, (p = newHourProfile(now)));
  return p;
}

/**
 * New devices and networks count toward an account's habit once it is a quarter into its
 * learning period: on a fresh install every network is new to the organisation for an hour.
 */
const NOVELTY_MIN_MATURITY = 0.25;

/** Failed binds whose source is kept per account. */
const MAX_FAILURE_SOURCES = 8;

/**
 * Did the account's recent failures all come from other devices than this one, while this one
 * is its own? Then they are someone else's guesses (a brute force from elsewhere), not this
 * person's typos: the person at their usual machine is not stepped up for them.
 */
function failuresElsewhere(acc: AccountBaseline | undefined, device: string, now: number, halfLifeMs: number): boolean {
  if (!acc?.failureSources?.length || !acc.endpoints.has(device)) return false;
  return acc.failureSources.every((f) => f.device !== device || now - f.time > 4 * halfLifeMs);
}

/** Novelty timestamps kept per account (how often it meets new devices, new networks). */
const MAX_NOVELTY = 8;

function noteNovelty(times: number[], now: number): void {
  times.push(now);
  if (times.length > MAX_NOVELTY) times.shift();
}

/** Above this score a logon does not make its endpoint, subnet or app familiar. */
const FAMILIARITY_MAX_SCORE = 50;

/**
 * Where baselines that are not in memory live (storage): the engine keeps at most
 * maxAccounts / maxEndpoints in memory and loads the others back when they return.
 */
export interface BaselineLoader {
  account(key: string): { baseline: AccountBaseline; risk?: Decayed } | undefined;
  endpoint(key: string): { baseline: EndpointBaseline; risk?: Decayed } | undefined;
}

export interface RiskRow {
  kind: 'account' | 'endpoint';
  key: string;
  value: number;
  asOf: number;
}

/** What changed since the last take, for write-behind persistence. */
export interface DirtyState {
  accounts: AccountBaseline[];
  endpoints: EndpointBaseline[];
  peers: PeerBaseline[];
  risks: RiskRow[];
}

/** Failures of a name that has never logged on: counted, decaying, without a baseline of its own. */
interface UnknownFailures {
  failures: Decayed;
  lastFailure: number;
}

export class BehaviorEngine {
  readonly opts: Readonly<BehaviorOptions>;
  readonly #hours: HourOfWeek;
  readonly #accounts: LruMap<AccountBaseline>;
  readonly #endpoints: LruMap<EndpointBaseline>;
  readonly #peers = new Map<string, PeerBaseline>();
  /** Entity risk of the accounts and endpoints in memory (it leaves memory with them). */
  readonly #accountRisk = new Map<string, Decayed>();
  readonly #endpointRisk = new Map<string, Decayed>();
  /** Subnets anyone has logged on from successfully (org-wide novelty). */
  readonly #subnets: LruMap<number>;
  /**
   * Per subnet: how often people coming back to it come back on another address. In a DHCP
   * range or a VPN pool they often do, and an address says little about whose device it is;
   * on a floor of fixed workstations they hardly ever do. Re-learned within minutes of traffic
   * after a restart (it is not stored).
   */
  readonly #subnetMix: LruMap<{ returns: number; moved: number }>;
  /**
   * Names the directory refused that have no baseline: a spray of random names must not
   * grow a baseline per name, so they are only counted here, bounded.
   */
  readonly #unknownFailures: LruMap<UnknownFailures>;
  readonly #loader: BaselineLoader | undefined;
  /** The last account key the loader did not know (assess and learn ask twice per bind). */
  #missedAccount: string | undefined;
  /** Keys changed since the last `takeDirty()`, for write-behind persistence. */
  #dirty = { accounts: new Set<string>(), endpoints: new Set<string>(), peers: new Set<string>() };
  /** Changed baselines pushed out of memory before they were written, with their risk. */
  #evicted = { accounts: new Map<string, AccountBaseline>(), endpoints: new Map<string, EndpointBaseline>(), risks: new Map<string, RiskRow>() };

  constructor(opts: Partial<BehaviorOptions> = {}, loader?: BaselineLoader) {
    this.opts = Object.freeze({ ...defaultBehaviorOptions, ...opts });
    this.#hours = new HourOfWeek(this.opts.timeZone);
    this.#accounts = new LruMap(this.opts.maxAccounts);
    this.#endpoints = new LruMap(this.opts.maxEndpoints);
    this.#subnets = new LruMap(this.opts.maxEndpoints);
    this.#subnetMix = new LruMap(this.opts.maxEndpoints);
    this.#unknownFailures = new LruMap(this.opts.maxUnknownAccounts);
    this.#loader = loader;
  }

  // ---- bounded tables: lookups that load from storage, inserts that evict ----

  #account(key: string): AccountBaseline | undefined {
    const a = this.#accounts.get(key);
    if (a || !this.#loader || key === this.#missedAccount) return a;
    const back = this.#reload('account', key, this.#evicted.accounts, this.#accountRisk, this.#dirty.accounts, (k, b) => this.#putAccount(k, b), this.#loader.account);
    if (!back) this.#missedAccount = key;
    return back;
  }

  #endpoint(key: string): EndpointBaseline | undefined {
    const e = this.#endpoints.get(key);
    if (e || !this.#loader) return e;
    return this.#reload('endpoint', key, this.#evicted.endpoints, this.#endpointRisk, this.#dirty.endpoints, (k, b) => this.#putEndpoint(k, b), this.#loader.endpoint);
  }

  /** A baseline not in memory: back from the evicted ones not yet written, else from storage. */
  #reload<B>(kind: 'account' | 'endpoint', key: string, evicted: Map<string, B>, risks: Map<string, Decayed>, dirty: Set<string>,
    put: (key: string, b: B) => void, load: (key: string) => { baseline: B; risk?: Decayed } | undefined): B | undefined {
    const back = evicted.get(key);
    if (back) {
      evicted.delete(key);
      this.#restoreRisk(risks, kind, key);
      put(key, back);
      dirty.add(key);
      return back;
    }
    const loaded = load(key);
    if (!loaded) return undefined;
    if (loaded.risk) risks.set(key, loaded.risk);
    put(key, loaded.baseline);
    return loaded.baseline;
  }

  #restoreRisk(map: Map<string, Decayed>, kind: 'account' | 'endpoint', key: string): void {
    const id = `${kind}\u0000${key}`;
    const r = this.#evicted.risks.get(id);
    if (!r) return;
    this.#evicted.risks.delete(id);
    map.set(key, { value: r.value, asOf: r.asOf });
  }

  #putAccount(key: string, a: AccountBaseline): void {
    if (key === this.#missedAccount) this.#missedAccount = undefined;
    const out = this.#accounts.set(key, a);
    if (out) this.#evict('account', out[0], out[1], this.#accountRisk, this.#dirty.accounts, this.#evicted.accounts);
  }

  #putEndpoint(key: string, e: EndpointBaseline): void {
    const out = this.#endpoints.set(key, e);
    if (out) this.#evict('endpoint', out[0], out[1], this.#endpointRisk, this.#dirty.endpoints, this.#evicted.endpoints);
  }

  /** Forgets one entry; a changed one is kept aside until the next write (takeDirty). */
  #evict<B>(kind: 'account' | 'endpoint', key: string, b: B, risks: Map<string, Decayed>, dirty: Set<string>, evicted: Map<string, B>): void {
    const risk = risks.get(key);
    risks.delete(key);
    if (!this.#loader || !dirty.delete(key)) return;
    evicted.set(key, b);
    if (risk) this.#evicted.risks.set(`${kind}\u0000${key}`, { kind, key, value: risk.value, asOf: risk.asOf });
  }

  /** Scores then learns: the order the proxy and the evaluation use. */
  observe(ev: LogonEvent): Assessment {
    const a = this.assess(ev);
    this.learn(ev, a);
    return a;
  }

  maturity(account: AccountBaseline | undefined, now: number): number {
    if (!account) return 0;
    const byTime = (now - account.firstSeen) / this.opts.learningPeriodMs;
    const byCount = account.logons / this.opts.learningMinEvents;
    return Math.max(0, Math.min(1, byTime, byCount));
  }

  assess(ev: LogonEvent): Assessment {
    const now = ev.time;
    const hour = this.#hours.at(now);
    const account = this.#account(ev.account);
    const endpoint = this.#endpoint(ev.endpoint);
    // Expiry only forgets what the window no longer covers; it changes no judgement.
    if (endpoint) expire(endpoint, now, this.opts.sprayWindowMs);
    const peer = ev.peerGroup ? this.#peers.get(ev.peerGroup) : undefined;
    const device = deviceOf(ev, endpoint);
    // Once per logon: an app server's role reads every account that bound there directly.
    const role = roleOf(endpoint, ev.declaredRole);
    let x: number[] | undefined;
    let d2: number | undefined;
    if (account && !isFailure(ev.result)) {
      const previous = account.recent[account.recent.length - 1];
      // Through an app server or a pool, how familiar the app is stands in for the endpoint's share.
      const relayed = isRelayingRole(role);
      x = features({
        hourOfWeek: hour,
        sincePreviousS: previous ? Math.max(0, now - previous.time) / 1000 : undefined,
        endpointShare: relayed ? share(account.apps, ev.app, now, this.opts.familiarityHalfLifeMs) : share(account.endpoints, device, now, this.opts.familiarityHalfLifeMs),
      });
      d2 = distance2(account.features, x);
    }
    const accountRisk = this.risk('account', ev.account, now);
    const endpointRisk = this.risk('endpoint', ev.endpoint, now);
    const ctx: CheckContext = {
      ev, device, hour, account, endpoint, peer, maturity: this.maturity(account, now), role,
      accountRisk, endpointRisk, distance2: d2, orgKnowsSubnet: this.#subnets.has(ev.subnet), opts: this.opts,
      dynamicAddress: device === ev.endpoint && this.#isDynamic(ev.subnet),
      visit: role === EndpointRole.Device && endpoint !== undefined && !(account?.endpoints.has(device) ?? false) && owners(endpoint, ev.account, now).length > 0,
      recentFailures: this.#recentFailures(account, ev.account, now),
      failuresElsewhere: failuresElsewhere(account, device, now, this.opts.failureHalfLifeMs),
      peerMaturity: peer ? this.#peerMaturity(peer, now) : 0,
    };
    const signals: Signal[] = [];
    let marginal = false;
    let offBaseline = -1;
    for (const check of CHECKS) {
      const s = check.run(ctx);
      if (!s) continue;
      if (s.code === SignalCode.OffBaseline) offBaseline = signals.length;
      else if (MARGINAL.has(s.code)) marginal = true;
      signals.push(s);
    }
    // The multivariate term is for odd combinations of individually normal parts; when a
    // marginal check already explains the logon it would only count the same evidence twice.
    if (marginal && offBaseline >= 0) signals.splice(offBaseline, 1);
    if (signals.length > 1) signals.sort((p, q) => q.points - p.points);
    const reasons: string[] = [];
    for (const s of signals) {
      s.points = Math.round(s.points);
      if (reasons.length < 3) reasons.push(s.reason);
    }
    const out: Assessment = {
      score: combine(signals),
      signals,
      reasons,
      maturity: ctx.maturity,
      accountRisk,
      endpointRisk,
      hourOfWeek: hour,
      endpointRole: role,
    };
    if (x) out.features = x;
    if (account) out.cloud = cloudSummary(account);
    return out;
  }

  learn(ev: LogonEvent, a: Assessment): void {
    const now = ev.time;
    const o = this.opts;
    const failed = isFailure(ev.result);
    const trust = 1 - a.score / 100;

    // The endpoint: who used it, and what happened in the spraying window.
    let ep = this.#endpoint(ev.endpoint);
    if (!ep) this.#putEndpoint(ev.endpoint, (ep = newEndpointBaseline(ev.endpoint, now)));
    else this.#endpoints.use(ev.endpoint, ep);
    // Read before this logon updates the endpoint: is it a machine other people own?
    const role = a.endpointRole ?? roleOf(ep, ev.declaredRole);
    const relaying = isRelayingRole(role);
    const device = deviceOf(ev, ep);
    const computer = ev.kind === AccountKind.Computer;
    const onSomeoneElsesMachine = !relaying && !computer && role === EndpointRole.Device && ep.accounts.size >= 1 && !ep.accounts.has(ev.account) && owners(ep, ev.account, now).length > 0;
    // A computer account binding from the address: that machine holds it now. Another machine
    // than before means a new lease: the people who used the old one do not own this one.
    if (computer && !failed) {
      if (ep.device !== device) {
        if (ep.device !== undefined) ep.accounts.clear();
        ep.device = device;
      }
      ep.deviceSeen = now;
    }
    ep.lastSeen = Math.max(ep.lastSeen, now);
    expire(ep, now, o.sprayWindowMs);
    record(ep, ev.account, failed, now);
    learnRole(ep, ev, failed, now);
    const distinct = ep.windowCounts.size;
    // A slowly moving "usual": app servers learn that many accounts is normal; bursts
    // from a risky source teach nothing.
    ep.usualDistinctAccounts += (distinct - ep.usualDistinctAccounts) * (distinct > ep.usualDistinctAccounts ? 0.05 * trust : 0.002);
    // Whether this account has used this very address before (a device may have had others).
    const newToAddress = !ep.accounts.has(ev.account);
    if (failed) bump(ep.failures, now, o.failureHalfLifeMs);
    else if (a.score < FAMILIARITY_MAX_SCORE && !computer) touch(ep.accounts, ev.account, now, o.familiarityHalfLifeMs, trust);
    this.#dirty.endpoints.add(ev.endpoint);

    // The account. A name that has never logged on and fails gets no baseline: it is only
    // counted (bounded), so random names cannot grow the state; its endpoint has the evidence.
    let acc = this.#account(ev.account);
    if (!acc && failed) {
      this.#unknownFailure(ev.account, now);
      this.#raiseEndpoint(ev, a, relaying, now);
      return;
    }
    if (!acc) {
      this.#putAccount(ev.account, (acc = newAccountBaseline(ev.account, ev.kind, now, FEATURE_DIMS, ev.peerGroup)));
      const earlier = this.#unknownFailures.get(ev.account);
      if (earlier) {
        acc.failures = earlier.failures;
        acc.lastFailure = earlier.lastFailure;
        this.#unknownFailures.delete(ev.account);
      }
    } else this.#accounts.use(ev.account, acc);
    acc.lastSeen = Math.max(acc.lastSeen, now);
    if (ev.kind !== acc.kind) acc.kind = ev.kind; // directory facts may reclassify an account
    if (failed) {
      bump(acc.failures, now, o.failureHalfLifeMs);
      acc.lastFailure = now;
      const sources = (acc.failureSources ??= []);
      sources.push({ device, time: now });
      if (sources.length > MAX_FAILURE_SOURCES) sources.shift();
    } else {
      // Logging on at a machine other people own is a fact about the account, however risky it looked.
      if (onSomeoneElsesMachine) acc.roamingLogons++;
      if (!relaying && !computer) acc.deviceLogons = (acc.deviceLogons ?? 0) + 1;
      // The same for its peer group: a new helpdesk member roams like the others from day one.
      const group = ev.peerGroup ? this.#peers.get(ev.peerGroup) : undefined;
      if (group && !relaying && !computer) {
        group.deviceLogons = (group.deviceLogons ?? 0) + 1;
        if (onSomeoneElsesMachine) group.roamingLogons = (group.roamingLogons ?? 0) + 1;
        this.#dirty.peers.add(group.group);
      }
      if (a.score < FAMILIARITY_MAX_SCORE) {
        // Where a person is: devices only. An app server's or a pool's address is not theirs;
        // but it is the host of the app's own service account.
        if (!relaying || ev.kind === AccountKind.Service) {
          if (!acc.endpoints.has(device) && this.maturity(acc, now) >= NOVELTY_MIN_MATURITY && !computer) noteNovelty((acc.newDevices ??= []), now);
          if (!acc.subnets.has(ev.subnet)) {
            if (this.maturity(acc, now) >= NOVELTY_MIN_MATURITY && !this.#subnets.has(ev.subnet)) noteNovelty((acc.newNetworks ??= []), now);
          } else if (!computer) this.#noteReturn(ev.subnet, newToAddress);
          touch(acc.endpoints, device, now, o.familiarityHalfLifeMs, trust);
          touch(acc.subnets, ev.subnet, now, o.familiarityHalfLifeMs, trust);
        }
        touch(acc.apps, ev.app, now, o.familiarityHalfLifeMs, trust);
      }
      if (a.score < FAMILIARITY_MAX_SCORE) this.#subnets.set(ev.subnet, now);
      // A risky logon teaches no hours, as it makes no endpoint familiar: an intruder's nights
      // must not become the account's usual (a passed step-up teaches them, in confirm).
      if (a.score < FAMILIARITY_MAX_SCORE) {
        addHour(acc.hours, a.hourOfWeek, now, o.hoursHalfLifeMs, trust);
        addHour(appHours(acc, ev.app, now), a.hourOfWeek, now, o.hoursHalfLifeMs, trust);
      }
      const shared = role === EndpointRole.Shared;
      const logon: RecentLogon = { time: now, endpoint: device, app: ev.app };
      if (relaying) logon.device = false;
      else if (shared) logon.shared = true;
      else {
        logon.zone = zoneOf(ev.endpoint);
        if (onSomeoneElsesMachine) logon.visit = true;
      }
      // A risky logon's place is no reference for travel: after an intruder's sign-in from
      // abroad, the owner's next logon at the office is not the impossible one.
      if (ev.place && !relaying && a.score < FAMILIARITY_MAX_SCORE) logon.place = ev.place;
      acc.recent.push(logon);
      rememberName(acc, ev.bindName);
      if (!relaying && trust > 0.5) {
        // A slowly moving maximum: what its busiest half-hours look like (rounds, helpdesk visits).
        const n = devicesInWindow(acc, now, device, shared, o.lateralWindowMs);
        const u = acc.usualSpread ?? 1;
        acc.usualSpread = u + (n - u) * (n > u ? 0.2 : 0.01);
        const v = visitsToday(acc, now);
        const uv = acc.usualVisits ?? 0;
        acc.usualVisits = uv + (v - uv) * (v > uv ? 0.2 : 0.01);
      }
      if (acc.recent.length > o.recentLogons) acc.recent.shift();
      if (a.features) learnFeatures(acc.features, a.features, Math.max(trust, 0.05));
      acc.logons += trust;
      if (ev.peerGroup && trust > 0.5) this.#learnPeer(ev, a, now);
    }
    this.#dirty.accounts.add(ev.account);

    // Entity risk rises with evidence from this logon alone (never from the risk signals
    // themselves, which would feed back on itself), and decays.
    const evidence = combine(a.signals.filter((s) => !RISK_SIGNALS.has(s.code)));
    if (evidence >= 40) this.#raise(this.#accountRisk, ev.account, evidence, now);
    this.#raiseEndpoint(ev, a, relaying, now);
  }

  /**
   * Evidence about the endpoint itself raises its risk — except for an app server or an
   * address pool: an attack through it belongs to the attempts and the accounts targeted,
   * or everyone behind it (its service account too) would pay for it.
   */
  #raiseEndpoint(ev: LogonEvent, a: Assessment, relaying: boolean, now: number): void {
    if (relaying) return;
    let endpointEvidence = 0;
    for (const s of a.signals) if (s.points > endpointEvidence && ENDPOINT_SIGNALS.has(s.code)) endpointEvidence = s.points;
    if (endpointEvidence >= 40) this.#raise(this.#endpointRisk, ev.endpoint, endpointEvidence, now);
  }

  /** People move between this subnet's addresses: 1 in 20 returns or more come back on another address. */
  #isDynamic(subnet: string): boolean {
    const m = this.#subnetMix.get(subnet);
    return m !== undefined && m.returns >= 30 && m.moved >= 0.05 * m.returns;
  }

  #noteReturn(subnet: string, moved: boolean): void {
    let m = this.#subnetMix.get(subnet);
    if (!m) this.#subnetMix.set(subnet, (m = { returns: 0, moved: 0 }));
    // A slowly forgetting count, so a floor that became a DHCP range (or stopped being one) shows it.
    if (m.returns >= 10_000) {
      m.returns /= 2;
      m.moved /= 2;
    }
    m.returns++;
    if (moved) m.moved++;
  }

  /** A peer group is mature once it has seen a learning period's worth of logons per member (and the time). */
  #peerMaturity(peer: PeerBaseline, now: number): number {
    const o = this.opts;
    const byCount = peer.hours.total / (Math.max(1, peer.members.size) * o.learningMinEvents);
    const byTime = (now - (peer.since ?? now)) / o.learningPeriodMs;
    return Math.max(0, Math.min(1, byCount, peer.since === undefined ? 1 : byTime));
  }

  #recentFailures(account: AccountBaseline | undefined, name: string, now: number): number {
    const failures = account?.failures ?? this.#unknownFailures.get(name)?.failures;
    return failures ? valueAt(failures, now, this.opts.failureHalfLifeMs) : 0;
  }

  #unknownFailure(account: string, now: number): void {
    let u = this.#unknownFailures.get(account);
    if (!u) this.#unknownFailures.set(account, (u = { failures: { value: 0, asOf: now }, lastFailure: now }));
    bump(u.failures, now, this.opts.failureHalfLifeMs);
    u.lastFailure = now;
  }

  #learnPeer(ev: LogonEvent, a: Assessment, now: number): void {
    let peer = this.#peers.get(ev.peerGroup!);
    if (!peer) this.#peers.set(ev.peerGroup!, (peer = newPeerBaseline(ev.peerGroup!, now)));
    peer.members.add(ev.account);
    addHour(peer.hours, a.hourOfWeek, now, this.opts.hoursHalfLifeMs);
    touch(peer.subnets, ev.subnet, now, this.opts.familiarityHalfLifeMs);
    touch(peer.apps, ev.app, now, this.opts.familiarityHalfLifeMs);
    this.#dirty.peers.add(ev.peerGroup!);
  }

  /** risk' = 100 − (100 − risk)(1 − 0.7·evidence/100): repeated evidence accumulates, capped at 100. */
  #raise(map: Map<string, Decayed>, key: string, evidence: number, now: number): void {
    let d = map.get(key);
    if (!d) map.set(key, (d = { value: 0, asOf: now }));
    const current = valueAt(d, now, this.opts.entityRiskHalfLifeMs);
    d.value = 100 - (100 - current) * (1 - (0.7 * Math.min(100, evidence)) / 100);
    d.asOf = now;
  }

  /** Current entity risk (0–100) of an account or endpoint. */
  risk(kind: 'account' | 'endpoint', key: string, now: number): number {
    const d = (kind === 'account' ? this.#accountRisk : this.#endpointRisk).get(key);
    return d ? valueAt(d, now, this.opts.entityRiskHalfLifeMs) : 0;
  }

  /**
   * A person proved it was them (a passed step-up): lower the account's risk and learn the
   * logon as fully trusted, so the same endpoint is familiar next time.
   */
  confirm(ev: LogonEvent, riskFactor = 0.25): void {
    const d = this.#accountRisk.get(ev.account);
    if (d) {
      d.value = valueAt(d, ev.time, this.opts.entityRiskHalfLifeMs) * riskFactor;
      d.asOf = ev.time;
    }
    const acc = this.#account(ev.account);
    const ep = this.#endpoint(ev.endpoint);
    if (acc) {
      if (!isRelayingRole(roleOf(ep, ev.declaredRole)) || ev.kind === AccountKind.Service) {
        // A step-up passed from a new device or a network new to everyone is the account's own habit (a traveller's hotels).
        const device = deviceOf(ev, ep);
        if (this.maturity(acc, ev.time) >= NOVELTY_MIN_MATURITY) {
          if (!acc.endpoints.has(device)) noteNovelty((acc.newDevices ??= []), ev.time);
          if (!acc.subnets.has(ev.subnet) && !this.#subnets.has(ev.subnet)) noteNovelty((acc.newNetworks ??= []), ev.time);
        }
        touch(acc.endpoints, device, ev.time, this.opts.familiarityHalfLifeMs);
        touch(acc.subnets, ev.subnet, ev.time, this.opts.familiarityHalfLifeMs);
      }
      touch(acc.apps, ev.app, ev.time, this.opts.familiarityHalfLifeMs);
      const hour = this.#hours.at(ev.time);
      addHour(acc.hours, hour, ev.time, this.opts.hoursHalfLifeMs);
      addHour(appHours(acc, ev.app, ev.time), hour, ev.time, this.opts.hoursHalfLifeMs);
      this.#dirty.accounts.add(ev.account);
    }
    if (ep) {
      touch(ep.accounts, ev.account, ev.time, this.opts.familiarityHalfLifeMs);
      this.#dirty.endpoints.add(ev.endpoint);
    }
    this.#subnets.set(ev.subnet, ev.time);
  }

  /**
   * What in a successful logon is new to a person past the learning period — to tell them
   * (UserInsight), not to score it. A device is new only when it can be told apart: not through
   * an app server or pool, not an address that is only a lease (a DHCP range, a shared host,
   * someone whose addresses change often) unless a name the organisation gave says which
   * machine it is (a computer account seen on a lease may be last week's); not a colleague's
   * machine for someone whose work is visiting those (a helpdesk); a cloud sign-in also needs a
   * network new to the person (home addresses rotate within one). Ask it before learning.
   */
  novelty(ev: LogonEvent): { device?: string; app?: string } | undefined {
    if (isFailure(ev.result) || ev.kind === AccountKind.Service || ev.kind === AccountKind.Computer) return undefined;
    const acc = this.#account(ev.account);
    if (!acc || !learningState(acc, ev.time, this.opts).done) return undefined;
    const ep = this.#endpoint(ev.endpoint);
    const role = roleOf(ep, ev.declaredRole);
    const device = deviceOf(ev, ep);
    const named = ev.endpointName !== undefined;
    const lease = !named && (this.#isDynamic(ev.subnet) || role === EndpointRole.Shared || changesAddresses(acc, ev.time));
    const routineVisit = role === EndpointRole.Device && ep !== undefined && isRoaming(acc) && owners(ep, ev.account, ev.time).length > 0;
    const cloudKnownNetwork = ev.source !== undefined && acc.subnets.has(ev.subnet);
    const out: { device?: string; app?: string } = {};
    if (!isRelayingRole(role) && !lease && !routineVisit && !cloudKnownNetwork && ev.endpoint !== 'unknown' && !acc.endpoints.has(device)) out.device = device;
    if (!acc.apps.has(ev.app)) out.app = ev.app;
    return out.device !== undefined || out.app !== undefined ? out : undefined;
  }

  /**
   * Has this account logged on from the device at this address before (what the MFA fail mode
   * `known-endpoint` asks)? Through an app server or a pool nothing says where the person is: no.
   */
  knowsDevice(account: string, address: string, now: number, endpointName?: string): boolean {
    const acc = this.#account(account);
    if (!acc) return false;
    const ep = this.#endpoint(address);
    if (isRelayingRole(roleOf(ep, undefined))) return false;
    return acc.endpoints.has(deviceOf({ kind: acc.kind as AccountKind, account, endpoint: address, time: now, ...(endpointName ? { endpointName } : {}) }, ep));
  }

  /** Does this address bind for many people (a declared or learned app server, a pool)? */
  relays(address: string, declaredRole?: EndpointRole): boolean {
    return isRelayingRole(roleOf(this.#endpoint(address), declaredRole));
  }

  /** Of the people and privileged accounts in memory, how many are past their learning period (status). */
  learningProgress(now: number): { accounts: number; learned: number } {
    let accounts = 0;
    let learned = 0;
    for (const a of this.#accounts.values()) {
      if (a.kind !== AccountKind.Human && a.kind !== AccountKind.Privileged) continue;
      accounts++;
      if (learningState(a, now, this.opts).done) learned++;
    }
    return { accounts, learned };
  }

  /** An account's baseline (loaded from storage when it is not in memory). */
  account(key: string): AccountBaseline | undefined {
    return this.#account(key);
  }

  endpoint(key: string): EndpointBaseline | undefined {
    return this.#endpoint(key);
  }

  peer(key: string): PeerBaseline | undefined {
    return this.#peers.get(key);
  }

  /** What is in memory now (storage may hold more). */
  get size(): { accounts: number; endpoints: number; peers: number; unknownNames: number } {
    return { accounts: this.#accounts.size, endpoints: this.#endpoints.size, peers: this.#peers.size, unknownNames: this.#unknownFailures.size };
  }

  /**
   * What changed since it was last taken: every changed baseline already pushed out of
   * memory, and up to `limit` of each kind still in memory (write-behind persistence takes
   * a bounded slice per tick, so a big flush never stalls the event loop), with their risk.
   */
  takeDirty(limit = Infinity): DirtyState {
    const take = (set: Set<string>): string[] => {
      const out: string[] = [];
      for (const k of set) {
        if (out.length >= limit) break;
        out.push(k);
      }
      for (const k of out) set.delete(k);
      return out;
    };
    const ev = this.#evicted;
    const risks = [...ev.risks.values()];
    const accounts = [...ev.accounts.values()];
    const endpoints = [...ev.endpoints.values()];
    this.#evicted = { accounts: new Map(), endpoints: new Map(), risks: new Map() };
    const riskOf = (kind: 'account' | 'endpoint', key: string): void => {
      const d = (kind === 'account' ? this.#accountRisk : this.#endpointRisk).get(key);
      if (d) risks.push({ kind, key, value: d.value, asOf: d.asOf });
    };
    for (const k of take(this.#dirty.accounts)) {
      const a = this.#accounts.get(k);
      if (a) accounts.push(a);
      riskOf('account', k);
    }
    for (const k of take(this.#dirty.endpoints)) {
      const e = this.#endpoints.get(k);
      if (e) endpoints.push(e);
      riskOf('endpoint', k);
    }
    const peers = take(this.#dirty.peers).map((k) => this.#peers.get(k)!).filter(Boolean);
    return { accounts, endpoints, peers, risks };
  }

  /** Entity risks, for persistence. */
  risks(): RiskRow[] {
    return [
      ...[...this.#accountRisk].map(([key, d]) => ({ kind: 'account' as const, key, ...d })),
      ...[...this.#endpointRisk].map(([key, d]) => ({ kind: 'endpoint' as const, key, ...d })),
    ];
  }

  /** Restores state loaded from storage. */
  restore(state: { accounts?: AccountBaseline[]; endpoints?: EndpointBaseline[]; peers?: PeerBaseline[]; risks?: ReturnType<BehaviorEngine['risks']> }): void {
    // Oldest first, so that past the caps the most recent stay.
    for (const a of state.accounts ?? []) this.#putAccount(a.account, a);
    for (const e of state.endpoints ?? []) this.#putEndpoint(e.endpoint, e);
    for (const p of state.peers ?? []) this.#peers.set(p.group, p);
    for (const r of state.risks ?? []) {
      const inMemory = r.kind === 'account' ? this.#accounts.has(r.key) : this.#endpoints.has(r.key);
      if (inMemory) (r.kind === 'account' ? this.#accountRisk : this.#endpointRisk).set(r.key, { value: r.value, asOf: r.asOf });
    }
    for (const a of state.accounts ?? []) for (const [subnet, f] of a.subnets) this.#subnets.set(subnet, Math.max(this.#subnets.get(subnet) ?? 0, f.last));
  }
}
