/**
 * The organisation in the cloud: Okta sign-ins and SSO to its apps, as Okta's System Log
 * records them, for the people who work there — from their site's egress address (or home,
 * for remote workers) minutes after they log on at their desk — and stolen credentials used
 * from abroad while their owner is at the office. The LogEvents go through the connector's
 * own mapping, so the evaluation measures what bindwall would learn; on-prem binds from a
 * site's workstations carry the site's place, for impossible travel. Its own random stream:
 * the on-prem events are the same with or without it.
 */
import { logonFromOkta } from '../connectors/okta-sso/mapping.js';
import type { OktaLogEvent } from '../connectors/okta-sso/mapping.js';
import { Rng } from '../util/random.js';
import { AttackType, type Campaign } from './attacks.js';
import type { LabelledEvent } from './generate.js';
import { Persona, type Organisation, type Person } from './org.js';

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/** The sites, near enough to each other that going between them is a drive, and their internet egress. */
export const SITES = [
  { name: 'London', lat: 51.5072, lon: -0.1276, egress: '81.2.69.160' },
  { name: 'Reading', lat: 51.4543, lon: -0.9781, egress: '81.2.69.170' },
  { name: 'Oxford', lat: 51.752, lon: -1.2577, egress: '81.2.69.180' },
] as const;

const APPS = ['Salesforce', 'Slack', 'Workday', 'Office 365', 'Zoom', 'Jira'];
const ABROAD = [
  { city: 'Lagos', country: 'Nigeria', lat: 6.5244, lon: 3.3792, prefix: '102.89' },
  { city: 'São Paulo', country: 'Brazil', lat: -23.5505, lon: -46.6333, prefix: '177.12' },
  { city: 'Jakarta', country: 'Indonesia', lat: -6.2088, lon: 106.8456, prefix: '36.66' },
];

const CLOUD_PERSONAS: ReadonlySet<string> = new Set([Persona.Office, Persona.Remote, Persona.Admin, Persona.Traveller, Persona.Helpdesk]);

export interface CloudFrame {
  seed: number;
  start: number;
  days: number;
  warmupDays: number;
  attacksPerType: number;
}

function signIn(uuid: string, login: string, time: number, ip: string, place: { city: string; country: string; lat: number; lon: number }, app?: string, zone?: string): OktaLogEvent & { version: string; severity: string } {
  return {
    uuid, published: new Date(Math.round(time)).toISOString(), eventType: app ? 'user.authentication.sso' : 'user.session.start', version: '0', severity: 'INFO',
    actor: { id: `00u${login}`, type: 'User', alternateId: login, displayName: login },
    client: { ipAddress: ip, zone: zone ?? 'null', geographicalContext: { city: place.city, country: place.country, geolocation: { lat: place.lat, lon: place.lon } } },
    outcome: { result: 'SUCCESS', reason: null },
    target: app ? [{ type: 'AppInstance', displayName: app, alternateId: app.toLowerCase().replace(/\s/g, '') }] : null,
  };
}

/**
 * Adds cloud sign-ins (benign and stolen) to a simulation's events, and the site's place to
 * on-prem desktop logons from its workstations. Returns the added Okta LogEvents too (the
 * simulator's System Log, `simulate --okta-out`).
 */
export function addCloud(org: Organisation, o: CloudFrame, events: LabelledEvent[], campaigns: Campaign[]): { log: OktaLogEvent[] } {
  const rng = new Rng(o.seed * 104_729 + 11);
  const log: OktaLogEvent[] = [];
  let n = 0;
  const next = (): string => `sim-${o.seed}-${(++n).toString(36)}`;
  const people = new Map(org.people.map((p) => [p.uid, p]));
  const users = new Map<string, { person: Person; apps: string[] }>();
  for (const p of org.people) {
    if (!CLOUD_PERSONAS.has(p.persona) || !rng.chance(0.6)) continue;
    const apps = [...APPS];
    for (let i = apps.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [apps[i], apps[j]] = [apps[j]!, apps[i]!];
    }
    apps.length = rng.int(1, 3);
    users.set(p.uid, { person: p, apps });
  }
  const upn = (p: Person): string => `${p.uid}@${org.domain.upnSuffix}`;
  const firstOfDay = new Map<string, LabelledEvent>();
  for (const e of events) {
    const ev = e.event;
    const p = people.get(ev.account);
    if (!p || e.campaign !== undefined || ev.app !== 'desktop' || ev.result !== 'success' || ev.relayed || ev.kind === 'computer') continue;
    // At a site's own workstation range: the site's place (the evaluation has no mapper to say it).
    if (ev.endpoint.startsWith(`127.${10 + p.site}.`)) {
      const s = SITES[p.site % SITES.length]!;
      ev.place = { lat: s.lat, lon: s.lon, name: s.name };
    }
    const key = `${ev.account}:${Math.floor(ev.time / DAY_MS)}`;
    if (!firstOfDay.has(key)) firstOfDay.set(key, e);
  }
  const added: LabelledEvent[] = [];
  const push = (le: OktaLogEvent, campaign?: number): void => {
    const logon = logonFromOkta(le);
    if (!logon) return;
    log.push(le);
    added.push(campaign === undefined ? { event: logon } : { event: logon, campaign });
  };
  for (const e of firstOfDay.values()) {
    const u = users.get(e.event.account);
    if (!u || !rng.chance(0.8)) continue;
    const s = SITES[u.person.site % SITES.length]!;
    const home = u.person.persona === Persona.Remote;
    const ip = home ? `86.${10 + u.person.site}.${rng.int(0, 3)}.${(u.person.uid.length * 7) % 250 + 1}` : s.egress;
    const place = { city: s.name, country: 'United Kingdom', lat: s.lat + (home ? 0.05 : 0), lon: s.lon };
    const t = e.event.time + rng.int(5, 40) * MINUTE_MS;
    // The offices' egress is an Okta network zone the org defined; a home address is not.
    const zone = home ? undefined : 'Offices';
    push(signIn(next(), upn(u.person), t, ip, place, undefined, zone));
    for (const app of u.apps) if (rng.chance(0.7)) push(signIn(next(), upn(u.person), t + rng.int(1, 120) * MINUTE_MS, ip, place, app, zone));
  }
  // Stolen credentials used in the cloud from abroad while the owner is at their desk.
  const candidates = [...firstOfDay.values()].filter((e) => users.has(e.event.account) && e.event.place && e.event.time >= o.start + o.warmupDays * DAY_MS);
  let id = campaigns.reduce((m, c) => Math.max(m, c.id), 0);
  for (let i = 0; i < o.attacksPerType && candidates.length > 0; i++) {
    const e = rng.pick(candidates);
    const u = users.get(e.event.account)!;
    const where = rng.pick(ABROAD);
    const t = e.event.time + rng.int(20, 90) * MINUTE_MS;
    campaigns.push({ id: ++id, type: AttackType.StolenCloud, start: Math.round(t), victim: u.person.uid });
    const ip = `${where.prefix}.${rng.int(0, 250)}.${rng.int(1, 250)}`;
    push(signIn(next(), upn(u.person), t, ip, where), id);
    push(signIn(next(), upn(u.person), t + rng.int(1, 5) * MINUTE_MS, ip, where, 'Salesforce'), id);
  }
  events.push(...added);
  return { log };
}
