/**
 * Okta System Log events in the behaviour model's terms: sign-ins to Okta and SSO to its apps
 * become logon events with `source: okta` — the same canonical identity as the person's LDAP
 * binds (alice@corp.example and uid=alice are one account), the client's address as the
 * endpoint, the app as `okta` or `okta:<app>`. Events that are not sign-ins are left to the
 * facts and reports that later issues build on them.
 */
import { AccountKind, canonicalAccount, type LogonEvent } from '../../behavior/logon-event.js';
import { BindResult } from '../../behavior/bind-result.js';
import { subnetOf } from '../../util/cidr.js';
import { isIP } from 'node:net';
import { EndpointRole } from '../../behavior/endpoint-role.js';

/** The fields of a LogEvent this mapping reads (Okta sends many more). */
export interface OktaLogEvent {
  uuid: string;
  published: string;
  eventType: string;
  actor?: { id?: string; type?: string; alternateId?: string; displayName?: string };
  client?: { ipAddress?: string | null; zone?: string | null; geographicalContext?: { city?: string | null; country?: string | null; geolocation?: { lat: number; lon: number } | null } | null };
  outcome?: { result?: string; reason?: string | null };
  target?: { type?: string; displayName?: string; alternateId?: string }[] | null;
}

const SIGN_INS: ReadonlySet<string> = new Set(['user.session.start', 'user.authentication.sso']);

/** Okta's outcome as a bind result: SUCCESS / ALLOW succeed; FAILURE, DENY fail with their reason. */
function resultOf(o: OktaLogEvent['outcome']): BindResult | undefined {
  const r = o?.result;
  if (r === 'SUCCESS' || r === 'ALLOW') return BindResult.Success;
  if (r !== 'FAILURE' && r !== 'DENY') return undefined; // CHALLENGE, SKIPPED, UNKNOWN…: not an outcome yet
  const reason = (o?.reason ?? '').toUpperCase();
  if (reason.includes('LOCKED')) return BindResult.Locked;
  if (reason.includes('UNKNOWN_USER') || reason.includes('USER_NOT_FOUND')) return BindResult.UnknownUser;
  if (reason.includes('INVALID_CREDENTIALS') || reason === '') return BindResult.BadPassword;
  return BindResult.OtherFailure;
}

/** A sign-in or SSO as a logon event; undefined for anything else (or an event missing what it needs). */
export function logonFromOkta(e: OktaLogEvent): LogonEvent | undefined {
  if (!SIGN_INS.has(e.eventType)) return undefined;
  const login = e.actor?.alternateId;
  const time = Date.parse(e.published);
  const result = resultOf(e.outcome);
  if (!login || login === 'unknown' || !Number.isFinite(time) || result === undefined) return undefined;
  const ip = e.client?.ipAddress ?? '';
  const endpoint = isIP(ip) ? ip : 'unknown';
  const app = e.eventType === 'user.authentication.sso' ? `okta:${e.target?.find((t) => t.type === 'AppInstance')?.displayName ?? 'app'}` : 'okta';
  // API tokens and service apps act as non-User actors: cloud service accounts, baselined apart.
  const kind = e.actor?.type === 'User' || e.actor?.type === undefined ? AccountKind.Human : AccountKind.Service;
  const geo = e.client?.geographicalContext;
  const place = geo?.geolocation && Number.isFinite(geo.geolocation.lat) && Number.isFinite(geo.geolocation.lon)
    ? { lat: geo.geolocation.lat, lon: geo.geolocation.lon, ...(geo.city ? { name: geo.city } : geo.country ? { name: geo.country } : {}) } : undefined;
  // An Okta network zone is one the org defined (its offices' egress, a VPN): many people at
  // one address, no device of anyone's. Okta writes the string "null" when there is none.
  const zone = e.client?.zone;
  const inZone = typeof zone === 'string' && zone !== '' && zone !== 'null';
  return {
    time, account: canonicalAccount(login), bindName: login, kind, endpoint, subnet: endpoint === 'unknown' ? 'unknown' : subnetOf(endpoint), app, result, source: 'okta',
    ...(place ? { place } : {}), ...(inZone ? { declaredRole: EndpointRole.Pool } : {}),
  };
}
