/**
 * Compiles a demote profile into the Restriction the proxy enforces: attribute values to
 * strip (by pattern) and subtrees to hide, all matched case-insensitively on normal forms.
 */
import type { Restriction, RestrictionParts } from '../proxy/restriction.js';
import { normalizeDn } from '../util/dn.js';
import { lower, NameMatcher } from './matchers.js';

export type ProfileParts = RestrictionParts;

/** Attribute options (";binary", ";lang-en") do not change which attribute it is. */
const baseName = (attribute: string): string => {
  const semi = attribute.indexOf(';');
  return lower(semi < 0 ? attribute : attribute.slice(0, semi));
};

export function compileProfile(name: string, parts: ProfileParts): Restriction {
  const whole = new Set<string>();
  const byValue = new Map<string, NameMatcher>();
  for (const s of parts.strip) {
    const attr = baseName(s.attribute);
    if (s.values === null) whole.add(attr);
    else byValue.set(attr, new NameMatcher(s.values, (v) => (v.includes('=') ? normalizeDn(v) : lower(v))));
  }
  const hidden = parts.hide.map(normalizeDn);
  const normValue = (v: string): string => (v.includes('=') ? normalizeDn(v) : lower(v));
  return Object.freeze({
    name,
    parts,
    readRestricted: whole.size > 0 || byValue.size > 0 || hidden.length > 0,
    hidesDn: (dn: string): boolean => {
      if (hidden.length === 0) return false;
      const n = normalizeDn(dn);
      return hidden.some((h) => n === h || n.endsWith(`,${h}`));
    },
    stripsAttribute: (attribute: string): boolean => {
      const a = baseName(attribute);
      return whole.has(a) || byValue.has(a);
    },
    stripsWhole: (attribute: string): boolean => whole.has(baseName(attribute)),
    stripsValue: (attribute: string, value: string): boolean => {
      const a = baseName(attribute);
      if (whole.has(a)) return true;
      const m = byValue.get(a);
      return m !== undefined && m.test(normValue(value));
    },
  });
}
