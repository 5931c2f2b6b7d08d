/**
 * Generates weeks of logons for a simulated organisation: benign behaviour with drift
 * (holidays, hires and leavers, new laptops, VPN churn, trips, password typos, helpdesk
 * visits) and labelled attack campaigns. Same seed → same events.
 */
import type { BindResult } from '../behavior/bind-result.js';
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../behavior/decay.js';
import { AccountKind, type LogonEvent } from '../behavior/logon-event.js';
import { subnetOf } from '../util/cidr.js';
import { Rng } from '../util/random.js';
import { buildOrganisation, Persona, VPN_POOL_PREFIX, type Organisation, type Person } from './org.js';

export const AttackType = {
  StolenDay: 'stolen_credentials_day',
  StolenNight: 'stolen_credentials_night',
  Lateral: 'lateral_movement',
  SprayFast: 'password_spray_fast',
  SpraySlow: 'password_spray_slow',
  BruteForce: 'brute_force',
  ServiceNewHost: 'service_new_host',
  Scripted: 'scripted_binds',
} as const;
export type AttackType = (typeof AttackType)[keyof typeof AttackType];

export interface Campaign {
  id: number;
  type: AttackType;
  start: number;
  victim: string;
}

export interface LabelledEvent {
  event: LogonEvent;
  /** The campaign this event belongs to; absent for benign events. */
  campaign?: number;
}

export interface SimulationOptions {
  seed: number;
  users: number;
  services: number;
  days: number;
  /** Attacks start after this many days (the baseline warm-up). */
  warmupDays: number;
  attacksPerType: number;
  /** First day of the simulation, at 00:00 UTC. */
  start: number;
}

export const defaultSimulation: Readonly<SimulationOptions> = Object.freeze({
  seed: 7, users: 2_000, services: 60, days: 42, warmupDays: 14, attacksPerType: 12, start: Date.UTC(2026, 0, 5),
});

export interface Simulation {
  options: SimulationOptions;
  org: Organisation;
  events: LabelledEvent[];
  campaigns: Campaign[];
}

const BASE = 'dc=sim,dc=example';

function logon(time: number, uid: string, department: string, kind: AccountKind, endpoint: string, app: string, result: BindResult = 'success'): LogonEvent {
  const ou = kind === AccountKind.Service ? 'ou=Services' : `ou=${department},ou=People`;
  return {
    time: Math.round(time), account: uid, bindName: `uid=${uid},${ou},${BASE}`, kind, endpoint, subnet: subnetOf(endpoint), app, result,
    ...(kind === AccountKind.Service ? {} : { peerGroup: department }),
    // The intranet portal binds as its service account, searches, then binds as the user:
    // what the proxy sees on its connection (ConnectionContext) makes the bind relayed.
    ...(app === 'intranet' ? { relayed: true, previousAccount: 'svc-intranet' } : {}),
  };
}

const kindOf = (p: Person): AccountKind => (p.privileged ? AccountKind.Privileged : AccountKind.Human);

export function simulate(opts: Partial<SimulationOptions> = {}): Simulation {
  const o: SimulationOptions = { ...defaultSimulation, ...opts };
  const org = buildOrganisation(o);
  const rng = new Rng(o.seed * 7919 + 1);
  const events: LabelledEvent[] = [];
  const push = (ev: LogonEvent, campaign?: number): void => {
    events.push(campaign === undefined ? { event: ev } : { event: ev, campaign });
  };
  for (const p of org.people) benignPerson(p, org, o, rng, push);
  for (const s of org.services) {
    let t = o.start + rng.next() * s.periodMinutes * MINUTE_MS;
    const end = o.start + o.days * DAY_MS;
    while (t < end) {
      push(logon(t, s.uid, 'services', AccountKind.Service, rng.pick(s.hosts), 'batch'));
      t += s.periodMinutes * MINUTE_MS * (1 + rng.normal(0, 0.01));
    }
  }
  const campaigns = attacks(org, o, rng, push);
  events.sort((a, b) => a.event.time - b.event.time);
  return { options: o, org, events, campaigns };
}

function benignPerson(p: Person, org: Organisation, o: SimulationOptions, rng: Rng, push: (ev: LogonEvent) => void): void {
  const kind = kindOf(p);
  let trip: { until: number; subnet: string } | null = null;
  const servers = Array.from({ length: 6 }, (_, i) => `127.40.${p.site}.${(Number(p.uid.slice(1)) * 7 + i) % 250 + 1}`);
  for (let d = Math.max(0, p.firstDay); d <= Math.min(o.days - 1, p.lastDay); d++) {
    if (d >= p.holidayStart && d < p.holidayStart + 7) continue;
    const day = o.start + d * DAY_MS;
    const weekday = (new Date(day).getUTCDay() + 6) % 7;
    const workstation = p.newWorkstation && d >= p.newWorkstation.day ? p.newWorkstation.address : p.workstation;
    const at = (hourOffset: number): number => day + (p.startHour + hourOffset) * HOUR_MS + rng.normal(0, 10) * MINUTE_MS;
    const emit = (time: number, endpoint: string, app: string): void => {
      if (rng.chance(0.04)) push(logon(time - rng.int(10, 40) * 1000, p.uid, p.department, kind, endpoint, app, 'bad_password'));
      push(logon(time, p.uid, p.department, kind, endpoint, app));
    };
    if (p.persona === Persona.Shift) {
      if ((weekday + Number(p.uid.slice(1))) % 7 >= 5) continue; // two rotating days off
      const n = rng.int(2, 3);
      for (let i = 0; i < n; i++) emit(at(rng.next() * 7.5), rng.pick(org.terminals.slice(0, 20 + (p.startHour % 20))), 'terminal');
      continue;
    }
    if (weekday >= 5 && !rng.chance(0.05)) continue;
    const vpnAddress = (): string => `${VPN_POOL_PREFIX}.${rng.int(0, 15)}.${rng.int(1, 250)}`;
    if (p.persona === Persona.Remote) {
      const n = rng.int(2, 4);
      for (let i = 0; i < n; i++) emit(at(rng.next() * 9), vpnAddress(), 'vpn');
      continue;
    }
    if (p.persona === Persona.Traveller) {
      if (!trip && rng.chance(0.15)) trip = { until: d + rng.int(2, 4), subnet: `127.${60 + rng.int(0, 19)}.${rng.int(0, 250)}` };
      if (trip && d <= trip.until) {
        const address = `${trip.subnet}.${rng.int(1, 250)}`;
        for (let i = 0, n = rng.int(1, 3); i < n; i++) emit(at(rng.next() * 10 - 1), address, 'vpn');
        continue;
      }
      trip = null;
    }
    const n = rng.int(2, 5);
    for (let i = 0; i < n; i++) {
      const time = at(rng.next() * 9);
      if (p.usesIntranet && rng.chance(0.3)) emit(time, org.appServer, 'intranet');
      else emit(time, workstation, 'desktop');
    }
    if (rng.chance(0.08)) emit(day + rng.int(19, 21) * HOUR_MS + rng.next() * HOUR_MS, vpnAddress(), 'vpn');
    if (p.persona === Persona.Helpdesk && rng.chance(0.25)) {
      const colleagues = org.people.filter((x) => x.site === p.site && x.persona !== Persona.Shift);
      for (let i = 0, k = rng.int(1, 2); i < k; i++) emit(at(rng.next() * 8), rng.pick(colleagues).workstation, 'desktop');
    }
    if (p.persona === Persona.Admin) {
      for (let i = 0, k = rng.int(1, 3); i < k; i++) emit(at(rng.next() * 8), rng.pick(servers), 'ssh');
    }
  }
}

function attacks(org: Organisation, o: SimulationOptions, rng: Rng, push: (ev: LogonEvent, campaign?: number) => void): Campaign[] {
  const campaigns: Campaign[] = [];
  const office = org.people.filter((p) => p.persona === Persona.Office && p.firstDay === 0 && p.lastDay === o.days);
  // Attacks happen after the warm-up, on weekdays when there are any (bounded: no retry loop).
  const window = Array.from({ length: Math.max(0, o.days - o.warmupDays) }, (_, i) => o.start + (o.warmupDays + i) * DAY_MS);
  const weekdays = window.filter((day) => (new Date(day).getUTCDay() + 6) % 7 < 5);
  const days = weekdays.length > 0 ? weekdays : window;
  if (days.length === 0 || office.length === 0) return campaigns;
  const attackDay = (): number => rng.pick(days);
  const attacker = (prefix: number): string => `127.${prefix}.${rng.int(0, 250)}.${rng.int(1, 250)}`;
  let id = 0;
  const start = (type: AttackType, time: number, victim: string): number => {
    campaigns.push({ id: ++id, type, start: Math.round(time), victim });
    return id;
  };
  for (let k = 0; k < o.attacksPerType; k++) {
    // Stolen credentials used from a new endpoint, by day and by night.
    for (const night of [false, true]) {
      const v = rng.pick(office);
      const t0 = attackDay() + (night ? rng.int(0, 4) : rng.int(9, 16)) * HOUR_MS + rng.int(0, 59) * MINUTE_MS;
      const c = start(night ? AttackType.StolenNight : AttackType.StolenDay, t0, v.uid);
      const ep = attacker(200);
      for (let i = 0, n = rng.int(1, 3); i < n; i++) push(logon(t0 + i * rng.int(3, 20) * MINUTE_MS, v.uid, v.department, kindOf(v), ep, rng.pick(['vpn', 'desktop'])), c);
    }
    // Lateral movement: one account on several colleagues' workstations within minutes.
    {
      const v = rng.pick(office);
      const t0 = attackDay() + rng.int(9, 16) * HOUR_MS;
      const c = start(AttackType.Lateral, t0, v.uid);
      const targets = org.people.filter((x) => x.site === v.site && x.uid !== v.uid && x.persona === Persona.Office);
      let t = t0;
      for (let i = 0, n = rng.int(4, 6); i < n; i++) {
        push(logon(t, v.uid, v.department, kindOf(v), rng.pick(targets).workstation, 'desktop'), c);
        t += rng.int(2, 6) * MINUTE_MS;
      }
    }
    // Password spraying, fast and slow: one password, many accounts, one source.
    for (const slow of [false, true]) {
      const t0 = attackDay() + rng.int(0, 23) * HOUR_MS;
      const c = start(slow ? AttackType.SpraySlow : AttackType.SprayFast, t0, '*');
      const ep = attacker(slow ? 202 : 201);
      const n = slow ? 25 : 40;
      let t = t0;
      for (let i = 0; i < n; i++) {
        const v = rng.pick(org.people);
        const hit = i === n - 1 && rng.chance(0.3);
        push(logon(t, v.uid, v.department, kindOf(v), ep, 'vpn', hit ? 'success' : 'bad_password'), c);
        t += slow ? rng.int(10, 30) * MINUTE_MS : rng.int(5, 15) * 1000;
      }
    }
    // Brute force: many passwords against one account, maybe a success at the end.
    {
      const v = rng.pick(office);
      const t0 = attackDay() + rng.int(0, 23) * HOUR_MS;
      const c = start(AttackType.BruteForce, t0, v.uid);
      const ep = attacker(203);
      let t = t0;
      for (let i = 0; i < 30; i++, t += rng.int(5, 10) * 1000) push(logon(t, v.uid, v.department, kindOf(v), ep, 'vpn', 'bad_password'), c);
      if (rng.chance(0.5)) push(logon(t, v.uid, v.department, kindOf(v), ep, 'vpn'), c);
    }
    // A service account used from a host it never runs on.
    if (org.services.length > 0) {
      const s = rng.pick(org.services);
      const t0 = attackDay() + rng.int(0, 23) * HOUR_MS;
      const c = start(AttackType.ServiceNewHost, t0, s.uid);
      const ep = `127.31.${rng.int(0, 250)}.${rng.int(1, 250)}`;
      for (let i = 0; i < 3; i++) push(logon(t0 + i * s.periodMinutes * MINUTE_MS, s.uid, 'services', AccountKind.Service, ep, 'batch'), c);
    }
    // Scripted binds on a person's account from their own workstation (malware).
    {
      const v = rng.pick(office);
      const t0 = attackDay() + rng.int(9, 16) * HOUR_MS;
      const c = start(AttackType.Scripted, t0, v.uid);
      const period = rng.int(20, 60) * 1000;
      for (let t = t0; t < t0 + 15 * MINUTE_MS; t += period) push(logon(t, v.uid, v.department, kindOf(v), v.workstation, 'desktop'), c);
    }
  }
  return campaigns;
}
