/**
 * A simulated organisation the way a proxy in front of Active Directory meets it: people
 * with personas across departments and sites; workstations, some on DHCP leases that
 * change and get reused, most domain-joined (their computer accounts bind too); app
 * servers that bind for their users from their own address (a web portal and a RADIUS
 * server for the VPN, each with a service account; a mail server that binds as each user);
 * ward terminals many people share; service accounts on fixed hosts, one embedded in a
 * desktop client on many workstations, a nightly HR sync. Every address is in 127.0.0.0/8,
 * so the same organisation can be replayed live from distinct loopback source addresses.
 */
import { Rng } from '../util/random.js';

export const Persona = {
  Office: 'office',
  Remote: 'remote',
  Shift: 'shift',
  Rounds: 'rounds',
  Traveller: 'traveller',
  Helpdesk: 'helpdesk',
  Admin: 'admin',
} as const;
export type Persona = (typeof Persona)[keyof typeof Persona];

export interface Person {
  /** The login name (sAMAccountName): what every name form resolves to with directory facts. */
  uid: string;
  /** The display name, the CN of the entry's DN in AD ("Judith Lopez" or "Lopez, Judith"). */
  displayName: string;
  department: string;
  site: number;
  persona: Persona;
  privileged: boolean;
  /** The workstation's address on the first day (a DHCP laptop's first lease). */
  workstation: string;
  /** Its computer account ("ws-s0-0012$"). */
  device: string;
  /** The computer account binds through the proxy when the machine starts or gets a new lease. */
  domainJoined: boolean;
  /** A laptop whose address changes with its DHCP lease. */
  dhcp: boolean;
  /** The desktop tools bind with DOMAIN\\sam, or with the UPN. */
  desktopForm: 'sam' | 'upn';
  /** Start hour (UTC) of the working day or shift. */
  startHour: number;
  /** Days (from the simulation's start) the person is active: hires start late, leavers stop early. */
  firstDay: number;
  lastDay: number;
  /** A week off, as its first day. */
  holidayStart: number;
  /** Weeks away (parental leave, sickness): a benign dormant account coming back. */
  longLeave?: { from: number; until: number };
  /** A new laptop from this day on (benign drift), if any. */
  newWorkstation?: { day: number; address: string; device: string };
  usesPortal: boolean;
  /** Reads mail through the mail server; a phone also syncs in the evening. */
  usesMail: boolean;
  phoneMail: boolean;
  /** Ward terminals a nurse or a physician on rounds uses. */
  ward: string[];
}

export interface ServiceAccount {
  uid: string;
  hosts: string[];
  periodMinutes: number;
}

/** An app server: binds as its service account, searches, then binds as the user. */
export interface AppServer {
  app: string;
  address: string;
  /** Its service account; absent for an app that binds as each user (a mail server's auth_bind). */
  serviceAccount?: string;
}

export interface Infrastructure {
  portal: AppServer;
  radius: AppServer;
  mail: AppServer;
  /** A service account embedded in a desktop reporting tool: it binds from its users' workstations. */
  embeddedService: string;
  hrSync: { uid: string; host: string; hour: number };
  /** A DHCP range per site, `dhcpPoolSize` addresses: few enough that leases get reused. */
  dhcpAddress: (site: number, slot: number) => string;
  dhcpPoolSize: number;
  /** A conference: attendees bind from the hotel's one NAT address for a few days. */
  conference: { day: number; days: number; address: string };
  /** A department moves floors: its workstations get addresses in a new subnet. */
  officeMove: { day: number; department: string; site: number };
  /** A Monday on which a batch of passwords expired over the weekend. */
  expiryDay: number;
}

export interface Organisation {
  people: Person[];
  services: ServiceAccount[];
  infra: Infrastructure;
  terminals: string[];
  departments: string[];
  domain: { netbios: string; upnSuffix: string; base: string };
}

export const DEPARTMENTS = ['finance', 'engineering', 'sales', 'it', 'hr', 'operations', 'legal', 'clinical', 'support', 'wards'] as const;
export const VPN_POOL_PREFIX = '127.50';
export const ATTACKER_PREFIX = '127.200';
export const DOMAIN = Object.freeze({ netbios: 'CORP', upnSuffix: 'corp.example', base: 'DC=corp,DC=example' });

export function workstationAddress(site: number, index: number): string {
  return `127.${10 + site}.${Math.floor(index / 250)}.${(index % 250) + 1}`;
}

const FIRST = ['Judith', 'Omar', 'Mei', 'Carlos', 'Aisha', 'Pieter', 'Sofia', 'Kwame', 'Ingrid', 'Ravi', 'Hannah', 'Tomás', 'Yuki', 'Fatima', 'Liam',
  'Chloé', 'Dmitri', 'Amara', 'Jonas', 'Priya', 'Mateo', 'Zoë', 'Henrik', 'Nadia', 'Samuel', 'Leila', 'Bruno', 'Anika', 'Gabriel', 'Siobhan'];
const LAST = ['Lopez', 'Nakamura', 'Okafor', 'Schmidt', 'Haddad', 'Novak', 'García', 'Johansson', 'Mensah', 'Kowalski', 'Rossi', 'Patel', 'Dubois',
  'Gonzalez', 'Ivanova', 'Moreau', 'Kim', 'Andersen', 'Costa', 'Fischer', 'Singh', "O'Brien", 'Müller', 'Silva', 'Yilmaz', 'Chen', 'Brown', 'Hughes'];

/** sAMAccountName-like login: first initial and surname, ASCII, unique. */
function loginFor(first: string, last: string, taken: Map<string, number>): string {
  const ascii = (s: string): string => s.normalize('NFD').replace(/[^A-Za-z]/g, '').toLowerCase();
  const stem = `${ascii(first)[0]}${ascii(last)}`.slice(0, 18);
  const n = (taken.get(stem) ?? 0) + 1;
  taken.set(stem, n);
  return n === 1 ? stem : `${stem}${n}`;
}

export interface OrgOptions {
  seed: number;
  users: number;
  services: number;
  days: number;
  /** Days of warm-up: the drift events (conference, office move, expiry day) come after it. */
  warmupDays?: number;
}

export function buildOrganisation(o: OrgOptions): Organisation {
  const rng = new Rng(o.seed);
  const people: Person[] = [];
  const perSite = [0, 0, 0];
  const logins = new Map<string, number>();
  const displayNames = new Map<string, number>();
  const terminals = Array.from({ length: 60 }, (_, i) => `127.20.${Math.floor(i / 20)}.${(i % 20) + 1}`);
  for (let i = 0; i < o.users; i++) {
    const department = DEPARTMENTS[i % DEPARTMENTS.length]!;
    const site = department === 'wards' || department === 'clinical' ? 2 : i % 2;
    const r = rng.next();
    const persona: Persona = department === 'wards' ? Persona.Shift
      : department === 'clinical' ? (r < 0.7 ? Persona.Rounds : Persona.Office)
        : department === 'it' && r < 0.25 ? Persona.Admin
          : department === 'it' || department === 'support' ? (r < 0.6 ? Persona.Helpdesk : Persona.Office)
            : r < 0.12 ? Persona.Remote : r < 0.18 ? Persona.Traveller : Persona.Office;
    const index = perSite[site]!++;
    const hired = rng.chance(0.03);
    const leaves = !hired && rng.chance(0.03);
    const first = rng.pick(FIRST);
    const last = rng.pick(LAST);
    const uid = loginFor(first, last, logins);
    // AD wants a CN unique within its OU; people with the same name get a middle initial.
    const seen = (displayNames.get(`${first} ${last}`) ?? 0) + 1;
    displayNames.set(`${first} ${last}`, seen);
    const middle = seen > 1 ? ` ${String.fromCharCode(64 + ((seen - 1) % 26) + 1)}.` : '';
    const displayName = rng.chance(0.2) ? `${last}, ${first}${middle}` : `${first}${middle} ${last}`;
    const dhcp = persona !== Persona.Shift && rng.chance(0.35);
    const device = `ws-s${site}-${String(index).padStart(4, '0')}$`;
    const wardStart = rng.int(0, terminals.length - 12);
    const longLeave = !hired && !leaves && o.days >= 40 && rng.chance(0.006) ? { from: rng.int(1, 5), until: rng.int(o.days - 6, o.days + 10) } : undefined;
    people.push({
      uid, displayName, department, site, persona,
      privileged: persona === Persona.Admin,
      workstation: dhcp ? dhcpAddress(site, rng.int(0, DHCP_POOL_SIZE - 1)) : workstationAddress(site, index),
      device, domainJoined: rng.chance(0.75), dhcp,
      desktopForm: rng.chance(0.7) ? 'sam' : 'upn',
      startHour: persona === Persona.Shift ? rng.pick([6, 14, 22]) : rng.int(7, 9),
      firstDay: hired ? rng.int(Math.floor(o.days / 3), Math.floor((2 * o.days) / 3)) : 0,
      lastDay: leaves ? rng.int(Math.floor(o.days / 3), o.days - 3) : o.days,
      // A week off, for simulations long enough to have one.
      holidayStart: o.days >= 14 ? rng.int(0, o.days - 7) : o.days + 1,
      ...(longLeave ? { longLeave } : {}),
      // A new laptop gets an address from the site's DHCP range.
      ...(rng.chance(0.03) && persona !== Persona.Shift && !dhcp
        ? { newWorkstation: { day: rng.int(5, o.days - 2), address: dhcpAddress(site, rng.int(0, DHCP_POOL_SIZE - 1)), device: `ws-s${site}-n${String(index).padStart(4, '0')}$` } } : {}),
      usesPortal: rng.chance(0.4),
      usesMail: rng.chance(0.6),
      phoneMail: rng.chance(0.3),
      ward: terminals.slice(wardStart, wardStart + (persona === Persona.Rounds ? 12 : 6)),
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
  const after = Math.min(o.days - 1, (o.warmupDays ?? Math.floor(o.days / 3)) + 1);
  const weekdayFrom = (d: number, wanted: (weekday: number) => boolean): number => {
    for (let k = 0; k < 7; k++) if (wanted((d + k) % 7)) return Math.min(o.days - 1, d + k);
    return d;
  };
  // Day 0 is a Monday (the default start); weekdays are 0–4.
  const infra: Infrastructure = {
    portal: { app: 'portal', address: '127.5.0.10', serviceAccount: 'svc-portal' },
    radius: { app: 'vpn', address: '127.6.0.10', serviceAccount: 'svc-radius' },
    mail: { app: 'mail', address: '127.7.0.10' },
    embeddedService: 'svc-reports',
    hrSync: { uid: 'svc-hrsync', host: '127.30.9.1', hour: 2 },
    dhcpAddress, dhcpPoolSize: DHCP_POOL_SIZE,
    conference: { day: conferenceDay(weekdayFrom(rng.int(after, Math.max(after, o.days - 4)), (w) => w <= 2), o.days), days: 3, address: `127.71.${rng.int(0, 250)}.${rng.int(1, 250)}` },
    officeMove: { day: weekdayFrom(rng.int(after, Math.max(after, o.days - 3)), (w) => w < 5), department: 'finance', site: 0 },
    expiryDay: weekdayFrom(rng.int(after, Math.max(after, o.days - 2)), (w) => w === 0),
  };
  return { people, services, infra, terminals, departments: [...DEPARTMENTS], domain: DOMAIN };
}

const DHCP_POOL_SIZE = 500;

/** The conference's three days fit in the simulation (a week earlier if need be). */
const conferenceDay = (d: number, days: number): number => (d + 3 > days && d >= 7 ? d - 7 : d);

function dhcpAddress(site: number, slot: number): string {
  return `127.${10 + site}.${200 + Math.floor(slot / 250)}.${(slot % 250) + 1}`;
}

/** Where a person's workstation is on a day (an office move readdresses a department). */
export function movedAddress(p: Person, org: Organisation, day: number, address: string): string {
  const m = org.infra.officeMove;
  if (p.dhcp || p.department !== m.department || p.site !== m.site || day < m.day) return address;
  const last = address.split('.').pop();
  return `127.${10 + p.site}.77.${last}`;
}
