/**
 * What a source address is, with the evidence: a device a person sits at, a terminal many
 * people share, an app server that binds for its users (web apps, VPN, RADIUS and mail
 * servers), an address pool (VPN or NAT), or not known yet. Location signals only mean
 * something for devices; evidence about an attack *through* an app server belongs to the
 * attempts and the accounts targeted, not to the server and everyone behind it.
 *
 * Declared roles (config) win. An app server is learned from how its connections look:
 * relayed binds — a bind after a service-account or anonymous bind and a search, or after
 * another user's bind on the same connection — by several people, with few direct ones.
 * Relayed binds need valid passwords of several people to count, so a spraying host cannot
 * make itself look like an app server with failures.
 */
import { DAY_MS } from './decay.js';
import type { EndpointBaseline } from './baseline.js';

export const EndpointRole = {
  Device: 'device',
  Shared: 'shared',
  AppServer: 'app_server',
  Pool: 'pool',
} as const;
export type EndpointRole = (typeof EndpointRole)[keyof typeof EndpointRole];

/** Roles whose address says nothing about where the person is. */
export const isRelayingRole = (r: EndpointRole): boolean => r === EndpointRole.AppServer || r === EndpointRole.Pool;

/** People who must have logged on through relayed binds before an address counts as an app server. */
const APP_SERVER_MIN_ACCOUNTS = 3;
/** Share of the accounts logging on here (its service accounts aside) that do so relayed, at least. */
const APP_SERVER_MIN_RELAYED_SHARE = 0.7;
/** Relayed accounts and service accounts kept per endpoint (time order, the oldest go first). */
const MAX_RELAYED = 1024;
const MAX_AGENTS = 64;
const MAX_DIRECT = 64;
/** Relayed accounts older than this no longer count. */
const RELAYED_WINDOW_MS = 30 * DAY_MS;

export interface RoleEvidence {
  role: EndpointRole;
  declared: boolean;
  /** Why, for people: "relayed binds by 212 accounts (97% of its binds)". */
  evidence: string;
}

/** The role of an endpoint now: declared, else learned from its baseline (a new address is a device). */
export function roleOf(ep: EndpointBaseline | undefined, declared: EndpointRole | undefined): EndpointRole {
  if (declared) return declared;
  if (!ep) return EndpointRole.Device;
  if (isLearnedAppServer(ep)) return EndpointRole.AppServer;
  return ep.accounts.size > 3 && dominantAccount(ep) === undefined ? EndpointRole.Shared : EndpointRole.Device;
}

/** Past this many accounts an address is shared whoever uses it most (and nothing is scanned). */
const MAX_OWNED_ACCOUNTS = 64;

/**
 * The account that holds half the logons at an address or more: a workstation its owner
 * uses every day stays theirs when helpdesk staff and colleagues have logged on at it too.
 */
export function dominantAccount(ep: EndpointBaseline): string | undefined {
  if (ep.accounts.size > MAX_OWNED_ACCOUNTS) return undefined;
  let total = 0;
  let top: [string, number] | undefined;
  for (const [a, f] of ep.accounts) {
    total += f.count;
    if (!top || f.count > top[1]) top = [a, f.count];
  }
  return top && top[1] >= 0.5 * total ? top[0] : undefined;
}

/**
 * Share of the accounts seen here that logged on relayed. Counted by account, not by bind,
 * and without the app's service accounts: they bind directly (first on each connection) many
 * times before they are recognised as binding for others, and must not outweigh its users.
 */
function relayedShare(ep: EndpointBaseline): number {
  const relayed = ep.relayedAccounts?.size ?? 0;
  let direct = 0;
  for (const a of ep.directAccounts?.keys() ?? []) if (!ep.agents?.has(a) && !ep.relayedAccounts?.has(a)) direct++;
  return relayed + direct > 0 ? relayed / (relayed + direct) : 0;
}

function isLearnedAppServer(ep: EndpointBaseline): boolean {
  return (ep.relayedAccounts?.size ?? 0) >= APP_SERVER_MIN_ACCOUNTS && relayedShare(ep) >= APP_SERVER_MIN_RELAYED_SHARE;
}

export function describeRole(ep: EndpointBaseline | undefined, declared: EndpointRole | undefined): RoleEvidence {
  const role = roleOf(ep, declared);
  if (declared) return { role, declared: true, evidence: 'declared in the configuration' };
  if (!ep) return { role, declared: false, evidence: 'not seen yet' };
  const share = Math.round(relayedShare(ep) * 100);
  const relayed = ep.relayedAccounts?.size ?? 0;
  const agents = [...(ep.agents?.keys() ?? [])].slice(-3);
  if (role === EndpointRole.AppServer) {
    return { role, declared: false, evidence: `relayed binds by ${relayed} accounts (${share}% of the accounts seen there)${agents.length ? `, binding for them: ${agents.join(', ')}` : ''}` };
  }
  return { role, declared: false, evidence: `${ep.accounts.size} account(s) logged on here${relayed ? `; relayed binds by ${relayed} (${share}%)` : ''}` };
}

/**
 * Learns from one bind at this endpoint how it binds: the account of a successful bind is
 * recorded as logging on relayed or directly, and the account that bound before another's
 * relayed bind as one that binds for others (the app's service account).
 */
export function learnRole(ep: EndpointBaseline, ev: { account: string; relayed?: boolean; previousAccount?: string }, failed: boolean, now: number): void {
  if (ev.previousAccount && ev.relayed) setNewest((ep.agents ??= new Map()), ev.previousAccount, now, MAX_AGENTS);
  if (failed) return;
  if (ev.relayed) setNewest((ep.relayedAccounts ??= new Map()), ev.account, now, MAX_RELAYED);
  else setNewest((ep.directAccounts ??= new Map()), ev.account, now, MAX_DIRECT);
}

/** Forgets accounts not seen for RELAYED_WINDOW_MS (called with the endpoint's other trims). */
export function trimRole(ep: EndpointBaseline, now: number): void {
  for (const m of [ep.relayedAccounts, ep.directAccounts]) {
    if (!m) continue;
    for (const [k, t] of m) {
      if (t >= now - RELAYED_WINDOW_MS) break;
      m.delete(k);
    }
  }
}

function setNewest(map: Map<string, number>, key: string, now: number, cap: number): void {
  map.delete(key);
  map.set(key, now);
  if (map.size > cap) map.delete(map.keys().next().value as string);
}
