/**
 * What normal looks like, per account, per endpoint and per peer group (department/OU).
 * Every structure is updated incrementally from one event; decay is applied lazily.
 * Plain data (maps, arrays, numbers) so baselines serialise to storage as they are.
 */
import { bump, decayFactor, valueAt, type Decayed } from './decay.js';

/** How familiar one thing (an endpoint, subnet, app, account) is. */
export interface Familiarity {
  first: number;
  last: number;
  count: number;
  weight: Decayed;
}

export function touch(map: Map<string, Familiarity>, key: string, now: number, halfLifeMs: number, amount = 1): Familiarity {
  let f = map.get(key);
  if (!f) {
    f = { first: now, last: now, count: 0, weight: { value: 0, asOf: now } };
    map.set(key, f);
  }
  f.last = Math.max(f.last, now);
  f.count++;
  bump(f.weight, now, halfLifeMs, amount);
  return f;
}

/** Share of the decayed weight that `key` holds (0 when unknown). */
export function share(map: Map<string, Familiarity>, key: string, now: number, halfLifeMs: number): number {
  const f = map.get(key);
  if (!f) return 0;
  let total = 0;
  for (const v of map.values()) total += valueAt(v.weight, now, halfLifeMs);
  return total > 0 ? valueAt(f.weight, now, halfLifeMs) / total : 0;
}

/** A decayed 168-bin hour-of-week histogram. */
export interface HourProfile {
  bins: number[];
  total: number;
  asOf: number;
}

export const newHourProfile = (now: number): HourProfile => ({ bins: new Array<number>(168).fill(0), total: 0, asOf: now });

export function addHour(p: HourProfile, hour: number, now: number, halfLifeMs: number, amount = 1): void {
  if (now > p.asOf) {
    const f = decayFactor(now - p.asOf, halfLifeMs);
    for (let i = 0; i < 168; i++) p.bins[i]! *= f;
    p.total *= f;
    p.asOf = now;
  }
  p.bins[hour]! += amount;
  p.total += amount;
}

/**
 * Share of logons at this hour of the day (any day of the same kind: weekday or weekend),
 * smoothed over the neighbouring hours: people are not punctual, and a Tuesday evening is
 * as usual as the other weekday evenings.
 */
export function hourOfDayShare(p: HourProfile, hourOfWeek: number): number {
  if (p.total <= 0) return 0;
  const hod = hourOfWeek % 24;
  const weekend = hourOfWeek >= 120;
  let at = 0;
  let days = 0;
  for (let d = weekend ? 5 : 0; d < (weekend ? 7 : 5); d++) {
    const base = d * 24;
    at += 0.5 * p.bins[base + hod]! + 0.25 * p.bins[base + ((hod + 23) % 24)]! + 0.25 * p.bins[base + ((hod + 1) % 24)]!;
    days++;
  }
  let sameKind = 0;
  for (let h = weekend ? 120 : 0; h < (weekend ? 168 : 120); h++) sameKind += p.bins[h]!;
  return sameKind > 0 ? at / sameKind : 0;
}

/** Share of logons that happen on weekends. */
export function weekendShare(p: HourProfile): number {
  if (p.total <= 0) return 0;
  let w = 0;
  for (let h = 120; h < 168; h++) w += p.bins[h]!;
  return w / p.total;
}

export interface RecentLogon {
  time: number;
  endpoint: string;
  app: string;
  /** From a device (not through an app server or an address pool): what lateral movement counts. */
  device?: boolean;
  /** From a terminal many people share (ward terminals on rounds count half toward lateral movement). */
  shared?: boolean;
  /** The address's network zone (cidr.ts zoneOf), for sessions in two places at once. */
  zone?: string;
  /** At a machine someone else owns (helpdesk visits, or an intruder moving). */
  visit?: boolean;
  /** Where it was (a site, a cloud sign-in's geolocation), for impossible travel. */
  place?: { lat: number; lon: number; name?: string };
}

/** Exponentially weighted mean and covariance of an account's feature vectors. */
export interface FeatureStats {
  n: number;
  mean: number[];
  cov: number[];
}

export interface AccountBaseline {
  account: string;
  kind: string;
  peerGroup?: string;
  firstSeen: number;
  lastSeen: number;
  /** Successful logons learned (risky ones count less). */
  logons: number;
  endpoints: Map<string, Familiarity>;
  subnets: Map<string, Familiarity>;
  apps: Map<string, Familiarity>;
  hours: HourProfile;
  recent: RecentLogon[];
  failures: Decayed;
  lastFailure: number;
  /** Where its most recent failed binds came from (device keys, the newest few). */
  failureSources?: { device: string; time: number }[];
  /** Successful logons on endpoints other people own (helpdesk work): roaming is their normal. */
  roamingLogons: number;
  /** Successful logons from devices (not through app servers or pools): what roaming is a share of. */
  deviceLogons?: number;
  /** Bind names this identity logged on with (most recent last, a few at most). */
  names?: string[];
  /** Distinct devices it usually logs on from within the lateral window (a slowly moving maximum). */
  usualSpread?: number;
  /** Machines other people own it usually logs on at within a working day (a slowly moving maximum). */
  usualVisits?: number;
  /**
   * When it first logged on from a device new to it, and from a network new to the whole
   * organisation, once past half its learning period (the most recent few): how often it
   * meets new ones is its own habit (DHCP laptops, travellers).
   */
  newDevices?: number[];
  newNetworks?: number[];
  /** Per app: the hour-of-week profile of its logons through that app (phones sync mail at night; the portal is for office hours). */
  appHours?: Map<string, HourProfile>;
  features: FeatureStats;
}

export function newAccountBaseline(account: string, kind: string, now: number, dims: number, peerGroup?: string): AccountBaseline {
  return {
    account, kind, ...(peerGroup ? { peerGroup } : {}), firstSeen: now, lastSeen: now, logons: 0,
    endpoints: new Map(), subnets: new Map(), apps: new Map(), hours: newHourProfile(now),
    recent: [], failures: { value: 0, asOf: now }, lastFailure: 0, roamingLogons: 0,
    features: { n: 0, mean: new Array<number>(dims).fill(0), cov: new Array<number>(dims * dims).fill(0) },
  };
}

export interface EndpointAttempt {
  time: number;
  account: string;
  failed: boolean;
}

export interface EndpointBaseline {
  endpoint: string;
  firstSeen: number;
  lastSeen: number;
  /** Accounts that logged on successfully from here. */
  accounts: Map<string, Familiarity>;
  /** Attempts inside the spraying window, oldest first, from windowHead on (see endpoint-window.ts). */
  window: EndpointAttempt[];
  /** Entries of `window` before this index have expired (absent in baselines stored before it existed). */
  windowHead?: number;
  /** Per account in the window: failed and successful attempts. */
  windowCounts: Map<string, { failed: number; ok: number }>;
  /** Accounts in the window that only failed / that succeeded at least once. */
  windowFailedOnly: number;
  windowSucceeded: number;
  failures: Decayed;
  /** Typical number of distinct accounts inside one window (a slowly moving maximum). */
  usualDistinctAccounts: number;
  /** Accounts that failed from here in the last 24 hours and have not succeeded since → time (time order). */
  failedAccounts: Map<string, number>;
  /** Accounts that succeeded from here in the last 24 hours → time (time order). */
  succeededAccounts: Map<string, number>;
  dayTrimmedAt: number;
  // How it binds (endpoint-role.ts); absent in baselines stored before roles were learned.
  /** Accounts that logged on here through relayed binds → last time (time order). */
  relayedAccounts?: Map<string, number>;
  /** Accounts that logged on here directly (their own client) → last time (time order, capped). */
  directAccounts?: Map<string, number>;
  /** Accounts that bound just before another account's relayed bind: the app's service accounts. */
  agents?: Map<string, number>;
  /**
   * The device at this address now: the computer account that last bound from it (a DHCP
   * lease moves a laptop to another address, and gives this one to another machine).
   */
  device?: string;
  /** When that machine last bound from here. */
  deviceSeen?: number;
  /** Failed-only accounts in one spraying window, usually (a slowly moving mean): an app server's typo rate. */
  usualFailedOnly?: number;
}

export const newEndpointBaseline = (endpoint: string, now: number): EndpointBaseline => ({
  endpoint, firstSeen: now, lastSeen: now, accounts: new Map(), window: [], windowCounts: new Map(), windowFailedOnly: 0, windowSucceeded: 0,
  failures: { value: 0, asOf: now }, usualDistinctAccounts: 0,
  failedAccounts: new Map(), succeededAccounts: new Map(), dayTrimmedAt: now,
});

export interface PeerBaseline {
  group: string;
  /** When the group was first seen (absent in baselines stored before it was kept). */
  since?: number;
  members: Set<string>;
  hours: HourProfile;
  subnets: Map<string, Familiarity>;
  apps: Map<string, Familiarity>;
  /** Its members' logons at machines other people own, and from devices: does this group roam (helpdesk)? */
  roamingLogons?: number;
  deviceLogons?: number;
}

export const newPeerBaseline = (group: string, now: number): PeerBaseline => ({
  group, since: now, members: new Set(), hours: newHourProfile(now), subnets: new Map(), apps: new Map(),
});
