/**
 * SIGHUP: read the config file again and apply what can change while running — listeners'
 * certificates and keys, the log level, notify targets, response workflows, the policy
 * (re-read from its directory) — and say what else changed and needs a restart. An edit with
 * errors is refused with every diagnostic and the running config stays, as a policy edit is.
 */
import { createHash } from 'node:crypto';
import { ConfigError, loadConfigFile, type Config } from '../config/load.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { Secret } from '../log/secret.js';

export interface Reloadable {
  log: Logger;
  reloadTls(listeners: Config['listeners']): string[];
  setNotifyTargets?(targets: Config['incidents']['notify']): void;
  setWorkflows?(workflows: Config['responses']): void;
  /** Re-reads the policy directory; whether a new policy was applied. */
  reloadPolicy?(): boolean;
  /** Another policy directory or watch setting; the problems that kept it from applying. */
  retargetPolicy?(config: Config): string[];
  /** New MFA timeouts, fail modes, prompt limits and rememberMs for the running challenger. */
  tuneMfa?(mfa: Config['mfa']): void;
}

/** MFA settings a running challenger takes; the rest (Okta credentials, the page) needs a restart. */
const MFA_LIVE = ['challengeTimeoutMs', 'pollIntervalMs', 'numberMatching', 'failMode', 'unenrolled', 'rememberMs', 'maxPromptsPerWindow', 'promptWindowMs', 'maxPromptsPerSource', 'appTimeoutsMs'] as const;

export interface ReloadReport {
  ok: boolean;
  applied: string[];
  needsRestart: string[];
  problems?: string[];
}

/** A comparable fingerprint: secrets by a hash of their value, buffers by their bytes. */
function fingerprint(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x instanceof Secret) {
      const r = x.reveal() as unknown;
      return `secret:${createHash('sha256').update(Buffer.isBuffer(r) ? r : String(r)).digest('hex')}`;
    }
    if (x && typeof x === 'object' && (x as { type?: unknown }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data)) return `buf:${createHash('sha256').update(Buffer.from((x as { data: number[] }).data)).digest('hex')}`;
    if (x && typeof x === 'object' && 'export' in x && typeof (x as { export: unknown }).export === 'function' && 'asymmetricKeyType' in x) {
      return `key:${createHash('sha256').update((x as { export(o: object): Buffer }).export({ format: 'der', type: 'pkcs8' })).digest('hex')}`;
    }
    return x;
  });
}

const same = (a: unknown, b: unknown): boolean => fingerprint(a) === fingerprint(b);

/** Compares two configs and applies what can be applied; `running` is the config in force (updated for what was applied). */
export function reloadConfig(file: string, running: { config: Config }, target: Reloadable): ReloadReport {
  const log = target.log;
  let next: Config;
  try {
    next = loadConfigFile(file);
  } catch (err) {
    const problems = err instanceof ConfigError ? err.diagnostics.map(formatDiagnostic) : [describeError(err).message];
    log.error({ event: 'config_reload_failed', file, problems }, `config edit refused (${problems.length} problem(s)); the running config stays`);
    return { ok: false, applied: [], needsRestart: [], problems };
  }
  const cur = running.config;
  const applied: string[] = [];
  const needsRestart: string[] = [];
  // Listeners: new certificates apply; anything else about a listener needs a restart.
  const strip = (ls: Config['listeners']) => ls.map(({ tls: _t, ...l }) => l);
  if (!same(strip(cur.listeners), strip(next.listeners))) needsRestart.push('listeners');
  else if (!same(cur.listeners.map((l) => l.tls), next.listeners.map((l) => l.tls))) {
    const changed = target.reloadTls(next.listeners.filter((l, i) => !same(l.tls, cur.listeners[i]?.tls)));
    applied.push(...changed.map((n) => `listener ${n}: certificate and key`));
  }
  if (cur.log.level !== next.log.level) {
    log.level = next.log.level;
    applied.push(`log.level ${cur.log.level} → ${next.log.level}`);
  }
  if (cur.log.flushBeforeAnswer !== next.log.flushBeforeAnswer || cur.log.file !== next.log.file || !same(cur.log.syslog, next.log.syslog)) needsRestart.push('log (flushBeforeAnswer, file, syslog)');
  if (!same(cur.incidents.notify, next.incidents.notify) && target.setNotifyTargets) {
    target.setNotifyTargets(next.incidents.notify);
    applied.push('incidents.notify');
  }
  if (!same(cur.incidents.escalation, next.incidents.escalation) || !same(cur.incidents.responseRetry, next.incidents.responseRetry)) needsRestart.push('incidents.escalation / responseRetry');
  if (!same(cur.responses, next.responses) && target.setWorkflows) {
    target.setWorkflows(next.responses);
    applied.push('responses');
  }
  let policyMoved = false;
  if (cur.policy.mode !== next.policy.mode) needsRestart.push('policy.mode');
  else if ((cur.policy.dir !== next.policy.dir || cur.policy.watch !== next.policy.watch) && target.retargetPolicy) {
    const problems = target.retargetPolicy(next);
    if (problems.length > 0) log.error({ event: 'policy_reload_failed', dir: next.policy.dir, problems }, `the policy in ${next.policy.dir} was refused; the running policy stays`);
    else {
      policyMoved = true;
      applied.push(`policy from ${next.policy.dir}${next.policy.watch ? ' (watched)' : ''}`);
    }
  } else if (target.reloadPolicy?.()) applied.push('policy (re-read from its directory)');
  const fixedMfa = (m: Config['mfa']): unknown => Object.fromEntries(Object.entries(m).filter(([k]) => !(MFA_LIVE as readonly string[]).includes(k)));
  if (!same(fixedMfa(cur.mfa), fixedMfa(next.mfa))) needsRestart.push('mfa (okta, otpDelimiter, challengePage)');
  else if (!same(cur.mfa, next.mfa) && target.tuneMfa) {
    target.tuneMfa(next.mfa);
    applied.push(`mfa (${MFA_LIVE.filter((k) => !same(cur.mfa[k], next.mfa[k])).join(', ')})`);
  }
  for (const key of ['directory', 'binds', 'limits', 'behavior', 'threat', 'connectors', 'storage', 'userInsight'] as const) {
    if (!same(cur[key], next[key])) needsRestart.push(key);
  }
  // What was applied is now in force; what needs a restart is still the old value.
  running.config = Object.freeze({ ...cur, listeners: needsRestart.includes('listeners') ? cur.listeners : next.listeners, log: { ...cur.log, level: next.log.level },
    incidents: { ...cur.incidents, notify: next.incidents.notify }, responses: next.responses,
    mfa: applied.some((a) => a.startsWith('mfa')) ? next.mfa : cur.mfa, policy: policyMoved ? next.policy : cur.policy });
  log.info({ event: 'config_reloaded', file, applied, needsRestart },
    `config reloaded: ${applied.length ? `applied ${applied.join('; ')}` : 'nothing to apply'}${needsRestart.length ? `; needs a restart: ${needsRestart.join(', ')}` : ''}`);
  return { ok: true, applied, needsRestart };
}
