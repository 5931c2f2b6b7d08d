/**
 * Generates weeks of logons for a simulated organisation (org.ts): benign traffic with drift
 * (benign.ts) and labelled attack campaigns (attacks.ts). Same seed → same events.
 */
import type { LogonEvent } from '../behavior/logon-event.js';
import { Rng } from '../util/random.js';
import { attacks, type Campaign } from './attacks.js';
import { benignPerson, conferenceAttendees, expiredPasswords, serviceTraffic } from './benign.js';
import { buildOrganisation, type Organisation } from './org.js';
import { addCloud } from './cloud.js';
import type { OktaLogEvent } from '../connectors/okta-sso/mapping.js';

export { AttackType, type Campaign } from './attacks.js';

export interface LabelledEvent {
  event: LogonEvent;
  /** The campaign this event belongs to; absent for benign events. */
  campaign?: number;
  /** A wrong password that repeats an earlier one of the same person (else each failure is a new guess). */
  password?: string;
}

export interface SimulationOptions {
  seed: number;
  users: number;
  services: number;
  days: number;
  /** Attacks start after this many days (the baseline warm-up). */
  warmupDays: number;
  attacksPerType: number;
  /** First day of the simulation, at 00:00 UTC (a Monday). */
  start: number;
  /** Cloud sign-ins through Okta (cloud.ts) for the people who work there, and stolen ones from abroad. */
  cloud: boolean;
}

export const defaultSimulation: Readonly<SimulationOptions> = Object.freeze({
  seed: 7, users: 2_000, services: 60, days: 42, warmupDays: 14, attacksPerType: 12, start: Date.UTC(2026, 0, 5), cloud: true,
});

export interface Simulation {
  options: SimulationOptions;
  org: Organisation;
  events: LabelledEvent[];
  campaigns: Campaign[];
  /** The cloud sign-ins as Okta's System Log has them (the simulator serves them; `simulate --okta-out`). */
  oktaLog: OktaLogEvent[];
}

export function simulate(opts: Partial<SimulationOptions> = {}): Simulation {
  const o: SimulationOptions = { ...defaultSimulation, ...opts };
  const org = buildOrganisation(o);
  const rng = new Rng(o.seed * 7919 + 1);
  const events: LabelledEvent[] = [];
  const push = (ev: LogonEvent, campaign?: number, password?: string): void => {
    events.push({ event: ev, ...(campaign !== undefined ? { campaign } : {}), ...(password !== undefined ? { password } : {}) });
  };
  const ctx = { conference: conferenceAttendees(org, rng), expired: expiredPasswords(org, rng) };
  for (const p of org.people) benignPerson(p, org, o, rng, push, ctx);
  serviceTraffic(org, o, rng, push);
  const campaigns = attacks(org, o, rng, push);
  // The same people in the cloud (their own random stream: the on-prem events do not change).
  const cloud = o.cloud ? addCloud(org, o, events, campaigns) : { log: [] };
  events.sort((a, b) => a.event.time - b.event.time);
  return { options: o, org, events, campaigns, oktaLog: cloud.log };
}
