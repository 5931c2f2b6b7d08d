/**
 * Response workflows as the config gives them (`responses:`), checked step by step: every
 * unknown step, missing target, Okta step without Okta credentials or dangling workflow
 * reference is reported with its position, and a did-you-mean where one fits.
 */
import { isAbsolute, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { didYouMean, type Diagnostic } from './diagnostics.js';
import type { YamlSource } from './yaml-source.js';
import { Secret } from '../log/secret.js';
import { DURATION_HINT, parseDuration } from './duration.js';
import { obj } from './raw.js';

export const StepKind = {
  Quarantine: 'quarantine',
  RevokeRemembered: 'revokeRemembered',
  Notify: 'notify',
  OktaClearSessions: 'okta.clearSessions',
  OktaSuspend: 'okta.suspend',
  OktaResetFactors: 'okta.resetFactors',
  Webhook: 'webhook',
} as const;
export type StepKind = (typeof StepKind)[keyof typeof StepKind];

export type ResponseStep =
  | { kind: typeof StepKind.Quarantine; releaseOn: 'analyst' | 'verified'; forMs?: number }
  | { kind: typeof StepKind.RevokeRemembered }
  | { kind: typeof StepKind.Notify; targets: readonly string[] }
  | { kind: typeof StepKind.OktaClearSessions }
  | { kind: typeof StepKind.OktaSuspend }
  | { kind: typeof StepKind.OktaResetFactors }
  | { kind: typeof StepKind.Webhook; url: string; timeoutMs: number; secret?: Secret<string> };

export type Workflow = readonly ResponseStep[];

const BARE: readonly StepKind[] = [StepKind.Quarantine, StepKind.RevokeRemembered, StepKind.OktaClearSessions, StepKind.OktaSuspend, StepKind.OktaResetFactors];
const ALL = Object.values(StepKind);
const EXAMPLE = 'e.g. - quarantine, - notify: [security-team], - okta.clearSessions';


/** Reads `responses:` (raw YAML data) into workflows; problems go to `out`. */
export function readWorkflows(source: YamlSource, raw: Record<string, unknown>, out: Diagnostic[]): Record<string, Workflow> {
  const base = resolve(source.file, '..');
  const result: Record<string, Workflow> = {};
  const targets = Object.keys(obj(obj(raw.incidents)?.notify) ?? {});
  const hasOkta = obj(obj(raw.mfa)?.okta) !== undefined;
  for (const [name, list] of Object.entries(obj(raw.responses) ?? {})) {
    if (!Array.isArray(list)) continue; // the schema said so
    const steps: ResponseStep[] = [];
    list.forEach((item, i) => {
      const at = ['responses', name, i];
      const key = typeof item === 'string' ? item : Object.keys(obj(item) ?? {})[0];
      const arg = typeof item === 'string' ? undefined : obj(item)?.[key ?? ''];
      if (typeof item !== 'string' && Object.keys(obj(item) ?? {}).length !== 1) {
        out.push(source.diag(at, 'error', 'a step is one name, or one name with its options', EXAMPLE));
        return;
      }
      if (!key || !(ALL as string[]).includes(key)) {
        const guess = key ? didYouMean(key, ALL) : undefined;
        out.push(source.diag(at, 'error', `unknown response step "${key ?? ''}"`, guess ? `did you mean "${guess}"?` : `steps: ${ALL.join(', ')}`));
        return;
      }
      if (key.startsWith('okta.') && !hasOkta) {
        out.push(source.diag(at, 'error', `step ${key} needs mfa.okta (its credentials, with the okta.users.manage scope)`, 'configure mfa.okta, or remove the step'));
      }
      if (typeof item === 'string') {
        if (!BARE.includes(key as StepKind)) {
          out.push(source.diag(at, 'error', `step ${key} needs its options`, key === 'notify' ? 'write notify: [security-team]' : 'write webhook: { url: https://… }'));
          return;
        }
        steps.push(key === StepKind.Quarantine ? { kind: StepKind.Quarantine, releaseOn: 'analyst' } : ({ kind: key } as ResponseStep));
        return;
      }
      const argAt = [...at, key];
      switch (key) {
        case StepKind.Quarantine: {
          const q = obj(arg);
          const releaseOn = q?.releaseOn ?? 'analyst';
          if (!q || (releaseOn !== 'analyst' && releaseOn !== 'verified') || Object.keys(q).some((k) => k !== 'releaseOn' && k !== 'forMs')) {
            out.push(source.diag(argAt, 'error', 'quarantine takes { releaseOn: analyst | verified, forMs }', 'releaseOn: verified lets a passed step-up release the account'));
            return;
          }
          const forMs = typeof q.forMs === 'string' ? parseDuration(q.forMs) : q.forMs;
          if (q.forMs !== undefined && (!Number.isInteger(forMs) || (forMs as number) < 1)) {
            out.push(source.diag([...argAt, 'forMs'], 'error', 'forMs is a duration', `${DURATION_HINT}; leave it out to quarantine until released`));
            return;
          }
          steps.push({ kind: StepKind.Quarantine, releaseOn, ...(forMs !== undefined ? { forMs: forMs as number } : {}) });
          return;
        }
        case StepKind.Notify: {
          const names = Array.isArray(arg) ? arg : typeof arg === 'string' ? [arg] : undefined;
          if (!names || names.length === 0 || names.some((n) => typeof n !== 'string')) {
            out.push(source.diag(argAt, 'error', 'notify takes a list of target names', 'write notify: [security-team] (targets under incidents.notify)'));
            return;
          }
          names.forEach((n, j) => {
            if (!targets.includes(n as string)) {
              const guess = didYouMean(n as string, targets);
              out.push(source.diag(Array.isArray(arg) ? [...argAt, j] : argAt, 'error', `notify target "${n as string}" is not configured under incidents.notify`,
                guess ? `did you mean "${guess}"?` : 'add it under incidents.notify (type webhook, pagerduty or slack)'));
            }
          });
          steps.push({ kind: StepKind.Notify, targets: names as string[] });
          return;
        }
        case StepKind.Webhook: {
          const w = obj(arg);
          const url = typeof w?.url === 'string' ? w.url : undefined;
          if (!url || !/^https?:\/\/[^/\s]+/.test(url)) {
            out.push(source.diag(w ? [...argAt, 'url'] : argAt, 'error', 'webhook needs url: an http(s) URL', 'webhook: { url: https://soar.example/hooks/bindwall, secretFile: webhook.key }'));
            return;
          }
          if (url.startsWith('http://') && !/^http:\/\/(127\.|localhost[:/]|\[::1\])/.test(url)) {
            out.push(source.diag([...argAt, 'url'], 'warning', 'the webhook is plain http: incident details cross the network unencrypted', 'use https://'));
          }
          const timeoutMs = typeof w?.timeoutMs === 'string' ? parseDuration(w.timeoutMs) : (w?.timeoutMs ?? 5_000);
          if (!Number.isInteger(timeoutMs) || (timeoutMs as number) < 1) out.push(source.diag([...argAt, 'timeoutMs'], 'error', 'timeoutMs is a duration', DURATION_HINT));
          let secret: Secret<string> | undefined;
          if (typeof w?.secretFile === 'string') {
            const file = isAbsolute(w.secretFile) ? w.secretFile : resolve(base, w.secretFile);
            try {
              const text = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
              if (text.length < 16) out.push(source.diag([...argAt, 'secretFile'], 'error', `the webhook secret in ${file} is shorter than 16 characters`, 'openssl rand -hex 32 > webhook.key'));
              secret = new Secret(text);
            } catch (err) {
              out.push(source.diag([...argAt, 'secretFile'], 'error', `cannot read webhook secret file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}`, 'check the path (relative paths start at the config file)'));
            }
          }
          const unknown = Object.keys(w ?? {}).filter((k) => !['url', 'timeoutMs', 'secretFile'].includes(k));
          if (unknown.length) out.push(source.diag(argAt, 'error', `webhook: unknown option(s) ${unknown.join(', ')}`, 'options: url, timeoutMs, secretFile'));
          steps.push({ kind: StepKind.Webhook, url, timeoutMs: timeoutMs as number, ...(secret ? { secret } : {}) });
          return;
        }
        default:
          out.push(source.diag(argAt, 'error', `step ${key} takes no options`, `write - ${key}`));
      }
    });
    // A person suspended in Okta, or without factors, cannot pass the step-up that would release them.
    const waits = list.findIndex((item) => obj(item) && obj(obj(item)!.quarantine)?.releaseOn === 'verified');
    const blocker = steps.find((s) => s.kind === StepKind.OktaSuspend || s.kind === StepKind.OktaResetFactors);
    if (waits >= 0 && blocker) {
      out.push(source.diag(['responses', name, waits], 'warning', `quarantine until verified, but ${blocker.kind} leaves the person no way to pass a step-up: they stay quarantined until an analyst releases them`,
        `drop ${blocker.kind}, or quarantine with releaseOn: analyst`));
    }
    result[name] = Object.freeze(steps);
  }
  const names = Object.keys(result);
  const ref = (path: (string | number)[], value: unknown): void => {
    if (typeof value !== 'string' || names.includes(value)) return;
    const guess = didYouMean(value, names);
    out.push(source.diag(path, 'error', `response workflow "${value}" is not configured under responses:`, guess ? `did you mean "${guess}"?` : 'add it under responses: (a list of steps)'));
  };
  ref(['threat', 'honeytokens', 'respond'], obj(obj(raw.threat)?.honeytokens)?.respond);
  ref(['userInsight', 'onReport'], obj(raw.userInsight)?.onReport);
  return result;
}

/** A short description of a step, for timelines and `config check`. */
export function describeStep(s: ResponseStep): string {
  switch (s.kind) {
    case StepKind.Quarantine: return `quarantine${s.releaseOn === 'verified' ? ' (until verified)' : ''}`;
    case StepKind.Notify: return `notify ${s.targets.join(', ')}`;
    case StepKind.Webhook: return `webhook ${new URL(s.url).host}`;
    default: return s.kind;
  }
}
