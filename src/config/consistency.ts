/**
 * Config keys that name something defined elsewhere in the file and would silently do nothing
 * when it is not: an app timeout for an app no listener or app range produces, an Okta login
 * template that needs a directory attribute the lookup does not read (or no lookup at all).
 */
import { didYouMean, type Diagnostic } from './diagnostics.js';
import type { YamlSource } from './yaml-source.js';
import { obj, strings } from './raw.js';


export function checkConsistency(source: YamlSource, raw: Record<string, unknown>, out: Diagnostic[]): void {
  const apps = [
    ...(Array.isArray(raw.listeners) ? raw.listeners : []).map((l) => obj(l)?.name).filter((n): n is string => typeof n === 'string'),
    ...(Array.isArray(obj(raw.behavior)?.apps) ? (obj(raw.behavior)!.apps as unknown[]) : []).map((a) => obj(a)?.name).filter((n): n is string => typeof n === 'string'),
  ];
  const mfa = obj(raw.mfa);
  for (const app of Object.keys(obj(mfa?.appTimeoutsMs) ?? {})) {
    if (apps.includes(app)) continue;
    const guess = didYouMean(app, apps);
    out.push(source.diag(['mfa', 'appTimeoutsMs', app], 'warning', `mfa.appTimeoutsMs names "${app}", which no listener or behavior.apps entry is`, guess ? `did you mean "${guess}"?` : `apps: ${apps.join(', ')}`, true));
  }
  const okta = obj(mfa?.okta);
  const template = typeof okta?.loginTemplate === 'string' ? okta.loginTemplate : undefined;
  if (template) {
    const lookup = obj(obj(raw.directory)?.lookup);
    // What the lookup reads: its user attributes, extraAttributes, and UserInsight's mail attribute when that is on.
    const ui = obj(raw.userInsight);
    const mail = ui ? [typeof ui.mailAttribute === 'string' ? ui.mailAttribute : 'mail'] : [];
    const read = lookup ? [...strings(lookup.userAttributes ?? ['uid', 'sAMAccountName', 'userPrincipalName']), ...strings(lookup.extraAttributes), ...mail].map((a) => a.toLowerCase()) : [];
    const wanted = [...template.matchAll(/\{([A-Za-z][\w-]*)\}/g)].map((m) => m[1]!).filter((n) => n !== 'account');
    for (const attr of wanted) {
      if (read.includes(attr.toLowerCase())) continue;
      out.push(source.diag(['mfa', 'okta', 'loginTemplate'], 'warning',
        lookup ? `loginTemplate needs the directory attribute "${attr}", which directory.lookup does not read: every step-up fails as "no Okta login"` : `loginTemplate needs the directory attribute "${attr}", but directory.lookup is not configured: every step-up fails as "no Okta login"`,
        lookup ? `add ${attr} to directory.lookup.extraAttributes` : 'configure directory.lookup, or use {account} in the template'));
    }
  }
}
