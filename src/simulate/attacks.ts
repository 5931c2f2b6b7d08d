/**
 * Labelled attack campaigns, after the warm-up: stolen credentials used from a new address
 * (day, night) and through the VPN or the portal, lateral movement fast and slow, password
 * spraying fast, slow and through the portal (mixed with its users' typos), brute force, a
 * service account from a new host or a workstation, scripted binds, a dormant account
 * woken up, a privileged account at night from its usual host.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../behavior/decay.js';
import type { Rng } from '../util/random.js';
import { adminServers, type Push } from './benign.js';
import { personLogon, serviceLogon } from './logons.js';
import { movedAddress, Persona, VPN_POOL_PREFIX, type Organisation, type Person } from './org.js';

export const AttackType = {
  StolenDay: 'stolen_credentials_day',
  StolenNight: 'stolen_credentials_night',
  StolenViaApp: 'stolen_credentials_via_app',
  Lateral: 'lateral_movement',
  LateralSlow: 'lateral_movement_slow',
  SprayFast: 'password_spray_fast',
  SpraySlow: 'password_spray_slow',
  SprayViaApp: 'password_spray_via_app',
  BruteForce: 'brute_force',
  ServiceNewHost: 'service_new_host',
  ServiceFromWorkstation: 'service_from_workstation',
  Scripted: 'scripted_binds',
  Dormant: 'dormant_account',
  PrivilegedOddHour: 'privileged_odd_hour',
  /** Generated in cloud.ts: an Okta sign-in from abroad while the owner is at the office. */
  StolenCloud: 'stolen_credentials_cloud',
} as const;
export type AttackType = (typeof AttackType)[keyof typeof AttackType];

export interface Campaign {
  id: number;
  type: AttackType;
  start: number;
  victim: string;
}

export interface AttackFrame {
  start: number;
  days: number;
  warmupDays: number;
  attacksPerType: number;
}

export function attacks(org: Organisation, o: AttackFrame, rng: Rng, push: Push): Campaign[] {
  const campaigns: Campaign[] = [];
  const steady = (p: Person): boolean => p.firstDay === 0 && p.lastDay === o.days && !p.longLeave;
  const everyone = org.people.filter((p) => steady(p) && p.persona !== Persona.Shift);
  const office = everyone.filter((p) => p.persona === Persona.Office && !p.dhcp);
  // Attacks happen after the warm-up, on weekdays when there are any (bounded: no retry loop).
  const window = Array.from({ length: Math.max(0, o.days - o.warmupDays) }, (_, i) => o.warmupDays + i);
  const weekdays = window.filter((d) => (new Date(o.start + d * DAY_MS).getUTCDay() + 6) % 7 < 5);
  const days = weekdays.length > 0 ? weekdays : window;
  if (days.length === 0 || office.length === 0) return campaigns;
  const attackDay = (): number => rng.pick(days);
  const dayStart = (d: number): number => o.start + d * DAY_MS;
  const attacker = (prefix: number): string => `127.${prefix}.${rng.int(0, 250)}.${rng.int(1, 250)}`;
  const inf = org.infra;
  let id = 0;
  const start = (type: AttackType, time: number, victim: string): number => {
    campaigns.push({ id: ++id, type, start: Math.round(time), victim });
    return id;
  };
  const staticAddress = (p: Person, d: number): string => movedAddress(p, org, d, p.newWorkstation && d >= p.newWorkstation.day ? p.newWorkstation.address : p.workstation);
  const admins = everyone.filter((p) => p.persona === Persona.Admin);
  // Dormant accounts: away for weeks (and not back before the attack).
  // (And with history before it: an account bindwall has never seen cannot look dormant.)
  const workedBefore = (p: Person): boolean => Array.from({ length: p.longLeave!.from }, (_, d) => d)
    .some((d) => (d < p.holidayStart || d >= p.holidayStart + 7) && (new Date(o.start + d * DAY_MS).getUTCDay() + 6) % 7 < 5);
  const away = org.people.filter((p) => p.longLeave && p.longLeave.from + 31 < Math.min(p.longLeave.until, o.days) && workedBefore(p));
  const usedDormant = new Set<string>();

  for (let k = 0; k < o.attacksPerType; k++) {
    // Stolen credentials used from a new address, by day and by night.
    for (const night of [false, true]) {
      const v = rng.pick(everyone);
      const t0 = dayStart(attackDay()) + (night ? rng.int(0, 4) : rng.int(9, 16)) * HOUR_MS + rng.int(0, 59) * MINUTE_MS;
      const c = start(night ? AttackType.StolenNight : AttackType.StolenDay, t0, v.uid);
      const ep = attacker(200);
      for (let i = 0, n = rng.int(1, 3); i < n; i++) push(personLogon(org, v, t0 + i * rng.int(3, 20) * MINUTE_MS, ep, 'desktop'), c);
    }
    // Stolen credentials used through the VPN (RADIUS binds for the attacker, who then works
    // from a pool address) or through the portal: the source address says nothing.
    {
      const v = rng.pick(everyone);
      const t0 = dayStart(attackDay()) + rng.next() * DAY_MS;
      const c = start(AttackType.StolenViaApp, t0, v.uid);
      if (rng.chance(0.5)) {
        push(serviceLogon(org, inf.radius.serviceAccount!, t0 - 500, inf.radius.address, 'vpn'));
        push(personLogon(org, v, t0, inf.radius.address, 'vpn', 'success', { server: inf.radius, relayed: true }), c);
        const pool = `${VPN_POOL_PREFIX}.${rng.int(0, 15)}.${rng.int(1, 250)}`;
        for (let i = 0, n = rng.int(1, 3); i < n; i++) push(personLogon(org, v, t0 + rng.int(2, 30) * MINUTE_MS, pool, 'desktop'), c);
      } else {
        for (let i = 0, n = rng.int(1, 3); i < n; i++) {
          const t = t0 + i * rng.int(2, 15) * MINUTE_MS;
          push(serviceLogon(org, inf.portal.serviceAccount!, t - 400, inf.portal.address, 'portal'));
          push(personLogon(org, v, t, inf.portal.address, 'portal', 'success', { server: inf.portal, relayed: true }), c);
        }
      }
    }
    // Lateral movement: one account on several colleagues' workstations within minutes, or over hours.
    for (const slow of [false, true]) {
      const v = rng.pick(office);
      const d = attackDay();
      const t0 = dayStart(d) + rng.int(9, slow ? 12 : 16) * HOUR_MS;
      const c = start(slow ? AttackType.LateralSlow : AttackType.Lateral, t0, v.uid);
      const targets = office.filter((x) => x.site === v.site && x.uid !== v.uid);
      let t = t0;
      for (let i = 0, n = rng.int(4, 6); i < n; i++) {
        push(personLogon(org, v, t, staticAddress(rng.pick(targets), d), 'desktop'), c);
        t += slow ? rng.int(35, 80) * MINUTE_MS : rng.int(2, 6) * MINUTE_MS;
      }
    }
    // Password spraying, fast and slow: one password, many accounts, one source.
    for (const slow of [false, true]) {
      const t0 = dayStart(attackDay()) + rng.int(0, 23) * HOUR_MS;
      const c = start(slow ? AttackType.SpraySlow : AttackType.SprayFast, t0, '*');
      const ep = attacker(slow ? 202 : 201);
      const n = slow ? 25 : 40;
      let t = t0;
      for (let i = 0; i < n; i++) {
        const v = rng.pick(org.people);
        // A hit on an account on long leave would end its silence before the dormant campaign.
        const hit = i === n - 1 && rng.chance(0.3) && !v.longLeave;
        push(personLogon(org, v, t, ep, 'desktop', hit ? 'success' : 'bad_password'), c);
        t += slow ? rng.int(10, 30) * MINUTE_MS : rng.int(5, 15) * 1000;
      }
    }
    // Spraying through the portal's login form, in working hours, among its users' own logins and typos.
    {
      const t0 = dayStart(attackDay()) + rng.int(9, 15) * HOUR_MS + rng.int(0, 59) * MINUTE_MS;
      const c = start(AttackType.SprayViaApp, t0, '*');
      let t = t0;
      for (let i = 0, n = rng.int(20, 35); i < n; i++) {
        const v = rng.pick(org.people);
        push(serviceLogon(org, inf.portal.serviceAccount!, t - 300, inf.portal.address, 'portal'));
        push(personLogon(org, v, t, inf.portal.address, 'portal', i === n - 1 && rng.chance(0.3) && !v.longLeave ? 'success' : 'bad_password', { server: inf.portal, relayed: true }), c);
        t += rng.int(20, 90) * 1000;
      }
    }
    // Brute force: many passwords against one account, maybe a success at the end.
    {
      const v = rng.pick(office);
      const t0 = dayStart(attackDay()) + rng.int(0, 23) * HOUR_MS;
      const c = start(AttackType.BruteForce, t0, v.uid);
      const ep = attacker(203);
      let t = t0;
      for (let i = 0; i < 30; i++, t += rng.int(5, 10) * 1000) push(personLogon(org, v, t, ep, 'desktop', 'bad_password'), c);
      if (rng.chance(0.5)) push(personLogon(org, v, t, ep, 'desktop'), c);
    }
    // A fixed-host service account used from a host it never runs on, or from a workstation.
    if (org.services.length > 0) {
      for (const fromWorkstation of [false, true]) {
        const s = rng.pick(org.services);
        const d = attackDay();
        const t0 = dayStart(d) + rng.int(0, 23) * HOUR_MS;
        const c = start(fromWorkstation ? AttackType.ServiceFromWorkstation : AttackType.ServiceNewHost, t0, s.uid);
        const ep = fromWorkstation ? staticAddress(rng.pick(office), d) : `127.31.${rng.int(0, 250)}.${rng.int(1, 250)}`;
        for (let i = 0; i < 3; i++) push(serviceLogon(org, s.uid, t0 + i * rng.int(1, 10) * MINUTE_MS, ep, 'batch'), c);
      }
    }
    // Scripted binds on a person's account from their own workstation (malware).
    {
      const v = rng.pick(office);
      const d = attackDay();
      const t0 = dayStart(d) + rng.int(9, 16) * HOUR_MS;
      const c = start(AttackType.Scripted, t0, v.uid);
      const period = rng.int(20, 60) * 1000;
      for (let t = t0; t < t0 + 15 * MINUTE_MS; t += period) push(personLogon(org, v, t, staticAddress(v, d), 'desktop'), c);
    }
    // A dormant account woken up: weeks of silence, then a logon from outside, the VPN or the portal.
    {
      const candidates = away.filter((p) => !usedDormant.has(p.uid));
      if (candidates.length > 0) {
        const v = rng.pick(candidates);
        usedDormant.add(v.uid);
        const first = v.longLeave!.from + 31;
        const last = Math.min(v.longLeave!.until, o.days) - 1;
        const t0 = dayStart(rng.int(first, last)) + rng.int(7, 20) * HOUR_MS + rng.int(0, 59) * MINUTE_MS;
        const c = start(AttackType.Dormant, t0, v.uid);
        const path = rng.int(0, 2);
        if (path === 0) push(personLogon(org, v, t0, attacker(204), 'desktop'), c);
        else {
          const server = path === 1 ? inf.radius : inf.portal;
          push(serviceLogon(org, server.serviceAccount!, t0 - 500, server.address, server.app));
          push(personLogon(org, v, t0, server.address, server.app, 'success', { server, relayed: true }), c);
        }
      }
    }
    // A privileged account at night, from a server its admin works on every day.
    if (admins.length > 0) {
      const v = rng.pick(admins);
      const t0 = dayStart(attackDay()) + (1 + rng.next() * 3.5) * HOUR_MS;
      const c = start(AttackType.PrivilegedOddHour, t0, v.uid);
      const host = rng.pick(adminServers(v));
      for (let i = 0, n = rng.int(1, 3); i < n; i++) push(personLogon(org, v, t0 + i * rng.int(2, 20) * MINUTE_MS, host, 'ssh'), c);
    }
  }
  return campaigns;
}
