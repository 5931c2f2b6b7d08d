/**
 * Golden behaviour scenarios: a seeded history of ordinary logons, then events that are
 * scored and checked against expected score ranges and reason codes. The YAML files in
 * fixtures/scenarios/ read as documentation of what each signal means.
 */
import { parse } from 'yaml';
import { subnetOf } from '../util/cidr.js';
import { prng } from '../util/random.js';
import type { BindResult } from './bind-result.js';
import { DAY_MS, MINUTE_MS } from './decay.js';
import { BehaviorEngine, type Assessment } from './engine.js';
import { AccountKind, type LogonEvent } from './logon-event.js';

export interface HistoryBlock {
  account: string;
  kind?: AccountKind;
  peerGroup?: string;
  endpoint: string;
  app?: string;
  /** Days to generate, counting back from the scenario's `now` (or from `endDaysAgo` days before it). */
  days: number;
  endDaysAgo?: number;
  /** Logons through an app (see LogonEvent.relayed), bound for by this service account. */
  relayed?: boolean;
  previousAccount?: string;
  weekdaysOnly?: boolean;
  /** Times of day (HH:MM, UTC) for one logon each. */
  times: string[];
  jitterMinutes?: number;
}

export interface ScenarioEvent {
  /** Minutes after `now`, or an ISO time. */
  at: number | string;
  account: string;
  kind?: AccountKind;
  peerGroup?: string;
  endpoint: string;
  app?: string;
  result?: BindResult;
  /** Repeat this event n times, `everySeconds` apart (bursts, sprays). */
  repeat?: number;
  everySeconds?: number;
  /** For repeats: use account-1, account-2, … (spraying many accounts). */
  numberAccounts?: boolean;
  relayed?: boolean;
  previousAccount?: string;
  expect?: { score?: [number, number]; codes?: string[]; notCodes?: string[]; decision?: string; rule?: string };
}

/** Decides a scored logon (the policy engine, in the scenario test), for `expect.decision`. */
export type ScenarioDecide = (event: LogonEvent, assessment: Assessment) => { action: string; ruleId: string };

export interface Scenario {
  description: string;
  now: string;
  seed?: number;
  history: HistoryBlock[];
  events: ScenarioEvent[];
}

export interface ScenarioOutcome {
  event: LogonEvent;
  assessment: Assessment;
  decision?: { action: string; ruleId: string };
  expect?: ScenarioEvent['expect'];
  problems: string[];
}

const defaultKind = (account: string): AccountKind => (account.startsWith('svc-') ? AccountKind.Service : AccountKind.Human);

function logon(time: number, x: { account: string; kind?: AccountKind; peerGroup?: string; endpoint: string; app?: string; result?: BindResult; relayed?: boolean; previousAccount?: string }): LogonEvent {
  return {
    time, account: x.account, bindName: `uid=${x.account},ou=people,dc=corp,dc=example`, kind: x.kind ?? defaultKind(x.account),
    endpoint: x.endpoint, subnet: subnetOf(x.endpoint), app: x.app ?? 'ldap', result: x.result ?? 'success',
    ...(x.peerGroup ? { peerGroup: x.peerGroup } : {}),
    ...(x.relayed ? { relayed: true } : {}),
    ...(x.previousAccount ? { previousAccount: x.previousAccount } : {}),
  };
}

export function parseScenario(text: string): Scenario {
  return parse(text) as Scenario;
}

export function runScenario(s: Scenario, engine = new BehaviorEngine(), decide?: ScenarioDecide): ScenarioOutcome[] {
  const now = Date.parse(s.now);
  const rand = prng(s.seed ?? 1);
  const history: LogonEvent[] = [];
  for (const h of s.history) {
    for (let d = h.days + (h.endDaysAgo ?? 0); d >= 1 + (h.endDaysAgo ?? 0); d--) {
      const day = now - d * DAY_MS;
      const midnight = day - (day % DAY_MS);
      const weekday = (new Date(midnight).getUTCDay() + 6) % 7;
      if (h.weekdaysOnly !== false && weekday >= 5) continue;
      for (const t of h.times) {
        const [hh, mm] = t.split(':').map(Number) as [number, number];
        const jitter = ((rand() * 2 - 1) * (h.jitterMinutes ?? 15)) * MINUTE_MS;
        history.push(logon(midnight + (hh * 60 + mm) * MINUTE_MS + jitter, h));
      }
    }
  }
  history.sort((a, b) => a.time - b.time);
  for (const ev of history) engine.observe(ev);

  const outcomes: ScenarioOutcome[] = [];
  for (const e of s.events) {
    const start = typeof e.at === 'number' ? now + e.at * MINUTE_MS : Date.parse(e.at);
    const n = e.repeat ?? 1;
    for (let i = 0; i < n; i++) {
      const account = e.numberAccounts ? `${e.account}-${i + 1}` : e.account;
      const ev = logon(start + i * (e.everySeconds ?? 60) * 1000, { ...e, account });
      const assessment = engine.observe(ev);
      // Expectations apply to the last event of a repeated block.
      const expect = i === n - 1 ? e.expect : undefined;
      // Only binds the directory accepted reach a policy.
      const decision = decide && ev.result === 'success' ? decide(ev, assessment) : undefined;
      const problems = expect ? check(assessment, expect) : [];
      if (expect?.decision !== undefined) {
        if (!decision) problems.push(`expected decision ${expect.decision}, but no policy decided (failed bind or no policy)`);
        else if (decision.action !== expect.decision || (expect.rule !== undefined && decision.ruleId !== expect.rule)) {
          problems.push(`decision ${decision.action} by ${decision.ruleId}, expected ${expect.decision}${expect.rule ? ` by ${expect.rule}` : ''}`);
        }
      }
      outcomes.push({ event: ev, assessment, ...(decision ? { decision } : {}), ...(expect ? { expect } : {}), problems });
    }
  }
  return outcomes;
}

function check(a: Assessment, expect: NonNullable<ScenarioEvent['expect']>): string[] {
  const problems: string[] = [];
  const codes = a.signals.map((s) => s.code as string);
  if (expect.score && (a.score < expect.score[0] || a.score > expect.score[1])) {
    problems.push(`score ${a.score} outside [${expect.score[0]}, ${expect.score[1]}]`);
  }
  for (const c of expect.codes ?? []) if (!codes.includes(c)) problems.push(`missing reason ${c}`);
  for (const c of expect.notCodes ?? []) if (codes.includes(c)) problems.push(`unexpected reason ${c}`);
  return problems;
}
