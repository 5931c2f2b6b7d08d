/** Loads the configured policy directory and, when enabled, watches it for edits. */
import type { Config } from '../config/load.js';
import { formatDiagnostic } from '../config/diagnostics.js';
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
  const reloader = new PolicyWatcher({ dir, decider, log, clock: deps.clock ?? systemClock, check: (p) => checkPolicyAgainstConfig(p, config) });
  const watcher = config.policy.watch ? reloader : undefined;
  watcher?.start();
  return { decider, watcher, reload: () => reloader.reload().applied, close: () => watcher?.close() };
}
