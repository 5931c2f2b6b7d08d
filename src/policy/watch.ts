/**
 * Hot reload: watches the policy directory and recompiles after edits settle. A valid
 * policy replaces the running one at once; an invalid one is refused with every diagnostic
 * logged, and the running policy stays. Editors save in several steps (write a temp file,
 * rename), so changes are debounced.
 */
import { watch, type FSWatcher } from 'node:fs';
import { formatDiagnostic, type Diagnostic } from '../config/diagnostics.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { loadPolicyDir } from './compile.js';
import type { PolicyDecider } from './decider.js';
import type { CompiledPolicy } from './policy.js';

export interface ReloadResult {
  applied: boolean;
  /** The policy running after the reload. */
  hash: string;
  diagnostics: Diagnostic[];
}

export class PolicyWatcher {
  readonly #dir: string;
  readonly #decider: PolicyDecider;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #debounceMs: number;
  readonly #listeners = new Set<(r: ReloadResult) => void>();
  #watcher: FSWatcher | null = null;
  #timer: TimerHandle | null = null;

  readonly #check: ((p: CompiledPolicy) => Diagnostic[]) | undefined;

  /** `check`: what the running config says of a policy (errors refuse it, as a compile error would). */
  constructor(o: { dir: string; decider: PolicyDecider; log: Logger; clock: Clock; debounceMs?: number; check?: (p: CompiledPolicy) => Diagnostic[] }) {
    this.#check = o.check;
    this.#dir = o.dir;
    this.#decider = o.decider;
    this.#log = o.log;
    this.#clock = o.clock;
    this.#debounceMs = o.debounceMs ?? 250;
  }

  start(): void {
    try {
      this.#watcher = watch(this.#dir, { persistent: false }, () => this.#schedule());
      this.#watcher.on('error', (err) => this.#log.error({ event: 'policy_watch_error', dir: this.#dir, error: describeError(err) }, 'watching the policy directory failed; edits need a restart'));
    } catch (err) {
      this.#log.error({ event: 'policy_watch_error', dir: this.#dir, error: describeError(err) }, 'cannot watch the policy directory; edits need a restart');
    }
  }

  /** Called after every reload attempt (tests wait on it instead of sleeping). */
  onReload(fn: (r: ReloadResult) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #schedule(): void {
    this.#timer?.cancel();
    this.#timer = this.#clock.setTimer(this.#debounceMs, () => {
      this.#timer = null;
      this.reload();
    });
  }

  /** Recompiles now. */
  reload(): ReloadResult {
    const running = this.#decider.policy;
    let result: ReloadResult;
    try {
      const compiled = loadPolicyDir(this.#dir);
      const extra = compiled.policy && this.#check ? this.#check(compiled.policy) : [];
      const diagnostics = [...compiled.diagnostics, ...extra];
      const policy = extra.some((d) => d.severity === 'error') ? undefined : compiled.policy;
      if (!policy) {
        this.#log.error({ event: 'policy_reload_failed', dir: this.#dir, running: running.hash, problems: diagnostics.map(formatDiagnostic) },
          `policy edit refused (${diagnostics.filter((d) => d.severity === 'error').length} error(s)); still running policy ${running.hash}`);
        result = { applied: false, hash: running.hash, diagnostics };
      } else if (policy.hash === running.hash) {
        result = { applied: false, hash: running.hash, diagnostics };
      } else {
        this.#decider.swap(policy);
        this.#log.info({ event: 'policy_reloaded', dir: this.#dir, previous: running.hash, hash: policy.hash, rules: policy.rules.length,
          ...(diagnostics.length > 0 ? { warnings: diagnostics.map(formatDiagnostic) } : {}) }, `policy ${policy.hash} applied (${policy.rules.length} rules)`);
        result = { applied: true, hash: policy.hash, diagnostics };
      }
    } catch (err) {
      // Fail safe: whatever went wrong, the running policy keeps deciding.
      this.#log.error({ event: 'policy_reload_failed', dir: this.#dir, running: running.hash, error: describeError(err) }, 'policy reload failed; keeping the running policy');
      result = { applied: false, hash: running.hash, diagnostics: [] };
    }
    for (const fn of this.#listeners) fn(result);
    return result;
  }

  close(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#watcher?.close();
    this.#watcher = null;
  }
}
