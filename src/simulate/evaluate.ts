/**
 * Prequential evaluation: every simulated event is scored, then learned, in time order;
 * the warm-up is excluded from the metrics. Reports per attack type (campaigns detected,
 * event detection rate, time to detect), false step-ups per active user per month, false
 * blocks, ROC-AUC and scoring throughput.
 */
import { BehaviorEngine } from '../behavior/engine.js';
import { isFailure } from '../behavior/bind-result.js';
import { DAY_MS } from '../behavior/decay.js';
import type { BehaviorOptions } from '../behavior/options.js';
import { AttackType, type LabelledEvent } from './generate.js';
import { canonicalAccount, EventMapper, parentOu, type LogonEvent } from '../behavior/logon-event.js';
import type { CompiledPolicy } from '../policy/policy.js';
import { formatThreatReplay, ThreatReplay, type ThreatReplayReport } from './threat-replay.js';

/** Default policy thresholds the evaluation assumes (the policy engine makes them configurable). */
export const Thresholds = { stepUp: 50, block: 90 } as const;

export interface AttackTypeReport {
  /** A simulated attack type, or a label from an evaluated file. */
  type: string;
  campaigns: number;
  detected: number;
  events: number;
  eventsDetected: number;
  /** Median minutes from campaign start to its first detected event. */
  medianMinutesToDetect: number | null;
}

export interface EvaluationReport {
  events: number;
  measuredEvents: number;
  attacks: AttackTypeReport[];
  benignSuccesses: number;
  falseStepUps: number;
  falseBlocks: number;
  activeUsers: number;
  months: number;
  falseStepUpsPerUserMonth: number;
  rocAuc: number;
  eventsPerSecond: number;
  /** The reasons behind false step-ups, most common first (what to tune). */
  falseStepUpReasons: [string, number][];
  /** False step-ups per active user per month, by persona (targets: none above 0.5). */
  byPersona: { persona: string; users: number; falseStepUps: number; perUserMonth: number }[];
  /** The person with the most false step-ups (target: at most 2 a month). */
  worstPerson?: { account: string; persona: string; perMonth: number };
  /** What a real policy decided for the binds the directory accepted (with `policy`). */
  policy?: PolicyOutcomes;
  /** The threat pool and smart lockout replayed in enforce mode (with `threat`). */
  threat?: ThreatReplayReport;
  /** UserInsight's new-device and new-app emails, as its gate would send them (one per device a day, ten a person a day). */
  notices: NoticeReport;
}

export interface NoticeReport {
  /** Emails about their own benign sign-ins, per active user per month (what people put up with). */
  benignPerUserMonth: number;
  /** The person emailed most often about their own sign-ins, per month. */
  worstPerMonth: number;
  /** Attack campaigns with an accepted sign-in, and those whose victim got an email about one (who could report it). */
  attackCampaignsSignedIn: number;
  attackCampaignsNoticed: number;
}

/** UserInsight's gate over a replay: novelty from the engine, one per device (app) per window, a cap per person per day. */
class NoticeTally {
  readonly #last = new Map<string, number>();
  readonly #day = new Map<string, { day: number; n: number }>();
  benign = 0;
  readonly perPerson = new Map<string, number>();
  readonly signedIn = new Set<number>();
  readonly noticed = new Set<number>();

  step(engine: BehaviorEngine, ev: LogonEvent, person: string, campaign: number | undefined, measured: boolean): void {
    if (isFailure(ev.result)) return;
    if (campaign !== undefined && measured) this.signedIn.add(campaign);
    const n = engine.novelty(ev);
    if (!n) return;
    const key = `${ev.account}|${n.device !== undefined ? `d:${n.device}` : `a:${n.app}`}`;
    const last = this.#last.get(key);
    if (last !== undefined && ev.time - last < DAY_MS) return;
    const day = Math.floor(ev.time / DAY_MS);
    const c = this.#day.get(ev.account);
    if (c && c.day === day && c.n >= 10) return;
    this.#day.set(ev.account, c && c.day === day ? { day, n: c.n + 1 } : { day, n: 1 });
    this.#last.set(key, ev.time);
    if (!measured) return;
    if (campaign !== undefined) this.noticed.add(campaign);
    else {
      this.benign++;
      this.perPerson.set(person, (this.perPerson.get(person) ?? 0) + 1);
    }
  }
}

/** Decisions by a policy over the measured binds the directory accepted. */
export interface PolicyOutcomes {
  hash: string;
  /** Benign binds by action. */
  benign: Record<string, number>;
  /** Benign binds stepped up, per active user per month. */
  stepUpsPerUserMonth: number;
  /** Accepted attack binds by action ("approve" is a miss), overall and per attack type. */
  attacks: Record<string, number>;
  byType: Record<string, Record<string, number>>;
  /** Benign binds per rule that stepped up or blocked them (what to tune). */
  benignRules: [string, number][];
}

/**
 * A logon as bindwall sees it without directory facts: the identity is what the bind name
 * says (a display-name DN and DOMAIN\\sam are two accounts), privilege and department
 * only what the name shows.
 */
const noFacts = new EventMapper();
export function withoutFacts(ev: LogonEvent): LogonEvent {
  const account = canonicalAccount(ev.bindName);
  const ou = parentOu(ev.bindName);
  const { peerGroup: _p, ...rest } = ev;
  return { ...rest, account, kind: noFacts.kindOf(account, ev.bindName), ...(ou && ev.kind !== 'service' ? { peerGroup: ou.toLowerCase() } : {}) };
}

export interface EvaluationRun {
  /** Measure from the first event, on an empty database. */
  fromDayOne?: boolean;
  /** Directory facts resolve every name form to one identity and say who is privileged (default true). */
  facts?: boolean;
  /** Replay the threat pool and smart lockout in front of a directory locking after this many failures. */
  threatDirectoryThreshold?: number;
}

/**
 * What the evaluation needs: labelled events in time order, the campaigns they belong to, the
 * period (for the warm-up and per-month rates) and, when known, each person's persona. A
 * simulation is one; a labelled history file (`--events`) is another.
 */
export interface Evaluable {
  options: { start: number; days: number; warmupDays: number };
  events: readonly LabelledEvent[];
  campaigns: readonly { id: number; type: string; start: number }[];
  org?: { people: readonly { uid: string; persona: string }[] };
}

export function evaluate(sim: Evaluable, opts: Partial<BehaviorOptions> = {}, policy?: CompiledPolicy, o: EvaluationRun = {}): EvaluationReport {
  const engine = new BehaviorEngine(opts);
  const facts = o.facts ?? true;
  // Day one: measured from the first event, on an empty database (what a fresh install meets).
  const measureFrom = sim.options.start + (o.fromDayOne ? 0 : sim.options.warmupDays * DAY_MS);
  const campaignOf = new Map(sim.campaigns.map((c) => [c.id, c]));
  const firstDetection = new Map<number, number>();
  const perType = new Map<string, { events: number; detected: number }>();
  const scores: { score: number; attack: boolean }[] = [];
  const activeUsers = new Set<string>();
  const falseReasons = new Map<string, number>();
  const personaOf = new Map((sim.org?.people ?? []).map((p) => [p.uid, p.persona as string]));
  const perPerson = new Map<string, number>();
  let benignSuccesses = 0;
  let falseStepUps = 0;
  let falseBlocks = 0;
  let measured = 0;
  const po = policy ? { benign: {} as Record<string, number>, attacks: {} as Record<string, number>, byType: {} as Record<string, Record<string, number>>, rules: new Map<string, number>() } : undefined;
  const bump = (m: Record<string, number>, k: string): void => {
    m[k] = (m[k] ?? 0) + 1;
  };

  const replay = o.threatDirectoryThreshold !== undefined ? new ThreatReplay(o.threatDirectoryThreshold) : undefined;
  const notices = new NoticeTally();
  const t0 = process.hrtime.bigint();
  for (const labelled of sim.events) {
    const { campaign } = labelled;
    // Metrics are kept per person (labelled.event.account); the engine sees what bindwall would.
    const person = labelled.event.account;
    const event = facts ? labelled.event : withoutFacts(labelled.event);
    const a = engine.assess(event);
    replay?.step(event, a, engine, { ...(campaign !== undefined ? { attackType: campaignOf.get(campaign)!.type } : {}), ...(labelled.password !== undefined ? { password: labelled.password } : {}), measured: event.time >= measureFrom });
    notices.step(engine, event, person, campaign, event.time >= measureFrom);
    engine.learn(event, a);
    // The closed loop: a real person passes the step-up (which teaches the engine); an
    // attacker does not.
    const attack = campaign !== undefined;
    if (!attack && !isFailure(event.result) && a.score >= Thresholds.stepUp && a.score < Thresholds.block) engine.confirm(event);
    if (event.time < measureFrom) continue;
    measured++;
    scores.push({ score: a.score, attack });
    if (po && policy && !isFailure(event.result)) {
      const d = policy.decide({
        time: event.time, account: event.account, bindDn: event.bindName, kind: event.kind, endpoint: event.endpoint, app: event.app, tls: false,
        facts: null, score: a.score, signals: a.signals.map((x) => x.code), accountRisk: a.accountRisk, endpointRisk: a.endpointRisk, quarantined: false,
      });
      if (attack) {
        bump(po.attacks, d.action);
        bump((po.byType[campaignOf.get(campaign)!.type] ??= {}), d.action);
      } else {
        bump(po.benign, d.action);
        if (d.action !== 'approve') po.rules.set(d.ruleId, (po.rules.get(d.ruleId) ?? 0) + 1);
      }
    }
    if (attack) {
      const type = campaignOf.get(campaign)!.type;
      const t = perType.get(type) ?? { events: 0, detected: 0 };
      t.events++;
      if (a.score >= Thresholds.stepUp) {
        t.detected++;
        if (!firstDetection.has(campaign)) firstDetection.set(campaign, event.time);
      }
      perType.set(type, t);
    } else if (!isFailure(event.result)) {
      benignSuccesses++;
      const human = labelled.event.kind === 'human' || labelled.event.kind === 'privileged';
      if (human) activeUsers.add(person);
      if (a.score >= Thresholds.stepUp) {
        falseStepUps++;
        perPerson.set(person, (perPerson.get(person) ?? 0) + 1);
        for (const s of a.signals.slice(0, 2)) falseReasons.set(s.code, (falseReasons.get(s.code) ?? 0) + 1);
      }
      if (a.score >= Thresholds.block) falseBlocks++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const months = (sim.options.days - (o.fromDayOne ? 0 : sim.options.warmupDays)) / 30;

  // The simulator's types in their order, then any other label a file brought.
  const labels = sim.campaigns.map((c) => c.type);
  const types = [...new Set<string>(sim.org ? [...Object.values(AttackType), ...labels] : labels)];
  const attacks: AttackTypeReport[] = types.map((type) => {
    const cs = sim.campaigns.filter((c) => c.type === type);
    const delays = cs.filter((c) => firstDetection.has(c.id)).map((c) => (firstDetection.get(c.id)! - c.start) / 60_000).sort((x, y) => x - y);
    const t = perType.get(type) ?? { events: 0, detected: 0 };
    return {
      type, campaigns: cs.length, detected: delays.length, events: t.events, eventsDetected: t.detected,
      medianMinutesToDetect: delays.length ? delays[Math.floor(delays.length / 2)]! : null,
    };
  });
  const personas = new Map<string, { users: number; falseStepUps: number }>();
  for (const account of activeUsers) {
    const persona = personaOf.get(account) ?? 'other';
    const p = personas.get(persona) ?? { users: 0, falseStepUps: 0 };
    p.users++;
    p.falseStepUps += perPerson.get(account) ?? 0;
    personas.set(persona, p);
  }
  const byPersona = [...personas].map(([persona, p]) => ({ persona, ...p, perUserMonth: p.falseStepUps / p.users / months }))
    .sort((x, y) => y.perUserMonth - x.perUserMonth);
  const worst = [...perPerson].sort((x, y) => y[1] - x[1])[0];
  return {
    byPersona,
    ...(worst ? { worstPerson: { account: worst[0], persona: personaOf.get(worst[0]) ?? 'other', perMonth: worst[1] / months } } : {}),
    events: sim.events.length, measuredEvents: measured, attacks, benignSuccesses, falseStepUps, falseBlocks,
    activeUsers: activeUsers.size, months,
    falseStepUpsPerUserMonth: activeUsers.size ? falseStepUps / activeUsers.size / months : 0,
    rocAuc: rocAuc(scores), eventsPerSecond: sim.events.length / seconds,
    falseStepUpReasons: [...falseReasons].sort((a, b) => b[1] - a[1]),
    ...(replay ? { threat: replay.report() } : {}),
    notices: {
      benignPerUserMonth: activeUsers.size ? notices.benign / activeUsers.size / months : 0,
      worstPerMonth: Math.max(0, ...notices.perPerson.values()) / months,
      attackCampaignsSignedIn: notices.signedIn.size, attackCampaignsNoticed: notices.noticed.size,
    },
    ...(po && policy ? {
      policy: {
        hash: policy.hash, benign: po.benign, attacks: po.attacks, byType: po.byType,
        stepUpsPerUserMonth: activeUsers.size ? (po.benign.mfa ?? 0) / activeUsers.size / months : 0,
        benignRules: [...po.rules].sort((a, b) => b[1] - a[1]),
      },
    } : {}),
  };
}

/** Area under the ROC curve = P(attack score > benign score), ties counting half (Mann–Whitney). */
export function rocAuc(points: readonly { score: number; attack: boolean }[]): number {
  const sorted = [...points].sort((a, b) => a.score - b.score);
  let rankSumAttack = 0;
  let attacks = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (sorted[k]!.attack) { rankSumAttack += avgRank; attacks++; }
    i = j;
  }
  const benign = sorted.length - attacks;
  if (attacks === 0 || benign === 0) return NaN;
  return (rankSumAttack - (attacks * (attacks + 1)) / 2) / (attacks * benign);
}

/** The day-one view: false step-ups and decisions measured from an empty database. */
export function formatDayOne(r: EvaluationReport): string {
  const p = r.policy;
  return [
    `day one (measured from an empty database, ${r.months.toFixed(2)} months): ${r.falseStepUpsPerUserMonth.toFixed(3)} false step-ups per active user per month, ${r.falseBlocks} false blocks`,
    ...(p ? [`  with the policy: ${p.stepUpsPerUserMonth.toFixed(3)} step-ups per active user per month, ${p.benign.block ?? 0} benign binds blocked`] : []),
    `  by persona: ${r.byPersona.map((x) => `${x.persona} ${x.perUserMonth.toFixed(2)}`).join(', ')}`,
  ].join('\n');
}

/** The view without directory facts: detection per attack type and false step-ups. */
export function formatWithoutFacts(r: EvaluationReport): string {
  const missed = r.attacks.filter((a) => a.detected < a.campaigns).map((a) => `${a.type} ${a.detected}/${a.campaigns}`);
  return [
    `without directory facts (each name form its own account, privilege unknown): ${r.falseStepUpsPerUserMonth.toFixed(3)} false step-ups per active user per month, ${r.falseBlocks} false blocks`,
    `  campaigns detected: ${r.attacks.reduce((n, a) => n + a.detected, 0)}/${r.attacks.reduce((n, a) => n + a.campaigns, 0)}${missed.length ? `; short: ${missed.join(', ')}` : ''}`,
    `  by persona: ${r.byPersona.map((x) => `${x.persona} ${x.perUserMonth.toFixed(2)}`).join(', ')}`,
  ].join('\n');
}

export function formatReport(r: EvaluationReport): string {
  const lines: string[] = [];
  lines.push(`${r.events} events (${r.measuredEvents} after warm-up), scored then learned at ${Math.round(r.eventsPerSecond)} events/s on one core`);
  lines.push('');
  lines.push(`${'attack type'.padEnd(28)}${'campaigns'.padStart(10)}${'detected'.padStart(10)}${'events'.padStart(8)}${'event rate'.padStart(12)}${'median min to detect'.padStart(22)}`);
  for (const a of r.attacks) {
    const pct = a.campaigns ? Math.round((100 * a.detected) / a.campaigns) : 0;
    lines.push(`${a.type.padEnd(28)}${String(a.campaigns).padStart(10)}${`${a.detected} (${pct}%)`.padStart(10)}${String(a.events).padStart(8)}` +
      `${`${a.events ? Math.round((100 * a.eventsDetected) / a.events) : 0}%`.padStart(12)}${(a.medianMinutesToDetect === null ? '-' : a.medianMinutesToDetect.toFixed(1)).padStart(22)}`);
  }
  lines.push('');
  lines.push(`false step-ups: ${r.falseStepUps} of ${r.benignSuccesses} benign logons = ${r.falseStepUpsPerUserMonth.toFixed(3)} per active user per month (${r.activeUsers} users, ${r.months.toFixed(2)} months; target ≤ 0.2)`);
  lines.push(`false blocks (score ≥ ${Thresholds.block}): ${r.falseBlocks} (target 0)`);
  lines.push(`ROC-AUC: ${r.rocAuc.toFixed(4)}`);
  if (r.falseStepUpReasons.length) lines.push(`reasons behind false step-ups: ${r.falseStepUpReasons.slice(0, 6).map(([c, n]) => `${c} ${n}`).join(', ')}`);
  lines.push(`by persona (per active user per month; target: none above 0.5): ${r.byPersona.map((p) => `${p.persona} ${p.perUserMonth.toFixed(2)} (${p.users})`).join(', ')}`);
  if (r.worstPerson) lines.push(`most for one person: ${r.worstPerson.account} (${r.worstPerson.persona}) ${r.worstPerson.perMonth.toFixed(1)} a month (target ≤ 2)`);
  const n = r.notices;
  lines.push(`UserInsight new-device/app emails: ${n.benignPerUserMonth.toFixed(2)} per active user per month about their own sign-ins (most for one person ${n.worstPerMonth.toFixed(1)}); ` +
    `${n.attackCampaignsNoticed}/${n.attackCampaignsSignedIn} attack campaigns with an accepted sign-in emailed the victim`);
  const p = r.policy;
  if (p) {
    const counts = (m: Record<string, number>): string => ['approve', 'demote', 'mfa', 'block'].map((k) => `${k} ${m[k] ?? 0}`).join(', ');
    lines.push('');
    lines.push(`with the policy (${p.hash}), for the binds the directory accepted:`);
    lines.push(`  benign: ${counts(p.benign)} — ${p.stepUpsPerUserMonth.toFixed(3)} step-ups per active user per month; ${p.benign.block ?? 0} false blocks`);
    if (p.benignRules.length) lines.push(`  rules stepping up or blocking benign binds: ${p.benignRules.map(([id, n]) => `${id} ${n}`).join(', ')}`);
    lines.push(`  attacks: ${counts(p.attacks)} (approve = missed)`);
    for (const [type, m] of Object.entries(p.byType)) lines.push(`    ${type.padEnd(26)}${counts(m)}`);
  }
  if (r.threat) {
    lines.push('');
    lines.push(formatThreatReplay(r.threat));
  }
  return lines.join('\n');
}
