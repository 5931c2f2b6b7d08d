/**
 * The named checks a logon is scored with. Each has a stable code (policy conditions use
 * it), gives points 0–100 and a reason a person can read. Novelty counts in proportion to
 * how much history the account has (`maturity`); for new accounts the peer group speaks.
 */
import { DAY_MS, valueAt } from './decay.js';
import type { AccountBaseline, EndpointBaseline, PeerBaseline } from './baseline.js';
import { hourProbability } from './baseline.js';
import { AccountKind, type LogonEvent } from './logon-event.js';
import type { BehaviorOptions } from './options.js';
import { isFailure } from './bind-result.js';

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
} as const;
export type SignalCode = (typeof SignalCode)[keyof typeof SignalCode];

export interface Signal {
  code: SignalCode;
  points: number;
  reason: string;
}

export interface CheckContext {
  ev: LogonEvent;
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
  opts: BehaviorOptions;
}

type Check = (c: CheckContext) => Signal | null;

const isPerson = (kind: string): boolean => kind === AccountKind.Human || kind === AccountKind.Privileged;
const where = (ev: LogonEvent): string => (ev.endpointName ? `${ev.endpoint} (${ev.endpointName})` : ev.endpoint);
const minutes = (ms: number): number => Math.round(ms / 60_000);
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const pct = (p: number): string => (p < 0.001 ? '0%' : `${(p * 100).toFixed(p < 0.1 ? 1 : 0)}%`);

/** Accounts that have made an endpoint "theirs": a personal device, not a shared server. */
function owners(endpoint: EndpointBaseline, except: string): string[] {
  if (endpoint.accounts.size > 3) return [];
  return [...endpoint.accounts.entries()].filter(([a, f]) => a !== except && f.count >= 3).map(([a]) => a);
}

const newEndpoint: Check = ({ ev, account, maturity }) => {
  if (!account || account.kind === AccountKind.Service || account.endpoints.has(ev.endpoint)) return null;
  const points = maturity * (account.kind === AccountKind.Privileged ? 35 : 22);
  return points < 1 ? null : { code: SignalCode.NewEndpoint, points, reason: `first logon by ${ev.account} from ${where(ev)}` };
};

const endpointNotAssociated: Check = ({ ev, account, endpoint, maturity }) => {
  if (!endpoint || account?.endpoints.has(ev.endpoint)) return null;
  const others = owners(endpoint, ev.account);
  if (others.length === 0) return null;
  return {
    code: SignalCode.EndpointNotAssociated,
    points: 30 + 20 * maturity,
    reason: `${where(ev)} is used by ${others.slice(0, 2).join(', ')}; ${ev.account} has never logged on from it`,
  };
};

const newSubnet: Check = ({ ev, account, peer, maturity }) => {
  if (account?.subnets.has(ev.subnet)) return null;
  const peerKnows = peer !== undefined && peer.members.size >= 5 && peer.subnets.has(ev.subnet);
  const peerWeight = peer !== undefined && peer.members.size >= 5 ? 1 - maturity : 0;
  const points = 28 * maturity + (peerKnows ? 0 : 28 * peerWeight);
  if (points < 1) return null;
  return { code: SignalCode.NewSubnet, points, reason: `${ev.subnet} is a new network for ${ev.account}${peerKnows ? '' : peerWeight > 0 ? ' and for its peers' : ''}` };
};

const rareApp: Check = ({ ev, account, peer, maturity }) => {
  if (!account) return null;
  const f = account.apps.get(ev.app);
  if (f && f.count >= 3) return null;
  const peerUses = peer?.apps.has(ev.app) ?? false;
  const points = maturity * (f ? 5 : peerUses ? 10 : 16);
  return points < 1 ? null : { code: SignalCode.RareApp, points, reason: `${ev.account} ${f ? 'rarely uses' : 'has not used'} ${ev.app} before` };
};

const unusualHour: Check = ({ ev, hour, account, peer, maturity, opts }) => {
  if (!account || !isPerson(account.kind)) return null;
  const own = account.hours.total >= 10 ? hourProbability(account.hours, hour) : undefined;
  const peers = peer && peer.hours.total >= 50 ? hourProbability(peer.hours, hour) : undefined;
  const ownUnusual = own !== undefined && own < 0.004;
  const peerUnusual = peers !== undefined && peers < 0.002;
  const points = (ownUnusual ? 24 * maturity : 0) + (peerUnusual ? (ownUnusual ? 10 : 22 * (1 - maturity)) : 0);
  if (points < 1) return null;
  const when = `${DAYS[Math.floor(hour / 24)]} ${String(hour % 24).padStart(2, '0')}:00 ${opts.timeZone}`;
  return {
    code: SignalCode.UnusualHour,
    points,
    reason: `${when} is unusual for ${ev.account}${own !== undefined ? ` (${pct(own)} of its logons)` : ''}${peerUnusual ? ' and for its peers' : ''}`,
  };
};

const lateralMovement: Check = ({ ev, account, opts }) => {
  if (!account || !isPerson(account.kind) || isFailure(ev.result)) return null;
  const since = ev.time - opts.lateralWindowMs;
  const endpoints = new Set([ev.endpoint]);
  for (const r of account.recent) if (r.time >= since) endpoints.add(r.endpoint);
  if (endpoints.size < 3) return null;
  return {
    code: SignalCode.LateralMovement,
    points: endpoints.size >= 5 ? 55 : 38,
    reason: `${ev.account} logged on from ${endpoints.size} endpoints within ${minutes(opts.lateralWindowMs)} minutes`,
  };
};

const sprayingSource: Check = ({ ev, endpoint, opts }) => {
  if (!endpoint) return null;
  const since = ev.time - opts.sprayWindowMs;
  const failed = new Set<string>();
  for (const a of endpoint.window) if (a.failed && a.time >= since) failed.add(a.account);
  if (isFailure(ev.result)) failed.add(ev.account);
  const dayAgo = ev.time - DAY_MS;
  let slow = isFailure(ev.result) && !((endpoint.failedAccounts.get(ev.account) ?? -Infinity) >= dayAgo) ? 1 : 0;
  for (const t of endpoint.failedAccounts.values()) if (t >= dayAgo) slow++;
  if (failed.size >= 4) {
    return { code: SignalCode.SprayingSource, points: failed.size >= 8 ? 85 : 65, reason: `${where(ev)} failed binds for ${failed.size} accounts within ${minutes(opts.sprayWindowMs)} minutes (password spraying)` };
  }
  if (slow >= 8) {
    return { code: SignalCode.SprayingSource, points: 60, reason: `${where(ev)} failed binds for ${slow} accounts in 24 hours (slow password spraying)` };
  }
  return null;
};

const endpointManyAccounts: Check = ({ ev, endpoint, opts }) => {
  if (!endpoint) return null;
  const since = ev.time - opts.sprayWindowMs;
  const accounts = new Set([ev.account]);
  for (const a of endpoint.window) if (a.time >= since) accounts.add(a.account);
  if (accounts.size < 4 || accounts.size <= 2 * endpoint.usualDistinctAccounts) return null;
  return {
    code: SignalCode.EndpointManyAccounts,
    points: accounts.size >= 8 ? 50 : 35,
    reason: `${where(ev)} bound as ${accounts.size} accounts within ${minutes(opts.sprayWindowMs)} minutes (usually ${endpoint.usualDistinctAccounts || 1})`,
  };
};

const serviceNewHost: Check = ({ ev, account }) => {
  if (!account || account.kind !== AccountKind.Service || account.endpoints.has(ev.endpoint) || account.logons < 3) return null;
  const known = [...account.endpoints.keys()].slice(0, 3).join(', ');
  return { code: SignalCode.ServiceNewHost, points: 62, reason: `service account ${ev.account} bound from a new host ${where(ev)} (known: ${known})` };
};

const machineTiming: Check = ({ ev, account }) => {
  if (!account || !isPerson(account.kind) || isFailure(ev.result) || account.recent.length < 6) return null;
  const times = [...account.recent.map((r) => r.time), ev.time];
  const burst = times.filter((t) => t >= ev.time - 60_000).length;
  if (burst >= 10) return { code: SignalCode.MachineTiming, points: 40, reason: `${ev.account} bound ${burst} times within a minute: too fast for a person` };
  const gaps = times.slice(1).map((t, i) => t - times[i]!).slice(-8);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  if (mean <= 0 || mean > 2 * 3_600_000) return null;
  const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
  if (sd / mean >= 0.08) return null;
  return { code: SignalCode.MachineTiming, points: 32, reason: `${ev.account} binds every ${Math.round(mean / 1000)} s like clockwork: a script, not a person` };
};

const recentFailures: Check = ({ ev, account, opts }) => {
  if (!account) return null;
  const n = valueAt(account.failures, ev.time, opts.failureHalfLifeMs) + (isFailure(ev.result) ? 1 : 0);
  if (n < 3) return null;
  return {
    code: SignalCode.RecentFailures,
    points: Math.min(60, 10 + 4 * (n - 3)),
    reason: `${Math.round(n)} failed binds for ${ev.account} in the last hour${n >= 10 ? ' (brute force)' : ''}`,
  };
};

const endpointRisk: Check = ({ ev, endpointRisk }) =>
  endpointRisk < 25 ? null : { code: SignalCode.EndpointRisk, points: 0.6 * endpointRisk, reason: `${where(ev)} carries risk ${Math.round(endpointRisk)} from earlier activity` };

const accountRisk: Check = ({ ev, accountRisk }) =>
  accountRisk < 30 ? null : { code: SignalCode.AccountRisk, points: 0.35 * accountRisk, reason: `${ev.account} carries risk ${Math.round(accountRisk)} from earlier activity` };

const offBaseline: Check = ({ ev, distance2 }) => {
  if (distance2 === undefined || distance2 < 30) return null;
  return {
    code: SignalCode.OffBaseline,
    points: Math.min(25, 8 + (distance2 - 30) / 4),
    reason: `the combination of time, pace and endpoint is far from ${ev.account}'s usual (distance ${Math.sqrt(distance2).toFixed(1)})`,
  };
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
]);

/** Independent pieces of evidence combine like probabilities: 1 − Π(1 − pᵢ). */
export function combine(signals: readonly Signal[]): number {
  let keep = 1;
  for (const s of signals) keep *= 1 - Math.min(100, Math.max(0, s.points)) / 100;
  return Math.round(100 * (1 - keep));
}
