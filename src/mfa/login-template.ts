/**
 * The Okta login for an LDAP account, from a template: "{account}" is the canonical account
 * name, any other "{name}" a directory attribute of the user ("{mail}", "{userPrincipalName}").
 * Returns undefined when an attribute the template needs is missing.
 */
import type { UserFacts } from '../directory/facts.js';

export function loginFor(template: string, account: string, facts: UserFacts | null | undefined): string | undefined {
  let missing = false;
  const out = template.replace(/\{([A-Za-z][\w-]*)\}/g, (_m, name: string) => {
    if (name === 'account') return account;
    const key = Object.keys(facts?.attributes ?? {}).find((k) => k.toLowerCase() === name.toLowerCase());
    const value = key ? facts!.attributes[key]![0] : undefined;
    if (value === undefined) missing = true;
    return value ?? '';
  });
  return missing ? undefined : out;
}

/** The attribute names a template needs from the directory. */
export function templateAttributes(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z][\w-]*)\}/g)].map((m) => m[1]!).filter((n) => n !== 'account');
}
