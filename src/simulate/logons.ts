/**
 * Simulated logons in the form a proxy in front of AD sees them: each app binds with its own
 * name form (desktop tools with DOMAIN\\sam or the UPN, the portal and RADIUS with the DN
 * their search found, whose RDN is the display name, the mail server with the UPN), app
 * servers relay their users' binds after their service account's, computers bind as
 * `NAME$`. The event's `account` is the identity directory facts resolve every form to.
 */
import type { BindResult } from '../behavior/bind-result.js';
import { AccountKind, type LogonEvent } from '../behavior/logon-event.js';
import { subnetOf } from '../util/cidr.js';
import type { AppServer, Organisation, Person } from './org.js';

/** RFC 4514 escaping of an attribute value (what a directory returns in a DN). */
export function escapeDnValue(v: string): string {
  return v.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, '\\ ');
}

const ouName = (department: string): string => department[0]!.toUpperCase() + department.slice(1);

export function personDn(org: Organisation, p: Person): string {
  return `CN=${escapeDnValue(p.displayName)},OU=${ouName(p.department)},OU=People,${org.domain.base}`;
}

/** The name a person binds with through an app. */
export function bindNameFor(org: Organisation, p: Person, app: string): string {
  if (app === 'portal' || app === 'vpn') return personDn(org, p);
  if (app === 'mail' || ((app === 'desktop' || app === 'ssh') && p.desktopForm === 'upn')) return `${p.uid}@${org.domain.upnSuffix}`;
  return `${org.domain.netbios}\\${p.uid}`;
}

export const kindOf = (p: Person): AccountKind => (p.privileged ? AccountKind.Privileged : AccountKind.Human);

export interface Via {
  server: AppServer;
  /** Bound on a connection where the app's service account (or this user, for auth_bind) bound before. */
  relayed: boolean;
}

export function personLogon(org: Organisation, p: Person, time: number, endpoint: string, app: string, result: BindResult = 'success', via?: Via): LogonEvent {
  return {
    time: Math.round(time), account: p.uid, bindName: bindNameFor(org, p, app), kind: kindOf(p), endpoint, subnet: subnetOf(endpoint), app, result,
    peerGroup: p.department,
    ...(via?.relayed ? { relayed: true, ...(via.server.serviceAccount ? { previousAccount: via.server.serviceAccount } : {}) } : {}),
  };
}

export function serviceLogon(org: Organisation, uid: string, time: number, endpoint: string, app: string, result: BindResult = 'success'): LogonEvent {
  return {
    time: Math.round(time), account: uid, bindName: `CN=${uid},OU=Services,${org.domain.base}`, kind: AccountKind.Service,
    endpoint, subnet: subnetOf(endpoint), app, result,
  };
}

export function computerLogon(org: Organisation, device: string, time: number, endpoint: string): LogonEvent {
  return {
    time: Math.round(time), account: device, bindName: `${org.domain.netbios}\\${device.toUpperCase()}`, kind: AccountKind.Computer,
    endpoint, subnet: subnetOf(endpoint), app: 'desktop', result: 'success',
  };
}
