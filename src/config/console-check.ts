/**
 * admin.console's references, checked against the rest of the file: the listener sign-ins go
 * through, the groups that give a role (read through directory.lookup), Okta for the step-up.
 * A console nobody can sign in to is an error, not a surprise at the first sign-in.
 */
import { didYouMean, type Diagnostic } from './diagnostics.js';
import type { YamlSource } from './yaml-source.js';
import { obj, strings } from './raw.js';

export function checkConsole(source: YamlSource, raw: Record<string, unknown>, out: Diagnostic[]): void {
  const c = obj(obj(raw.admin)?.console);
  if (!c) return;
  const listeners = (Array.isArray(raw.listeners) ? raw.listeners : []).map(obj);
  const names = listeners.map((l) => l?.name).filter((n): n is string => typeof n === 'string');
  if (typeof c.via === 'string' && !names.includes(c.via)) {
    const guess = didYouMean(c.via, names);
    out.push(source.diag(['admin', 'console', 'via'], 'error', `admin.console.via names "${c.via}", which no listener is`, guess ? `did you mean "${guess}"?` : `listeners: ${names.join(', ')}`, true));
  }
  const roles = obj(c.roles);
  const groups = ['admin', 'analyst', 'viewer'].flatMap((r) => strings(roles?.[r]));
  if (roles && groups.length === 0) {
    out.push(source.diag(['admin', 'console', 'roles'], 'error', 'no directory group gives a console role: nobody could sign in', 'roles:\n  admin: [cn=bindwall-admins,ou=groups,dc=corp,dc=example]'));
  }
  if (!obj(obj(raw.directory)?.lookup)) {
    out.push(source.diag(['admin', 'console'], 'error', 'the console reads its users\' groups through directory.lookup, which is not configured', 'add directory.lookup (a read-only account: bindDn, passwordFile, baseDn)'));
  }
  if (c.stepUp !== 'policy' && !obj(obj(raw.mfa)?.okta)) {
    out.push(source.diag(['admin', 'console'], 'error', 'console sign-ins step up with Okta, and mfa.okta is not configured', 'configure mfa.okta, or set admin.console.stepUp: policy (the policy alone decides)'));
  }
}
