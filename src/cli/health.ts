/**
 * `bindwall health --config FILE [--all] [--json]`: HealthInsight's tasks, most important
 * first, each with its impacts, what was found, why it matters and the exact fix;
 * `health dismiss ID --reason R` and `health restore ID` (with --operator).
 */
import { parseArgs } from 'node:util';
import { loadConfigFile, type Config } from '../config/load.js';
import { lockoutPolicySource } from '../directory/lockout-policy.js';
import { describeError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { effectiveThreshold, type EffectiveThreshold } from '../threat/lockout-threshold.js';
import { loadPolicyDir } from '../policy/compile.js';
import { healthReport } from '../health/report.js';
import { mapperFor } from '../behavior/setup.js';
import { openDatabase } from '../store/db.js';
import { fleetOutboxFor } from '../store/fleet-outbox.js';
import { HealthStore, type Dismissal } from '../store/health-store.js';
import { systemClock } from '../util/clock.js';
import { OPERATOR_OPTION, operatorName, toStderr } from './operator.js';
import { UsageError } from './usage.js';

export const HEALTH_USAGE = 'usage: bindwall health --config FILE [--all] [--json] | health dismiss ID --reason TEXT --config FILE | health restore ID --config FILE   (--operator NAME)';

export async function healthCommand(args: string[], out: (s: string) => void, err: (s: string) => void = toStderr): Promise<number> {
  const sub = args[0] === 'dismiss' || args[0] === 'restore' ? args[0] : undefined;
  const { values, positionals } = parseArgs({
    args: sub ? args.slice(1) : args, allowPositionals: true, strict: true,
    options: { config: { type: 'string', short: 'c' }, all: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, reason: { type: 'string' }, ...OPERATOR_OPTION },
  });
  if (!values.config || (sub ? positionals.length !== 1 : positionals.length !== 0)) throw new UsageError(HEALTH_USAGE);
  if (sub === 'dismiss' && !values.reason?.trim()) throw new UsageError('dismiss needs --reason: why this is accepted (it is shown beside the task)');
  const config = loadConfigFile(values.config);
  const db = openDatabase(config.storage.path);
  try {
    const store = new HealthStore(db, { outbox: fleetOutboxFor(db, config.storage.postgres !== undefined) });
    if (sub === 'dismiss') {
      const d: Dismissal = { task: positionals[0]!, time: systemClock.now(), reason: values.reason!.trim(), operator: operatorName(values.operator) };
      store.dismiss(d);
      if (values.json) out(JSON.stringify(d));
      else out(`${d.task} dismissed by ${d.operator}: ${d.reason}`);
      return 0;
    }
    if (sub === 'restore') {
      const ok = store.restore(positionals[0]!, systemClock.now());
      if (values.json) out(JSON.stringify({ task: positionals[0], restored: ok }));
      else if (ok) out(`${positionals[0]} is a task again`);
      else err(`bindwall: ${positionals[0]} was not dismissed`);
      return ok ? 0 : 1;
    }
    const { policy } = loadPolicyDir(config.policy.dir);
    const tasks = healthReport(config, policy, db, mapperFor(config), systemClock.now(), await directoryLockout(config));
    const shown = values.all ? tasks : tasks.filter((t) => !t.dismissed);
    if (values.json) {
      out(JSON.stringify({ tasks: shown, dismissed: tasks.filter((t) => t.dismissed).length }));
      return 0;
    }
    if (shown.length === 0) out(tasks.length ? `no open tasks (${tasks.length} dismissed; --all shows them)` : 'no tasks: nothing to fix');
    for (const t of shown) {
      out(`[${t.securityImpact} security / ${t.userImpact} user impact] ${t.id}: ${t.title}${t.dismissed ? `  (dismissed by ${t.dismissed.operator}: ${t.dismissed.reason})` : ''}`);
      out(`  found: ${t.found}`);
      out(`  why:   ${t.why}`);
      out(`  fix in ${t.fix.file}:`);
      for (const l of t.fix.yaml.split('\n')) out(`    ${l}`);
    }
    return 0;
  } finally {
    db.close();
  }
}

/** Smart lockout's threshold against the directory's own, read through the lookup account (as the proxy does). */
async function directoryLockout(config: Config): Promise<EffectiveThreshold | undefined> {
  if (config.threat.mode === 'off') return undefined;
  const source = lockoutPolicySource(config, systemClock, createLogger({ level: 'silent', destination: 2 }));
  if (!source) return effectiveThreshold(config.threat.lockout.threshold, undefined, 'no directory.lookup to read it with');
  try {
    return effectiveThreshold(config.threat.lockout.threshold, await source());
  } catch (e) {
    return effectiveThreshold(config.threat.lockout.threshold, undefined, describeError(e).message);
  }
}
