/**
 * Checks a policy against the configuration that will run it: an app name no listener or
 * app range produces, or a directory attribute the lookup does not fetch, would make a
 * condition silently never match (warnings with a did-you-mean); a response workflow that
 * is not configured would let a failed challenge go unanswered (an error: the policy is refused).
 */
import type { Config } from '../config/load.js';
import { didYouMean, sortDiagnostics, type Diagnostic } from '../config/diagnostics.js';
import type { CompiledPolicy } from './policy.js';
import { checkOverrides } from './override-check.js';

const GLOB = /[*?]/;

export function checkPolicyAgainstConfig(policy: CompiledPolicy, config: Config): Diagnostic[] {
  const apps = [...config.listeners.map((l) => l.name), ...config.behavior.apps.map((a) => a.name)];
  const lowerApps = new Set(apps.map((a) => a.toLowerCase()));
  const lookup = config.directory.lookup;
  const fetched = lookup ? [...lookup.extraAttributes] : [];
  const lowerFetched = new Set(fetched.map((a) => a.toLowerCase()));
  const out: Diagnostic[] = [...checkOverrides(policy)];
  // Not a fail-open (such a bind is refused), but a silent one: every bind the rule
  // matches fails with "invalid credentials" and nobody is asked.
  if (!config.mfa.okta) {
    const mfaRules = [...policy.rules.map((r) => ({ id: r.id, file: r.file, line: r.line, action: r.outcome.action })),
      { id: 'default', file: policy.fallbackFile, line: policy.fallbackLine, action: policy.fallback.action }]
      .filter((r) => r.action === 'mfa');
    for (const r of mfaRules) {
      out.push({ file: r.file, line: r.line, col: 1, severity: 'warning', message: `rule ${r.id} steps up to MFA, but mfa.okta is not configured: every bind it matches is refused (49) without a prompt`,
        hint: `configure mfa.okta in ${config.file} (orgUrl, apiTokenFile or oauth), or change the rule's action` });
    }
  }
  // A response that quarantines until the person verifies needs a rule that asks them to.
  const waits = Object.entries(config.responses).filter(([, steps]) => steps.some((s) => s.kind === 'quarantine' && s.releaseOn === 'verified')).map(([n]) => n);
  if (waits.length > 0 && !policy.references.some((r) => r.kind === 'until-verified')) {
    out.push({ file: policy.fallbackFile, line: 1, col: 1, severity: 'warning',
      message: `response ${waits.join(', ')} quarantines until the person verifies, but no rule asks a quarantined person to (quarantined: until-verified): they stay blocked until an analyst releases them`,
      hint: 'add a rule before your quarantine block: { id: quarantined-until-verified, when: { quarantined: until-verified }, action: mfa, mode: enforce } (as policies/default.yaml does)' });
  }
  for (const r of policy.references) {
    const at = { file: r.file, line: r.line, col: r.col, severity: 'warning' as const };
    if (r.kind === 'app' && !GLOB.test(r.value) && !lowerApps.has(r.value.toLowerCase())) {
      const guess = didYouMean(r.value, apps);
      out.push({ ...at, message: `no listener or behavior.apps entry is called "${r.value}": this condition never matches`,
        hint: guess ? `did you mean "${guess}"?` : `known apps: ${apps.join(', ')}` });
    }
    if (r.kind === 'workflow' && !Object.hasOwn(config.responses, r.value)) {
      const names = Object.keys(config.responses);
      const guess = didYouMean(r.value, names);
      out.push({ ...at, severity: 'error', message: `response workflow "${r.value}" is not configured under responses: in ${config.file}`,
        hint: guess ? `did you mean "${guess}"?` : names.length ? `configured: ${names.join(', ')}` : 'add it under responses: (a list of steps such as quarantine, notify, okta.clearSessions)' });
    }
    if (r.kind === 'notify' && !Object.hasOwn(config.incidents.notify, r.value)) {
      const names = Object.keys(config.incidents.notify);
      const guess = didYouMean(r.value, names);
      out.push({ ...at, message: `notify target "${r.value}" is not configured under incidents.notify in ${config.file}: nobody hears of these incidents`,
        hint: guess ? `did you mean "${guess}"?` : names.length ? `configured: ${names.join(', ')}` : 'add it under incidents.notify (type webhook, pagerduty or slack, with its url)' });
    }
    if (r.kind === 'attribute' && !lowerFetched.has(r.value.toLowerCase())) {
      out.push({ ...at, message: lookup ? `attribute "${r.value}" is not fetched: add it to directory.lookup.extraAttributes` : `attribute "${r.value}" needs directory.lookup, which is not configured`,
        hint: lookup ? (didYouMean(r.value, fetched) ? `did you mean "${didYouMean(r.value, fetched)}"?` : `fetched: ${fetched.join(', ') || '(none)'}`) : 'configure directory.lookup with extraAttributes' });
    }
  }
  return sortDiagnostics(out);
}
