/**
 * The named checks a logon is scored with. Each has a stable code (policy conditions use
 * it), gives points 0–100 and a reason a person can read. Novelty counts in proportion to
 * how much history the account has (`maturity`); for new accounts the peer group speaks.
 */
import type { AccountBaseline, EndpointBaseline, PeerBaseline } from './baseline.js';
import { hourOfDayShare, weekendShare } from './baseline.js';
import { AccountKind, type LogonEvent } from './logon-event.js';
import type { BehaviorOptions } from './options.js';
import { isFailure } from './bind-result.js';
import { dominantAccount, EndpointRole, isRelayingRole } from './endpoint-role.js';
import { zoneOf } from '../util/cidr.js';

export const SignalCode = {
  NewEndpoint: 'new_endpoint',
  EndpointNotAssociated: 'endpoint_not_associated',
  NewSubnet: 'new_subnet',
  RareApp: 'rare_app',
  UnusualHour: 'unusual_hour',
  LateralMovement: 'lateral_movement',
  SprayingSource: 'spraying_source',
  EndpointManyAccounts: 'endpoint_many_accounts',
  ServiceNewHost: 'service_new_host',
  MachineTiming: 'machine_timing',
  RecentFailures: 'recent_failures',
  EndpointRisk: 'endpoint_risk',
  AccountRisk: 'account_risk',
  OffBaseline: 'off_baseline',
  DormantAccount: 'dormant_account',
  ConcurrentSessions: 'concurrent_sessions',
  ImpossibleTravel: 'impossible_travel',
} as const;
export type SignalCode = (typeof SignalCode)[keyof typeof SignalCode];

export interface Signal {
  code: SignalCode;
  points: number;
  reason: string;
}

export interface CheckContext {
  ev: LogonEvent;
  /**
   * The device the logon came from: a declared endpoint name, else the computer account that
   * last bound from the address (its DHCP lease), else the address itself.
   */
  device: string;
  hour: number;
  account: AccountBaseline | undefined;
  endpoint: EndpointBaseline | undefined;
  peer: PeerBaseline | undefined;
  /** 0 for a brand-new account, 1 once its learning period is over. */
  maturity: number;
  accountRisk: number;
  endpointRisk: number;
  /** Squared Mahalanobis distance of this logon from the account's usual, when known. */
  distance2: number | undefined;
  /** Someone in the organisation has logged on from this subnet before. */
  orgKnowsSubnet: boolean;
  /** No device is known at the address, and people move between its subnet's addresses (DHCP, a VPN pool). */
  dynamicAddress: boolean;
  /** The device is someone else's (it has owners, and this account has never used it). */
  visit: boolean;
  /** Recent failed binds of this name (decayed), whether or not it has a baseline. */
  recentFailures: number;
  /** Those failures came from other devices, and this logon is from one of its own. */
  failuresElsewhere: boolean;
  /** What the source address is (endpoint-role.ts): location signals are for devices only. */
  role: EndpointRole;
  /** 0 … 1: how much the peer group has seen (its novelty counts in proportion, like an account's). */
  peerMaturity: number;
  opts: BehaviorOptions;
}

type Check = (c: CheckContext) => Signal | null;

const isPerson = (kind: string): boolean => kind === AccountKind.Human || kind === AccountKind.Privileged;
const where = (ev: LogonEvent, device?: string): string => {
  const name = ev.endpointName ?? (device !== undefined && device !== ev.endpoint ? device : undefined);
  return name ? `${ev.endpoint} (${name})` : ev.endpoint;
};
const minutes = (ms: number): number => Math.round(ms / 60_000);
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const pct = (p: number): string => (p < 0.001 ? '0%' : `${(p * 100).toFixed(p < 0.1 ? 1 : 0)}%`);

/** An owner not seen at the address for this long has most likely moved on (a lease, a new desk). */
const OWNER_STALE_MS = 14 * 86_400_000;
const OWNER_MIN_SPAN_MS = 12 * 3_600_000;

/**
 * Accounts that have made an endpoint "theirs": a personal device, not a shared server. An
 * account that binds there for others (an app's service account) owns nothing.
 */
export function owners(endpoint: EndpointBaseline, except: string, now: number): string[] {
  if (endpoint.accounts.size > 3) {
    // Used by many, but still one person's machine if they hold half its logons.
    const top = dominantAccount(endpoint);
    const f = top !== undefined && top !== except ? endpoint.accounts.get(top)! : undefined;
    return f && f.last - f.first >= OWNER_MIN_SPAN_MS && now - f.last < OWNER_STALE_MS && !endpoint.agents?.has(top!) ? [top!] : [];
  }
  // Owning takes more than a day there: a pool address or a one-day lease is nobody's machine.
  return [...endpoint.accounts.entries()]
    .filter(([a, f]) => a !== except && f.count >= 3 && f.last - f.first >= OWNER_MIN_SPAN_MS && now - f.last < OWNER_STALE_MS && !endpoint.agents?.has(a))
    .map(([a]) => a);
}

/** Logs on at machines other people own as part of its normal (3% of its logons or more). */
export const isRoaming = (account: AccountBaseline): boolean => {
  const of = account.deviceLogons ?? account.logons;
  return of > 0 && account.roamingLogons / of >= 0.03;
};

/** Its peer group logs on at colleagues' machines as a matter of course (a helpdesk team). */
const peersRoam = (peer: PeerBaseline | undefined): boolean =>
  peer !== undefined && (peer.deviceLogons ?? 0) >= 200 && (peer.roamingLogons ?? 0) / peer.deviceLogons! >= 0.03;

/** How far back an account's habit of meeting new devices and networks is judged. */
const NOVELTY_WINDOW_MS = 30 * 86_400_000;

const within = (times: readonly number[] | undefined, now: number, windowMs = NOVELTY_WINDOW_MS): number => {
  let n = 0;
  for (const t of times ?? []) if (now - t < windowMs) n++;
  return n;
};

/** Trips come every few weeks: a traveller's habit is judged over two months. */
const TRAVEL_WINDOW_MS = 60 * 86_400_000;

/**
 * Its devices change all the time (a laptop on DHCP that is not domain-joined gets a new
 * address every lease): a new address, or one that someone else had before, says little
 * about it. Against its own habit, so an account with one workstation keeps the full signal.
 */
export const changesAddresses = (account: AccountBaseline, now: number): boolean => within(account.newDevices, now) >= 4;

/** It logs on from networks nobody in the organisation uses, as a matter of course (a traveller's hotels). */
const changesNetworks = (account: AccountBaseline, now: number): boolean => within(account.newNetworks, now, TRAVEL_WINDOW_MS) >= 2;

const newEndpoint: Check = ({ ev, device, account, endpoint, peer, maturity, role, dynamicAddress, orgKnowsSubnet }) => {
  // A computer account is the device: its new address is a new lease, nothing more.
  if (isRelayingRole(role) || !account || account.kind === AccountKind.Service || account.kind === AccountKind.Computer || account.endpoints.has(device)) return null;
  // Someone who always uses one or two machines is more telling than someone who roams. The
  // machines it uses regularly count (pool addresses and colleagues' desks seen once do not).
  let n = 0;
  for (const f of account.endpoints.values()) if (f.count >= 3) n++;
  const base = account.kind === AccountKind.Privileged ? 35 : n <= 2 ? 28 : n >= 6 ? 12 : 22;
  // An address many people use (a VPN pool, a shared host) says less; one nobody in the
  // organisation has ever logged on from says more.
  // In a DHCP range or a pool, an address is a lease: a new one is a new lease.
  const shared = dynamicAddress || role === EndpointRole.Shared;
  const unknown = !orgKnowsSubnet && (endpoint === undefined || endpoint.accounts.size === 0);
  // Someone whose work is logging on at colleagues' machines (helpdesk) meets a new one of
  // those every week: a colleague's known workstation is their normal, an unknown address is not.
  const roams = !unknown && (isRoaming(account) || peersRoam(peer));
  const moves = changesAddresses(account, ev.time);
  const travels = unknown && changesNetworks(account, ev.time);
  // A network nobody in the organisation has used is as telling for someone with many devices
  // in the office as for someone with one.
  const points = unknown ? maturity * Math.max(base, 28) * (travels ? 0.8 : 1.3) : maturity * base * (shared ? 0.4 : roams ? 0.5 : moves ? 0.4 : 1);
  const note = shared ? (dynamicAddress ? ' (an address in a range people move around in)' : ' (a shared address)') : unknown ? `, an address never seen in the organisation${travels ? ' (it often logs on from new networks)' : ''}`
    : roams ? ' (a colleague\'s machine; it often logs on at those)' : moves ? ' (its addresses change often)' : '';
  return points < 1 ? null : { code: SignalCode.NewEndpoint, points, reason: `first logon by ${ev.account} from ${where(ev, device)}${note}` };
};

const endpointNotAssociated: Check = ({ ev, device, account, endpoint, peer, maturity, role, dynamicAddress }) => {
  if (role !== EndpointRole.Device || !endpoint || ev.kind === AccountKind.Computer || account?.endpoints.has(device)) return null;
  const others = owners(endpoint, ev.account, ev.time);
  if (others.length === 0) return null;
  // Helpdesk staff log on at colleagues' machines as a matter of course; a laptop whose
  // address changes every lease gets addresses other laptops had.
  const roams = account !== undefined && isRoaming(account);
  const moves = account !== undefined && changesAddresses(account, ev.time);
  const teamRoams = !roams && peersRoam(peer);
  return {
    code: SignalCode.EndpointNotAssociated,
    points: (30 + 20 * maturity) * (roams || moves || dynamicAddress ? 0.35 : teamRoams ? 0.5 : 1),
    reason: `${where(ev, device)} is used by ${others.slice(0, 2).join(', ')}; ${ev.account} has never logged on from it${dynamicAddress ? ' (addresses in its range change hands)' : moves && !roams ? ' (its own addresses change often)' : teamRoams ? ' (its peers often log on at colleagues\' machines)' : ''}`,
  };
};

const newSubnet: Check = ({ ev, account, peer, maturity, orgKnowsSubnet, role, peerMaturity }) => {
  if (isRelayingRole(role) || account?.subnets.has(ev.subnet)) return null;
  const peerKnows = peer !== undefined && peer.members.size >= 5 && peer.subnets.has(ev.subnet);
  // A peer group that has hardly seen anything yet (a fresh install) cannot say what is new.
  const peerWeight = peer !== undefined && peer.members.size >= 5 ? (1 - maturity) * peerMaturity : 0;
  // A network nobody in the organisation has logged on from is stronger evidence; one the
  // account's peers use every day (a VPN pool) is weaker.
  const peerUsesOften = peer !== undefined && (peer.subnets.get(ev.subnet)?.count ?? 0) >= 10;
  const travels = account !== undefined && changesNetworks(account, ev.time);
  const points = (orgKnowsSubnet ? (peerUsesOften ? 10 : 24) : 34) * maturity * (travels ? 0.6 : 1) + (peerKnows ? 0 : 28 * peerWeight);
  if (points < 1) return null;
  const who = orgKnowsSubnet ? `${ev.account}${peerKnows ? '' : peerWeight > 0 ? ' and for its peers' : ''}` : 'anyone in the organisation';
  return { code: SignalCode.NewSubnet, points, reason: `${ev.subnet} is a new network for ${who}` };
};

const rareApp: Check = ({ ev, account, peer, maturity }) => {
  if (!account) return null;
  const f = account.apps.get(ev.app);
  if (f && f.count >= 3) return null;
  const peerUses = peer?.apps.has(ev.app) ?? false;
  const points = maturity * (f ? 5 : peerUses ? 10 : 16);
  return points < 1 ? null : { code: SignalCode.RareApp, points, reason: `${ev.account} ${f ? 'rarely uses' : 'has not used'} ${ev.app} before` };
};

const unusualHour: Check = ({ ev, hour, account, peer, maturity, opts, peerMaturity }) => {
  if (!account || !isPerson(account.kind)) return null;
  const weekend = hour >= 120;
  // Against its own hours through this app once it has enough of them: a phone syncs mail at
  // night, but the portal, the VPN or a server's sshd at night is another matter.
  const app = account.appHours?.get(ev.app);
  const profile = app && app.total >= 10 ? app : account.hours;
  const viaApp = profile === app;
  const own = profile.total >= 10 ? hourOfDayShare(profile, hour) : undefined;
  const peers = peer && peer.hours.total >= 50 ? hourOfDayShare(peer.hours, hour) : undefined;
  const ownUnusual = own !== undefined && own < 0.004;
  const peerUnusual = peers !== undefined && peers < 0.002;
  // Rare for the person but ordinary in their department (evenings, say) counts for less.
  const peerOrdinary = peers !== undefined && peers >= 0.005;
  const rareWeekend = weekend && profile.total >= 10 && weekendShare(profile) < 0.01;
  // Never at this hour, and neither are its peers: the strongest form.
  const base = (ownUnusual ? (peerOrdinary ? 12 : peerUnusual ? 30 : 24) * maturity : 0) + (peerUnusual ? (ownUnusual ? 16 : 22 * (1 - maturity)) * peerMaturity : 0) + (rareWeekend ? 8 * maturity : 0);
  // A privileged account at an hour it never works is the intrusion everyone fears most.
  const points = account.kind === AccountKind.Privileged ? base * 1.5 : base;
  if (points < 1) return null;
  const when = `${DAYS[Math.floor(hour / 24)]} ${String(hour % 24).padStart(2, '0')}:00 ${opts.timeZone}`;
  return {
    code: SignalCode.UnusualHour,
    points,
    reason: `${when} is unusual for ${ev.account}${own !== undefined ? ` (${pct(own)} of its ${weekend ? 'weekend' : 'weekday'} logons${viaApp ? ` through ${ev.app}` : ''} at that hour)` : ''}${peerUnusual ? ' and for its peers' : ''}`,
  };
};

/**
 * Distinct devices an account logged on from within the lateral window, this logon's
 * included; terminals many people share count half (rounds go from ward terminal to ward
 * terminal; an intruder goes from one person's machine to another's).
 */
export function devicesInWindow(account: AccountBaseline, time: number, device: string, shared: boolean, windowMs: number): number {
  const since = time - windowMs;
  // At most recentLogons entries: a small array beats a Set on the bind path.
  const endpoints = [device];
  let n = shared ? 0.5 : 1;
  for (const r of account.recent) {
    if (r.time < since || r.device === false || endpoints.includes(r.endpoint)) continue;
    endpoints.push(r.endpoint);
    n += r.shared ? 0.5 : 1;
  }
  return n;
}

/** Slow lateral movement is counted over a working day. */
const LATERAL_DAY_MS = 8 * 3_600_000;

/** Distinct machines other people own that the account logged on at within a working day, this one included. */
export function visitsToday(account: AccountBaseline, time: number, visitNow?: string): number {
  const seen = visitNow !== undefined ? [visitNow] : [];
  for (const r of account.recent) if (r.visit && r.time >= time - LATERAL_DAY_MS && !seen.includes(r.endpoint)) seen.push(r.endpoint);
  return seen.length;
}

const lateralMovement: Check = ({ ev, device, account, opts, role, visit }) => {
  // Devices only: logons through an app server or from a VPN pool move nobody anywhere.
  if (isRelayingRole(role) || !account || !isPerson(account.kind) || isFailure(ev.result)) return null;
  const n = devicesInWindow(account, ev.time, device, role === EndpointRole.Shared, opts.lateralWindowMs);
  // Against the account's own habit: helpdesk staff and physicians on rounds touch several
  // machines in half an hour as a matter of course.
  const usual = account.usualSpread ?? 1;
  if (n < Math.max(3, Math.floor(2 * usual) + 1)) {
    // Slowly: one colleague's machine after another over the day, far beyond its habit
    // (helpdesk staff visit one or two a day).
    if (!visit) return null;
    const v = visitsToday(account, ev.time, device);
    const usualVisits = account.usualVisits ?? 0;
    if (v < Math.max(3, Math.floor(2 * usualVisits) + 2)) return null;
    return {
      code: SignalCode.LateralMovement,
      points: 45,
      reason: `${ev.account} logged on at ${v} machines other people use within ${Math.round(LATERAL_DAY_MS / 3_600_000)} hours${usualVisits >= 0.5 ? ` (usually up to ${usualVisits.toFixed(1)})` : ''}`,
    };
  }
  return {
    code: SignalCode.LateralMovement,
    points: n >= Math.max(5, Math.floor(2 * usual) + 3) ? 55 : 38,
    reason: `${ev.account} logged on from ${Math.ceil(n)} devices within ${minutes(opts.lateralWindowMs)} minutes${usual >= 1.5 ? ` (usually up to ${usual.toFixed(1)})` : ''}`,
  };
};

/**
 * One source failing for many different accounts, while few succeed from it. A typo that
 * the same account corrects from the same source is not counted. Counts are kept
 * incrementally (endpoint-window.ts): nothing here scans the window.
 */
const sprayingSource: Check = ({ ev, endpoint, opts, role }) => {
  if (!endpoint) return null;
  const c = endpoint.windowCounts.get(ev.account);
  const failedNow = isFailure(ev.result);
  // A spray through an app server is about the attempts and the accounts it targeted, not
  // about the app's other users: their successful logons through it carry none of it.
  const relaying = isRelayingRole(role);
  if (relaying && !failedNow && !(c && c.failed > 0)) return null;
  // The current attempt, as it would change the counts.
  const failedOnly = endpoint.windowFailedOnly + (failedNow && !c ? 1 : 0) - (!failedNow && c && c.failed > 0 && c.ok === 0 ? 1 : 0);
  const succeeded = endpoint.windowSucceeded + (!failedNow && !(c && c.ok > 0) ? 1 : 0);
  // An app server's users make typos (a few per cent of its logins): there, a spray is
  // failures for many accounts far above that; elsewhere, failures outnumbering successes.
  if (relaying ? failedOnly >= Math.max(6, 0.3 * succeeded) : failedOnly >= 4 && failedOnly > 2 * succeeded) {
    return { code: SignalCode.SprayingSource, points: failedOnly >= 8 ? 85 : 65, reason: `${where(ev)} failed binds for ${failedOnly} accounts within ${minutes(opts.sprayWindowMs)} minutes (password spraying${relaying ? ' through it' : ''})` };
  }
  const slow = endpoint.failedAccounts.size + (failedNow && !endpoint.failedAccounts.has(ev.account) ? 1 : 0);
  const ok = endpoint.succeededAccounts.size;
  if (relaying ? slow >= Math.max(8, 0.3 * ok) : slow >= 8 && slow > 2 * ok) {
    return { code: SignalCode.SprayingSource, points: 60, reason: `${where(ev)} failed binds for ${slow} accounts in 24 hours, with ${ok} successes (slow password spraying)` };
  }
  return null;
};

const endpointManyAccounts: Check = ({ ev, endpoint, opts, role }) => {
  if (!endpoint || isRelayingRole(role)) return null;
  const accounts = endpoint.windowCounts.size + (endpoint.windowCounts.has(ev.account) ? 0 : 1);
  if (accounts < 4 || accounts <= 2 * endpoint.usualDistinctAccounts) return null;
  return {
    code: SignalCode.EndpointManyAccounts,
    points: accounts >= 8 ? 50 : 35,
    reason: `${where(ev)} bound as ${accounts} accounts within ${minutes(opts.sprayWindowMs)} minutes (usually ${Math.round(endpoint.usualDistinctAccounts) || 1})`,
  };
};

/** A service account seen on this many hosts is embedded in a client on workstations, not fixed to a server. */
const MANY_HOSTS = 5;

const serviceNewHost: Check = ({ ev, device, account, maturity }) => {
  if (!account || account.kind !== AccountKind.Service || account.endpoints.has(device) || account.logons < 3) return null;
  // Only a fixed-host account says something by appearing on a new host; one that lives in a
  // desktop client meets a new workstation (or a new DHCP lease) every week.
  if (account.endpoints.size >= MANY_HOSTS) return null;
  // Like every novelty, it counts fully only once the account's learning period is over.
  const points = 62 * maturity;
  if (points < 1) return null;
  const known = [...account.endpoints.keys()].slice(0, 3).join(', ');
  return { code: SignalCode.ServiceNewHost, points, reason: `service account ${ev.account} bound from a new host ${where(ev)} (known: ${known})` };
};

const machineTiming: Check = ({ ev, account, role }) => {
  // Through an app the timing is the app's (a portal may bind on every request), not the person's.
  if (ev.relayed || isRelayingRole(role)) return null;
  if (!account || !isPerson(account.kind) || isFailure(ev.result) || account.recent.length < 6) return null;
  const times = [...account.recent.map((r) => r.time), ev.time];
  const burst = times.filter((t) => t >= ev.time - 60_000).length;
  if (burst >= 10) return { code: SignalCode.MachineTiming, points: 40, reason: `${ev.account} bound ${burst} times within a minute: too fast for a person` };
  const gaps = times.slice(1).map((t, i) => t - times[i]!).slice(-8);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  if (mean <= 0 || mean > 2 * 3_600_000) return null;
  const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
  const cv = sd / mean;
  if (cv >= 0.08) return null;
  // People cannot keep a rhythm to within 2 %; scripts do nothing else.
  return { code: SignalCode.MachineTiming, points: cv < 0.02 && gaps.length >= 6 ? 55 : 32, reason: `${ev.account} binds every ${Math.round(mean / 1000)} s like clockwork: a script, not a person` };
};

const recentFailures: Check = ({ ev, recentFailures: earlier, failuresElsewhere }) => {
  const n = earlier + (isFailure(ev.result) ? 1 : 0);
  if (n < 3) return null;
  // Guesses from elsewhere say someone is attacking the account, not that this logon, from
  // the person's own machine, is not theirs (the account risk still carries what they did).
  const points = Math.min(60, 10 + 4 * (n - 3)) * (failuresElsewhere && !isFailure(ev.result) ? 0.3 : 1);
  return {
    code: SignalCode.RecentFailures,
    points,
    reason: `${Math.round(n)} failed binds for ${ev.account} in the last hour${n >= 10 ? ' (brute force)' : ''}${failuresElsewhere && !isFailure(ev.result) ? ', all from other machines than this one of its own' : ''}`,
  };
};

const endpointRisk: Check = ({ ev, endpointRisk, role }) =>
  endpointRisk < 25 || isRelayingRole(role) ? null : { code: SignalCode.EndpointRisk, points: 0.6 * endpointRisk, reason: `${where(ev)} carries risk ${Math.round(endpointRisk)} from earlier activity` };

const accountRisk: Check = ({ ev, accountRisk }) =>
  accountRisk < 30 ? null : { code: SignalCode.AccountRisk, points: 0.35 * accountRisk, reason: `${ev.account} carries risk ${Math.round(accountRisk)} from earlier activity` };

/**
 * An identity silent for weeks that logs on again: leavers' and forgotten accounts are what
 * attackers reuse. Points grow with the silence and with privilege.
 */
const dormantAccount: Check = ({ ev, account, opts }) => {
  if (!account || isFailure(ev.result)) return null;
  const last = account.recent[account.recent.length - 1]?.time;
  if (last === undefined || ev.time - last < opts.dormantAfterMs) return null;
  const days = (ev.time - last) / 86_400_000;
  // Weeks of silence are worth a step-up on their own: the account's owner can answer it.
  const base = 52 + Math.min(20, (days - opts.dormantAfterMs / 86_400_000) / 3);
  const points = Math.min(80, account.kind === AccountKind.Privileged ? base * 1.25 : account.kind === AccountKind.Service ? base * 0.8 : base);
  return { code: SignalCode.DormantAccount, points, reason: `${ev.account} had not logged on for ${Math.round(days)} days` };
};

const offBaseline: Check = ({ ev, distance2 }) => {
  if (distance2 === undefined || distance2 < 40) return null;
  return {
    code: SignalCode.OffBaseline,
    points: Math.min(20, 8 + (distance2 - 40) / 5),
    reason: `the combination of time, pace and endpoint is far from ${ev.account}'s usual (distance ${Math.sqrt(distance2).toFixed(1)})`,
  };
};

/** Two devices on different networks within this long: one person cannot be at both. */
const CONCURRENT_WINDOW_MS = 45 * 60_000;

/**
 * The same person on two networks at once: a device in another network zone (cidr.ts zoneOf)
 * logged on as them through the same app minutes ago — at the office workstation, and now from a VPN pool address
 * or the internet. Shared terminals and app servers say nothing about where anyone is.
 */
const concurrentSessions: Check = ({ ev, account, role }) => {
  if (!account || !isPerson(account.kind) || isFailure(ev.result) || role !== EndpointRole.Device) return null;
  const zone = zoneOf(ev.endpoint);
  for (let i = account.recent.length - 1; i >= 0; i--) {
    const r = account.recent[i]!;
    if (ev.time - r.time > CONCURRENT_WINDOW_MS) break;
    // The same client: an admin's sshd binds from the server, not from where the admin sits.
    if (r.zone === undefined || r.zone === zone || r.app !== ev.app) continue;
    return {
      code: SignalCode.ConcurrentSessions,
      points: 40,
      reason: `${ev.account} logged on from ${ev.endpoint} ${minutes(ev.time - r.time)} minutes after a logon from ${r.endpoint}, on another network`,
    };
  }
  return null;
};

/** Faster than an airliner over more than a short hop: one person cannot have made the trip. */
const TRAVEL_KMH = 900;
const TRAVEL_MIN_KM = 500;
const IMPOSSIBLE_TRAVEL_WINDOW_MS = 24 * 3_600_000;

/** Great-circle distance in km (haversine). */
export function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Impossible travel: a logon here, and one in a place too far away for the time between —
 * an on-prem bind at the London site and an Okta sign-in from Sydney an hour later. Places
 * come from configured sites and cloud sign-ins' geolocation, never from a look-up.
 */
const impossibleTravel: Check = ({ ev, account }) => {
  if (!account || !isPerson(account.kind) || isFailure(ev.result) || !ev.place) return null;
  for (let i = account.recent.length - 1; i >= 0; i--) {
    const r = account.recent[i]!;
    const dt = ev.time - r.time;
    if (dt > IMPOSSIBLE_TRAVEL_WINDOW_MS) break;
    if (!r.place) continue;
    const km = distanceKm(r.place, ev.place);
    if (km < TRAVEL_MIN_KM) continue;
    const kmh = km / Math.max(dt / 3_600_000, 1 / 60);
    if (kmh <= TRAVEL_KMH) continue;
    const at = (p: { name?: string }, endpoint: string): string => (p.name ? `${p.name} (${endpoint})` : endpoint);
    return {
      code: SignalCode.ImpossibleTravel,
      points: km >= 2_000 ? 70 : 55,
      reason: `${ev.account} logged on from ${at(ev.place, ev.endpoint)} ${minutes(dt)} minutes after a logon from ${at(r.place, r.endpoint)}, ${Math.round(km)} km away (${Math.round(kmh)} km/h)`,
    };
  }
  return null;
};

/** Every check, in the order reasons are listed when points tie. */
export const CHECKS: readonly { code: SignalCode; run: Check }[] = Object.freeze([
  { code: SignalCode.SprayingSource, run: sprayingSource },
  { code: SignalCode.ServiceNewHost, run: serviceNewHost },
  { code: SignalCode.EndpointNotAssociated, run: endpointNotAssociated },
  { code: SignalCode.LateralMovement, run: lateralMovement },
  { code: SignalCode.EndpointManyAccounts, run: endpointManyAccounts },
  { code: SignalCode.MachineTiming, run: machineTiming },
  { code: SignalCode.RecentFailures, run: recentFailures },
  { code: SignalCode.NewSubnet, run: newSubnet },
  { code: SignalCode.NewEndpoint, run: newEndpoint },
  { code: SignalCode.UnusualHour, run: unusualHour },
  { code: SignalCode.RareApp, run: rareApp },
  { code: SignalCode.EndpointRisk, run: endpointRisk },
  { code: SignalCode.AccountRisk, run: accountRisk },
  { code: SignalCode.OffBaseline, run: offBaseline },
  { code: SignalCode.DormantAccount, run: dormantAccount },
  { code: SignalCode.ConcurrentSessions, run: concurrentSessions },
  { code: SignalCode.ImpossibleTravel, run: impossibleTravel },
]);

/** Independent pieces of evidence combine like probabilities: 1 − Π(1 − pᵢ). */
export function combine(signals: readonly Signal[]): number {
  let keep = 1;
  for (const s of signals) keep *= 1 - Math.min(100, Math.max(0, s.points)) / 100;
  return Math.round(100 * (1 - keep));
}
