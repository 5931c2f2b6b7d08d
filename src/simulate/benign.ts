/**
 * Benign traffic, person by person and day by day: workstations (some on DHCP leases that
 * change and get reused, computer accounts binding at boot and on a new lease), the portal
 * and the VPN's RADIUS server binding for their users after their service accounts, the
 * mail server binding as each user (phones in the evening too), ward terminals and rounds,
 * helpdesk visits, admins on servers, trips, a conference NAT, an office move, a
 * password-expiry morning, long leaves; and the service accounts (fixed hosts, one embedded
 * in a desktop client, a nightly HR sync).
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from '../behavior/decay.js';
import type { BindResult } from '../behavior/bind-result.js';
import type { LogonEvent } from '../behavior/logon-event.js';
import { Rng } from '../util/random.js';
import { computerLogon, personLogon, serviceLogon, type Via } from './logons.js';
import { movedAddress, Persona, VPN_POOL_PREFIX, type AppServer, type Organisation, type Person } from './org.js';

/** `password` names which wrong password a failure tried, when it repeats one (a phone's stale password): smart lockout counts it once. */
export type Push = (ev: LogonEvent, campaign?: number, password?: string) => void;

export interface DayFrame {
  start: number;
  days: number;
}

const vpnAddress = (rng: Rng): string => `${VPN_POOL_PREFIX}.${rng.int(0, 15)}.${rng.int(1, 250)}`;

/** Who is at the conference (chosen once, from people with laptops who travel for work). */
export function conferenceAttendees(org: Organisation, rng: Rng): Set<string> {
  const eligible = org.people.filter((p) => p.firstDay === 0 && (p.persona === Persona.Office || p.persona === Persona.Traveller) && p.department !== 'wards');
  const out = new Set<string>();
  for (let i = 0; i < 30 && eligible.length > 0; i++) out.add(rng.pick(eligible).uid);
  return out;
}

/** Whose password expired over the weekend before the expiry day. */
export function expiredPasswords(org: Organisation, rng: Rng): Set<string> {
  return new Set(org.people.filter(() => rng.chance(0.08)).map((p) => p.uid));
}

interface PersonState {
  address: string;
  device: string;
  leaseUntil: number;
}

export function benignPerson(p: Person, org: Organisation, f: DayFrame, rng: Rng, push: Push, ctx: { conference: Set<string>; expired: Set<string> }): void {
  const st: PersonState = { address: p.workstation, device: p.device, leaseUntil: rng.int(1, 5) };
  let trip: { until: number; subnet: string } | null = null;
  const servers = adminServers(p);
  const inf = org.infra;
  for (let d = Math.max(0, p.firstDay); d <= Math.min(f.days - 1, p.lastDay); d++) {
    if (d >= p.holidayStart && d < p.holidayStart + 7) continue;
    if (p.longLeave && d >= p.longLeave.from && d < p.longLeave.until) continue;
    const day = f.start + d * DAY_MS;
    const weekday = (new Date(day).getUTCDay() + 6) % 7;
    const at = (hourOffset: number): number => day + (p.startHour + hourOffset) * HOUR_MS + rng.normal(0, 10) * MINUTE_MS;
    // The morning after passwords expired: the first bind says so; the phone keeps the old one for a while.
    const expiredToday = d === inf.expiryDay && ctx.expired.has(p.uid);
    let firstOfDay = true;
    const emit = (time: number, endpoint: string, app: string, server?: AppServer): void => {
      const via = (relayed: boolean): Via | undefined => (server ? { server, relayed } : undefined);
      const bind = (t: number, result: BindResult): void => {
        // An app server with a service account binds as it first, searches, then binds as the user.
        if (server?.serviceAccount && rng.chance(0.6)) push(serviceLogon(org, server.serviceAccount, t - rng.int(200, 900), server.address, server.app));
        // A mail server's auth_bind rebinds one connection as user after user; a new connection starts direct.
        push(personLogon(org, p, t, endpoint, app, result, via(server?.serviceAccount ? true : rng.chance(0.95))));
      };
      if (expiredToday && firstOfDay) {
        bind(time - rng.int(60, 180) * 1000, 'expired');
        // The mail client still has the old password: failures through the mail server until it is updated.
        if (p.usesMail) {
          for (let i = 0, n = rng.int(2, 6); i < n; i++) {
            push(personLogon(org, p, time + rng.int(1, 90) * MINUTE_MS, inf.mail.address, 'mail', 'bad_password', { server: inf.mail, relayed: rng.chance(0.95) }), undefined, 'previous');
          }
        }
      }
      firstOfDay = false;
      if (rng.chance(0.04)) bind(time - rng.int(10, 40) * 1000, 'bad_password');
      bind(time, 'success');
    };
    const mail = (from: number, to: number, n: number): void => {
      if (!p.usesMail) return;
      for (let i = 0; i < n; i++) emit(day + (from + rng.next() * (to - from)) * HOUR_MS, inf.mail.address, 'mail', inf.mail);
    };
    const phone = (): void => {
      if (p.phoneMail && rng.chance(0.7)) mail(18, 24, rng.int(1, 2));
      if (p.phoneMail && rng.chance(0.2)) mail(5.5, 7.5, 1);
    };
    // A laptop's lease runs out: a new address from the site's range (maybe one another laptop had).
    if (p.dhcp && d >= st.leaseUntil) {
      st.address = inf.dhcpAddress(p.site, rng.int(0, inf.dhcpPoolSize - 1));
      st.leaseUntil = d + rng.int(1, 5);
    }
    if (p.newWorkstation && d >= p.newWorkstation.day && st.device !== p.newWorkstation.device) {
      st.device = p.newWorkstation.device;
      st.address = p.newWorkstation.address;
    }
    const workstation = movedAddress(p, org, d, st.address);
    const boot = (time: number, address: string): void => {
      if (p.domainJoined) push(computerLogon(org, st.device, time - rng.int(2, 8) * MINUTE_MS, address));
    };

    if (p.persona === Persona.Shift) {
      if ((weekday + hash(p.uid)) % 7 >= 5) continue; // two rotating days off
      for (let i = 0, n = rng.int(2, 3); i < n; i++) emit(at(rng.next() * 7.5), rng.pick(p.ward), 'terminal');
      if (rng.chance(0.3)) mail(p.startHour, p.startHour + 8, 1);
      phone();
      continue;
    }
    if (weekday >= 5) {
      // Weekends: the phone syncs, a few people work.
      if (rng.chance(0.3)) phone();
      if (!rng.chance(0.05)) continue;
    }
    if (ctx.conference.has(p.uid) && d >= inf.conference.day && d < inf.conference.day + inf.conference.days) {
      // Every attendee's laptop is behind the hotel's one NAT address.
      for (let i = 0, n = rng.int(2, 4); i < n; i++) emit(at(rng.next() * 9), inf.conference.address, 'desktop');
      mail(p.startHour, p.startHour + 10, rng.int(1, 3));
      phone();
      continue;
    }
    if (p.persona === Persona.Remote) {
      // The VPN concentrator asks RADIUS, which binds for the user; the laptop then works from a pool address.
      const t = at(0);
      emit(t, inf.radius.address, 'vpn', inf.radius);
      const pool = vpnAddress(rng);
      boot(t + 3 * MINUTE_MS, pool);
      for (let i = 0, n = rng.int(2, 4); i < n; i++) emit(at(0.2 + rng.next() * 8.5), pool, 'desktop');
      mail(p.startHour, p.startHour + 9, rng.int(1, 3));
      phone();
      continue;
    }
    if (p.persona === Persona.Traveller) {
      if (!trip && rng.chance(0.15)) trip = { until: d + rng.int(2, 4), subnet: `127.${60 + rng.int(0, 9)}.${rng.int(0, 250)}` };
      if (trip && d <= trip.until) {
        const hotel = `${trip.subnet}.${rng.int(1, 250)}`;
        if (rng.chance(0.5)) {
          // From the hotel, straight to the exposed listener…
          for (let i = 0, n = rng.int(1, 3); i < n; i++) emit(at(rng.next() * 10 - 1), hotel, 'desktop');
        } else {
          // …or through the VPN.
          const t = at(rng.next() * 2);
          emit(t, inf.radius.address, 'vpn', inf.radius);
          const pool = vpnAddress(rng);
          for (let i = 0, n = rng.int(1, 3); i < n; i++) emit(t + rng.next() * 8 * HOUR_MS, pool, 'desktop');
        }
        mail(6, 23, rng.int(1, 3));
        continue;
      }
      trip = null;
    }
    // A day at a workstation.
    boot(at(0) - 2 * MINUTE_MS, workstation);
    for (let i = 0, n = rng.int(2, 5); i < n; i++) {
      const time = at(rng.next() * 9);
      if (p.usesPortal && rng.chance(0.3)) emit(time, inf.portal.address, 'portal', inf.portal);
      else emit(time, workstation, 'desktop');
    }
    if (rng.chance(0.06)) push(serviceLogon(org, inf.embeddedService, at(1 + rng.next() * 7), workstation, 'reports'));
    mail(p.startHour, p.startHour + 9, rng.int(1, 3));
    phone();
    if (rng.chance(0.08)) {
      // An evening on the VPN from home.
      const t = day + rng.int(19, 21) * HOUR_MS + rng.next() * HOUR_MS;
      emit(t, inf.radius.address, 'vpn', inf.radius);
      emit(t + rng.int(2, 40) * MINUTE_MS, vpnAddress(rng), 'desktop');
    }
    if (p.persona === Persona.Rounds) {
      // Rounds: several ward terminals within an hour or two.
      let t = at(1 + rng.next() * 2);
      for (let i = 0, k = rng.int(3, 6); i < k; i++, t += rng.int(5, 25) * MINUTE_MS) emit(t, rng.pick(p.ward), 'terminal');
      if (rng.chance(0.5)) for (let i = 0, k = rng.int(1, 3); i < k; i++) emit(at(5 + rng.next() * 3), rng.pick(p.ward), 'terminal');
    }
    if (p.persona === Persona.Helpdesk && rng.chance(0.25)) {
      const colleagues = org.people.filter((x) => x.site === p.site && x.persona !== Persona.Shift && !x.dhcp);
      for (let i = 0, k = rng.int(1, 2); i < k; i++) {
        const c = rng.pick(colleagues);
        emit(at(rng.next() * 8), movedAddress(c, org, d, c.newWorkstation && d >= c.newWorkstation.day ? c.newWorkstation.address : c.workstation), 'desktop');
      }
    }
    if (p.persona === Persona.Admin) {
      for (let i = 0, k = rng.int(1, 3); i < k; i++) emit(at(rng.next() * 8), rng.pick(servers), 'ssh');
      // Now and then an evening change window, from the admin's own machine.
      if (rng.chance(0.08)) emit(day + (19 + rng.next() * 3) * HOUR_MS, workstation, 'ssh');
    }
  }
}

export function serviceTraffic(org: Organisation, f: DayFrame, rng: Rng, push: Push): void {
  const end = f.start + f.days * DAY_MS;
  for (const s of org.services) {
    let t = f.start + rng.next() * s.periodMinutes * MINUTE_MS;
    while (t < end) {
      push(serviceLogon(org, s.uid, t, rng.pick(s.hosts), 'batch'));
      t += s.periodMinutes * MINUTE_MS * (1 + rng.normal(0, 0.01));
    }
  }
  const hr = org.infra.hrSync;
  for (let d = 0; d < f.days; d++) push(serviceLogon(org, hr.uid, f.start + d * DAY_MS + hr.hour * HOUR_MS + rng.normal(0, 3) * MINUTE_MS, hr.host, 'hr-sync'));
}

/** The servers an admin works on (their sshd binds for the admin from its own address). */
export function adminServers(p: Person): string[] {
  return Array.from({ length: 6 }, (_, i) => `127.40.${p.site}.${((hash(p.uid) * 7 + i) % 250) + 1}`);
}

/** A small stable number from a name (rotating days off, an admin's servers). */
export function hash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) >>> 0;
  return h;
}
