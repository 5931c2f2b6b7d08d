/** Loads the configured policy directory and, when enabled, watches it for edits. */
import type { Config } from '../config/load.js';
import { formatDiagnostic, type Diagnostic } from '../config/diagnostics.js';
import type { EventMapper } from '../behavior/logon-event.js';
import type { QuarantineView } from '../incidents/quarantine.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import { loadPolicyDir, PolicyError } from './compile.js';
import { checkPolicyAgainstConfig } from './config-check.js';
import { PolicyDecider } from './decider.js';
import { PolicyWatcher } from './watch.js';

export interface RunningPolicy {
  decider: PolicyDecider;
  watcher: PolicyWatcher | undefined;
  /** Re-reads the policy directory now (SIGHUP), watched or not; whether a new policy was applied. */
  reload(): boolean;
  /**
   * Moves to another policy directory (or watch setting) from a reloaded config: the new
   * directory's policy must compile and fit the config, else nothing changes. The problems, if any.
   */
  retarget(config: Config): Diagnostic[];
  close(): void;
}

export function startPolicy(config: Config, log: Logger, deps: { mapper: EventMapper; quarantine?: QuarantineView; clock?: Clock }): RunningPolicy {
  const dir = config.policy.dir;
  const { policy, diagnostics } = loadPolicyDir(dir);
  if (!policy) throw new PolicyError(dir, diagnostics);
  const againstConfig = checkPolicyAgainstConfig(policy, config);
  if (againstConfig.some((d) => d.severity === 'error')) throw new PolicyError(dir, againstConfig);
  for (const d of [...diagnostics, ...againstConfig]) log.warn({ event: 'policy_warning', problem: formatDiagnostic(d) }, 'policy warning');
  if (policy.usesFacts && !config.directory.lookup) {
    log.warn({ event: 'policy_without_facts', dir }, 'the policy has group/OU/department/site/title/attribute conditions but directory.lookup is not configured: they only see what the bind DN says');
  }
  const decider = new PolicyDecider(policy, deps.mapper, deps.quarantine, { audit: config.policy.mode === 'audit' });
  if (config.policy.mode === 'audit') log.warn({ event: 'policy_audit_mode', dir }, 'policy.mode is audit: decisions are logged and stored, not enforced, except by rules with mode: enforce');
  log.info({ event: 'policy_loaded', dir, hash: policy.hash, rules: policy.rules.length, files: policy.files.length }, `policy ${policy.hash} loaded (${policy.rules.length} rules)`);
  const clock = deps.clock ?? systemClock;
  let reloader = new PolicyWatcher({ dir, decider, log, clock, check: (p) => checkPolicyAgainstConfig(p, config) });
  let watcher = config.policy.watch ? reloader : undefined;
  watcher?.start();
  const running: RunningPolicy = {
    decider, watcher, reload: () => reloader.reload().applied, close: () => watcher?.close(),
    retarget: (next) => {
      const compiled = loadPolicyDir(next.policy.dir);
      const problems = [...compiled.diagnostics, ...(compiled.policy ? checkPolicyAgainstConfig(compiled.policy, next) : [])].filter((d) => d.severity === 'error');
      if (!compiled.policy || problems.length > 0) return problems.length > 0 ? problems : compiled.diagnostics;
      decider.swap(compiled.policy);
      watcher?.close();
      reloader = new PolicyWatcher({ dir: next.policy.dir, decider, log, clock, check: (p) => checkPolicyAgainstConfig(p, next) });
      watcher = next.policy.watch ? reloader : undefined;
      watcher?.start();
      running.watcher = watcher;
      log.info({ event: 'policy_loaded', dir: next.policy.dir, hash: compiled.policy.hash, rules: compiled.policy.rules.length }, `policy ${compiled.policy.hash} loaded from ${next.policy.dir}`);
      return [];
    },
  };
  return running;
}
