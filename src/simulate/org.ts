/**
 * A simulated organisation: people with personas across departments and sites, service
 * accounts on fixed hosts, an intranet app server, shared plant terminals, a VPN pool.
 * Every address is in 127.0.0.0/8, so the same organisation can be replayed live from
 * distinct loopback source addresses.
 */
import { Rng } from '../util/random.js';

export const Persona = {
  Office: 'office',
  Remote: 'remote',
  Shift: 'shift',
  Traveller: 'traveller',
  Helpdesk: 'helpdesk',
  Admin: 'admin',
} as const;
export type Persona = (typeof Persona)[keyof typeof Persona];

export interface Person {
  uid: string;
  department: string;
  site: number;
  persona: Persona;
  privileged: boolean;
  workstation: string;
  /** Start hour (UTC) of the working day or shift. */
  startHour: number;
  /** Days (from the simulation's start) the person is active: hires start late, leavers stop early. */
  firstDay: number;
  lastDay: number;
  /** A week off, as its first day. */
  holidayStart: number;
  /** A new laptop from this day on (benign drift), if any. */
  newWorkstation?: { day: number; address: string };
  usesIntranet: boolean;
}

export interface ServiceAccount {
  uid: string;
  hosts: string[];
  periodMinutes: number;
}

export interface Organisation {
  people: Person[];
  services: ServiceAccount[];
  appServer: string;
  terminals: string[];
  departments: string[];
}

export const DEPARTMENTS = ['finance', 'engineering', 'sales', 'it', 'hr', 'operations', 'legal', 'marketing', 'support', 'plant'] as const;
export const VPN_POOL_PREFIX = '127.50';
export const ATTACKER_PREFIX = '127.200';

export function workstationAddress(site: number, index: number): string {
  return `127.${10 + site}.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

export interface OrgOptions {
  seed: number;
  users: number;
  services: number;
  days: number;
}

export function buildOrganisation(o: OrgOptions): Organisation {
  const rng = new Rng(o.seed);
  const people: Person[] = [];
  const perSite = [0, 0, 0];
  for (let i = 0; i < o.users; i++) {
    const department = DEPARTMENTS[i % DEPARTMENTS.length]!;
    const site = department === 'plant' ? 2 : i % 2;
    const r = rng.next();
    const persona: Persona = department === 'plant' ? Persona.Shift
      : department === 'it' && r < 0.25 ? Persona.Admin
        : department === 'it' || department === 'support' ? (r < 0.6 ? Persona.Helpdesk : Persona.Office)
          : r < 0.12 ? Persona.Remote : r < 0.18 ? Persona.Traveller : Persona.Office;
    const index = perSite[site]!++;
    const hired = rng.chance(0.03);
    const leaves = !hired && rng.chance(0.03);
    people.push({
      uid: `u${String(i + 1).padStart(5, '0')}`,
      department,
      site,
      persona,
      privileged: persona === Persona.Admin,
      workstation: workstationAddress(site, index),
      startHour: persona === Persona.Shift ? rng.pick([6, 14, 22]) : rng.int(7, 9),
      firstDay: hired ? rng.int(Math.floor(o.days / 3), Math.floor((2 * o.days) / 3)) : 0,
      lastDay: leaves ? rng.int(Math.floor(o.days / 3), o.days - 3) : o.days,
      // A week off, for simulations long enough to have one.
      holidayStart: o.days >= 14 ? rng.int(0, o.days - 7) : o.days + 1,
      ...(rng.chance(0.03) && persona !== Persona.Shift ? { newWorkstation: { day: rng.int(5, o.days - 2), address: workstationAddress(site, 10_000 + index) } } : {}),
      usesIntranet: rng.chance(0.4),
    });
  }
  const services: ServiceAccount[] = [];
  for (let i = 0; i < o.services; i++) {
    services.push({
      uid: `svc-${String(i + 1).padStart(3, '0')}`,
      hosts: rng.chance(0.3) ? [`127.30.0.${i + 1}`, `127.30.1.${i + 1}`] : [`127.30.0.${i + 1}`],
      periodMinutes: rng.pick([5, 15, 30, 60, 240]),
    });
  }
  const terminals = Array.from({ length: 40 }, (_, i) => `127.20.0.${i + 1}`);
  return { people, services, appServer: '127.5.0.10', terminals, departments: [...DEPARTMENTS] };
}
