/**
 * A logon event: one bind attempt in the terms behaviour is learned in. Who (a canonical
 * account, whatever form the app bound with), what kind of account, from where (endpoint,
 * its subnet, an optional name), through which app, and how it ended.
 */
import type { BindEvent, ConnectionContext } from '../proxy/bind-event.js';
import { EndpointRole } from './endpoint-role.js';
import type { UserFacts } from '../directory/facts.js';
import { cidrContains, parseCidr, subnetOf, type Cidr } from '../util/cidr.js';
import { BindResult, classifyBindResult } from './bind-result.js';
import { globPredicate } from '../util/glob.js';
import { loginNameOf } from '../util/dn.js';

export const AccountKind = {
  Human: 'human',
  Privileged: 'privileged',
  Service: 'service',
  Computer: 'computer',
} as const;
export type AccountKind = (typeof AccountKind)[keyof typeof AccountKind];

export interface LogonEvent {
  time: number;
  /** Canonical account key: the lower-cased user name (uid / sAMAccountName). */
  account: string;
  /** The bind name as sent (DN, UPN or DOMAIN\\user). */
  bindName: string;
  kind: AccountKind;
  endpoint: string;
  subnet: string;
  endpointName?: string;
  app: string;
  result: BindResult;
  /** Department or OU, for cold-start comparison with peers. */
  peerGroup?: string;
  /**
   * Bound on a connection that first bound as someone else (or anonymously) and searched, or
   * after another user's bind: an app authenticating its user, not the person's own client.
   */
  relayed?: boolean;
  /** The account the connection was bound as just before, when it searched before this bind: the app's service account. */
  previousAccount?: string;
  /** The endpoint's role when the configuration declares it (apps, pools, kiosks). */
  declaredRole?: EndpointRole;
  /** Where on earth: a configured site's (behavior.sites) or the directory's site, or a cloud sign-in's geolocation. */
  place?: Place;
  /** Where the logon was seen: an LDAP bind through bindwall (absent) or a cloud sign-in (connectors/). */
  source?: 'okta' | 'windows';
}

/** The canonical account key of a bind name (util/dn.ts loginNameOf: every name form). */
export const canonicalAccount = loginNameOf;

/** The OU just above the entry in a DN ("uid=a,ou=Finance,ou=People,…" → "Finance"). */
export function parentOu(bindName: string): string | undefined {
  const m = /,\s*ou\s*=\s*((?:\\.|[^,])+)/i.exec(bindName);
  return m ? m[1]!.trim() : undefined;
}

/** A point on the map, and its name when known (a site, a city). */
export interface Place {
  lat: number;
  lon: number;
  name?: string;
}

export interface EventMapping {
  /** Client address ranges → app name (for app servers); otherwise the listener names the app. */
  apps: readonly { name: string; addresses: readonly string[] }[];
  /** Address pools (VPN, NAT) and shared terminals (kiosks, ward terminals), by address or CIDR. */
  pools?: readonly string[];
  kiosks?: readonly string[];
  /** Client address → endpoint name (e.g. a workstation inventory). */
  endpointNames: Readonly<Record<string, string>>;
  /** Account names (canonical) or patterns that are service accounts. */
  servicePatterns: readonly string[];
  /** Accounts that are privileged even before directory facts say so. */
  privilegedPatterns: readonly string[];
  /** Sites by network, with coordinates: where on-prem binds are (behavior.sites). */
  sites?: readonly { name: string; networks: readonly string[]; latitude: number; longitude: number }[];
}

export const defaultMapping: EventMapping = Object.freeze({
  apps: [],
  endpointNames: {},
  servicePatterns: ['svc-*', 'svc_*', 'service-*', '*ou=service*'],
  privilegedPatterns: [],
});

/** Turns a mapping into fast lookups, once. */
export class EventMapper {
  readonly #apps: { name: string; cidrs: Cidr[] }[];
  readonly #pools: Cidr[];
  readonly #kiosks: Cidr[];
  readonly #sites: { place: Place; cidrs: Cidr[] }[];
  readonly #names: ReadonlyMap<string, string>;
  readonly #service: ((v: string) => boolean)[];
  readonly #privileged: ((v: string) => boolean)[];

  readonly #resolveName: ((address: string) => string | undefined) | undefined;

  /** `resolveName`: a device name for an address when the mapping has none (reverse-dns.ts), never waiting. */
  constructor(mapping: EventMapping = defaultMapping, resolveName?: (address: string) => string | undefined) {
    this.#resolveName = resolveName;
    this.#apps = mapping.apps.map((a) => ({
      name: a.name,
      cidrs: a.addresses.map((t) => parseCidr(t)).filter((c): c is Cidr => !('error' in c)),
    }));
    const cidrs = (list: readonly string[] = []): Cidr[] => list.map((t) => parseCidr(t)).filter((c): c is Cidr => !('error' in c));
    this.#pools = cidrs(mapping.pools);
    this.#kiosks = cidrs(mapping.kiosks);
    this.#sites = (mapping.sites ?? []).map((s) => ({ place: { lat: s.latitude, lon: s.longitude, name: s.name }, cidrs: cidrs(s.networks) }));
    this.#names = new Map(Object.entries(mapping.endpointNames));
    this.#service = mapping.servicePatterns.map((g) => globPredicate(g.toLowerCase()));
    this.#privileged = mapping.privilegedPatterns.map((g) => globPredicate(g.toLowerCase()));
  }

  /** The device name for an address: declared, or from reverse DNS when it has answered. */
  nameOf(address: string): string | undefined {
    return this.#names.get(address) ?? this.#resolveName?.(address);
  }

  appFor(address: string, listener: string): string {
    return this.#declaredApp(address) ?? listener;
  }

  #declaredApp(address: string): string | undefined {
    for (const a of this.#apps) if (a.cidrs.some((c) => cidrContains(c, address))) return a.name;
    return undefined;
  }

  /** The role the configuration gives an address: declared apps are app servers. */
  declaredRole(address: string): EndpointRole | undefined {
    return this.#declaredApp(address) !== undefined ? EndpointRole.AppServer : this.#poolOrKiosk(address);
  }

  #poolOrKiosk(address: string): EndpointRole | undefined {
    if (this.#pools.length > 0 && this.#pools.some((c) => cidrContains(c, address))) return EndpointRole.Pool;
    if (this.#kiosks.length > 0 && this.#kiosks.some((c) => cidrContains(c, address))) return EndpointRole.Shared;
    return undefined;
  }

  /** Where an address is (a site's network), else where the directory says the person's site is. */
  placeOf(address: string, facts?: UserFacts | null): Place | undefined {
    if (this.#sites.length === 0) return undefined;
    for (const s of this.#sites) if (s.cidrs.some((c) => cidrContains(c, address))) return s.place;
    const site = facts?.site?.toLowerCase();
    return site ? this.#sites.find((s) => s.place.name!.toLowerCase() === site)?.place : undefined;
  }

  kindOf(account: string, bindName: string): AccountKind {
    if (account.endsWith('$')) return AccountKind.Computer;
    const lowerName = bindName.toLowerCase();
    if (this.#privileged.some((m) => m(account) || m(lowerName))) return AccountKind.Privileged;
    if (this.#service.some((m) => m(account) || m(lowerName))) return AccountKind.Service;
    return AccountKind.Human;
  }

  fromBind(ev: BindEvent, facts?: UserFacts | null): LogonEvent {
    return this.#build(ev.time, ev.bindDn, ev.clientAddress, ev.listener,
      classifyBindResult(ev.directoryResultCode ?? ev.resultCode, ev.directoryDiagnostic), facts, ev.connection);
  }

  /** A bind the directory accepted, about to be decided. */
  fromAttempt(a: { receivedAt: number; bindDn: string; clientAddress: string; listener: string; connection?: ConnectionContext }, facts?: UserFacts | null): LogonEvent {
    return this.#build(a.receivedAt, a.bindDn, a.clientAddress, a.listener, BindResult.Success, facts, a.connection);
  }

  #build(time: number, bindName: string, address: string, listener: string, result: BindResult, facts?: UserFacts | null, connection?: ConnectionContext): LogonEvent {
    // One identity per person: with directory facts, every name form (a display-name DN,
    // DOMAIN\sam, a UPN) resolves to the entry's login name.
    const account = facts?.login ?? canonicalAccount(bindName);
    const declaredApp = this.#declaredApp(address);
    const declaredRole = declaredApp !== undefined ? EndpointRole.AppServer : this.#poolOrKiosk(address);
    const via = relayedVia(account, connection);
    const name = this.nameOf(address);
    // An app server's or pool's address says nothing about where the person is.
    const place = declaredRole === undefined && !via.relayed ? this.placeOf(address, facts) : undefined;
    // Directory facts, when known, say who the peers are and whether the account is privileged.
    const peerGroup = facts?.department ?? facts?.ous[0] ?? parentOu(bindName);
    const byPattern = this.kindOf(account, bindName);
    return {
      time,
      account,
      bindName,
      kind: facts?.privileged && byPattern !== AccountKind.Service ? AccountKind.Privileged : byPattern,
      endpoint: address,
      subnet: subnetOf(address),
      ...(name ? { endpointName: name } : {}),
      app: declaredApp ?? listener,
      result,
      ...(peerGroup ? { peerGroup: peerGroup.toLowerCase() } : {}),
      ...(via.relayed ? { relayed: true } : {}),
      ...(via.previousAccount ? { previousAccount: via.previousAccount } : {}),
      ...(declaredRole ? { declaredRole } : {}),
      ...(place ? { place } : {}),
    };
  }
}

/**
 * Is this bind an app authenticating its user? Yes when the connection was bound as another
 * account, or anonymously (or never) and then searched, before this bind.
 */
export function relayedVia(bound: string | (() => string), c: ConnectionContext | undefined): { relayed: boolean; previousAccount?: string } {
  if (!c) return { relayed: false };
  if (!c.previousBind) return { relayed: c.opsBefore > 0 };
  const account = typeof bound === 'string' ? bound : bound();
  const previous = canonicalAccount(c.previousBind);
  // The previous account searched before this bind: it is the app's service account. (An
  // app that binds back as its service account right after a user's bind makes that bind
  // relayed too, but the user is nobody's agent.)
  if (previous !== '' && previous !== account) return { relayed: true, ...(c.opsBefore > 0 ? { previousAccount: previous } : {}) };
  return { relayed: previous === '' && c.opsBefore > 0 };
}
