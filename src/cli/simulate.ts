/**
 * `bindwall simulate`: generates an organisation's logons with labelled attacks (offline),
 * and with --evaluate scores them prequentially and prints detection quality.
 */
import { createWriteStream, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultSimulation, simulate } from '../simulate/generate.js';
import { evaluate, formatDayOne, formatReport, formatWithoutFacts } from '../simulate/evaluate.js';
import { UsageError } from './usage.js';
import { SIM_OU } from '../simulate/directory-entries.js';
import { replayLive } from '../simulate/live.js';
import { join } from 'node:path';
import { loadPolicyDir, PolicyError } from '../policy/compile.js';
import { packageRoot } from '../util/package-root.js';
import { HistoryFormat, readHistoryFile } from '../history/import.js';
import { evaluableFrom } from '../history/evaluable.js';

export const SIMULATE_USAGE = 'usage: bindwall simulate --evaluate --events FILE.jsonl [--warmup-days N] [--policy DIR] [--json]  |  bindwall simulate [--seed N] [--users N] [--services N] [--days N] [--warmup-days N] [--attacks N] [--evaluate [--policy DIR] [--json]] [--out FILE.jsonl] [--okta-out FILE.json] [--live URL [--bind-dn TEMPLATE] [--max-events N] [--max-seconds N] [--concurrency N]]';

function int(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be a whole number ≥ ${min}, got "${text}"`);
  return n;
}

export async function simulateCommand(args: string[], out: (s: string) => void): Promise<number> {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      seed: { type: 'string' }, users: { type: 'string' }, services: { type: 'string' }, days: { type: 'string' },
      'warmup-days': { type: 'string' }, attacks: { type: 'string' },
      evaluate: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, out: { type: 'string' },
      live: { type: 'string' }, 'bind-dn': { type: 'string', default: `uid={uid},ou=${SIM_OU},dc=acme,dc=test` },
      policy: { type: 'string' }, events: { type: 'string' }, 'okta-out': { type: 'string' },
      'max-events': { type: 'string' }, 'max-seconds': { type: 'string' }, concurrency: { type: 'string' }, 'from-day': { type: 'string' },
    },
  });
  // --evaluate --events FILE: measure on a labelled history file instead of a simulation.
  if (values.events !== undefined) return evaluateFile(values.events, values, out);
  const d = defaultSimulation;
  const days = int('days', values.days, d.days, 2);
  const warmupDays = int('warmup-days', values['warmup-days'], Math.min(d.warmupDays, days - 1), 1);
  if (warmupDays >= days) throw new UsageError('--warmup-days must be less than --days');
  const sim = simulate({
    seed: int('seed', values.seed, d.seed, 0), users: int('users', values.users, d.users, 1), services: int('services', values.services, d.services, 0),
    days, warmupDays, attacksPerType: int('attacks', values.attacks, d.attacksPerType, 0),
  });
  // --json: stdout is pure JSON (the report says what was simulated).
  if (!values.json) {
    out(`simulated ${sim.org.people.length} people and ${sim.org.services.length} service accounts over ${days} days: ` +
      `${sim.events.length} logons, ${sim.campaigns.length} attack campaigns (seed ${sim.options.seed})`);
  }
  if (values.out) {
    const file = createWriteStream(values.out);
    const campaignOf = new Map(sim.campaigns.map((c) => [c.id, c]));
    for (const { event, campaign } of sim.events) {
      const c = campaign === undefined ? undefined : campaignOf.get(campaign)!;
      file.write(`${JSON.stringify({ ...event, ...(c ? { attack: c.type, campaign: c.id } : {}) })}\n`);
    }
    await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (!values.json) out(`events written to ${values.out}`);
  }
  if (values['okta-out']) {
    // The cloud sign-ins as an Okta System Log export (bindwall import reads it; so does the simulator).
    writeFileSync(values['okta-out'], `${JSON.stringify(sim.oktaLog)}\n`);
    if (!values.json) out(`${sim.oktaLog.length} Okta System Log events written to ${values['okta-out']}`);
  }
  if (values.live) {
    if (!/^ldaps?:\/\/127\./.test(values.live) && !/^ldaps?:\/\/localhost/.test(values.live)) {
      throw new UsageError('--live takes a loopback URL (ldap://127.0.0.1:PORT): simulated endpoints are 127.x source addresses');
    }
    const r = await replayLive(sim, {
      url: values.live, bindDnTemplate: values['bind-dn'],
      maxEvents: int('max-events', values['max-events'], 500, 1), maxSeconds: int('max-seconds', values['max-seconds'], 60, 1),
      concurrency: int('concurrency', values.concurrency, 8, 1), fromDay: int('from-day', values['from-day'], 0, 0),
    });
    if (values.json) out(JSON.stringify({ live: r }));
    else {
      out(`live: ${r.sent} binds from ${r.endpoints} source addresses in ${r.seconds.toFixed(1)} s; ${r.asExpected} as expected, ` +
        `${r.unexpectedCount} unexpected, ${r.connectErrors} connection errors`);
      for (const u of r.unexpected.slice(0, 5)) out(`  unexpected: ${u.account} from ${u.endpoint}: expected ${u.expected}, got result ${u.resultCode}`);
    }
    if (r.sent === 0) return 1;
  }
  if (values.evaluate) {
    // The evaluation also runs the policy: the shipped one, or --policy DIR.
    const dir = values.policy ?? join(packageRoot, 'policies');
    const { policy, diagnostics } = loadPolicyDir(dir);
    if (!policy) throw new PolicyError(dir, diagnostics);
    const report = evaluate(sim, {}, policy, { threatDirectoryThreshold: 5 });
    const dayOne = evaluate(sim, {}, policy, { fromDayOne: true });
    // Without directory facts (no lookup account): every name form is its own account.
    const noFacts = evaluate(sim, {}, policy, { facts: false });
    const simulated = { seed: sim.options.seed, people: sim.org.people.length, services: sim.org.services.length, days, logons: sim.events.length, campaigns: sim.campaigns.length };
    out(values.json ? JSON.stringify({ simulated, ...report, dayOne, withoutFacts: noFacts }, null, 2)
      : `${formatReport(report)}\n\n${formatDayOne(dayOne)}\n\n${formatWithoutFacts(noFacts)}`);
  }
  return 0;
}

/** The prequential evaluation (and the policy) on any labelled file in the published JSONL format. */
function evaluateFile(file: string, values: { evaluate?: boolean; json?: boolean; policy?: string; 'warmup-days'?: string }, out: (s: string) => void): number {
  if (!values.evaluate) throw new UsageError(`--events needs --evaluate\n${SIMULATE_USAGE}`);
  const { report: read, entries } = readHistoryFile(file, HistoryFormat.Jsonl);
  if (read.refused) throw new UsageError(`${file}: ${read.refused}`);
  for (const r of read.rejects) process.stderr.write(`${file}:${r.line}: ${r.reason}\n`);
  if (entries.length === 0) throw new UsageError(`${file}: no events to evaluate`);
  entries.sort((a, b) => a.event.time - b.event.time);
  const dir = values.policy ?? join(packageRoot, 'policies');
  const { policy, diagnostics } = loadPolicyDir(dir);
  if (!policy) throw new PolicyError(dir, diagnostics);
  const evaluable = evaluableFrom(entries, values['warmup-days'] === undefined ? undefined : int('warmup-days', values['warmup-days'], 0, 0));
  const report = evaluate(evaluable, {}, policy, { threatDirectoryThreshold: 5 });
  const source = { file, events: entries.length, rejected: read.rejected, campaigns: evaluable.campaigns.length, days: evaluable.options.days, warmupDays: evaluable.options.warmupDays };
  out(values.json ? JSON.stringify({ source, ...report }, null, 2)
    : `evaluated ${entries.length} events from ${file} (${evaluable.campaigns.length} labelled campaigns, ${evaluable.options.days} days, ${evaluable.options.warmupDays} of warm-up)\n\n${formatReport(report)}`);
  return 0;
}
