/**
 * Finds rules that can never decide because an earlier rule always matches first: the
 * earlier rule has no exceptions and each of its conditions is implied by the later rule's
 * (same key; the later rule's values a subset, its range inside). Sound but not complete:
 * patterns are compared as text, and composite conditions only when written identically.
 */
import type { Facet, Where } from './conditions.js';
import type { CompiledRule } from './policy.js';
import { basename } from 'node:path';

export interface Shadowed {
  where: Where;
  message: string;
  hint: string;
}

function implies(later: Facet | undefined, earlier: Facet): boolean {
  if (!later || later.type !== earlier.type) return false;
  if (earlier.type === 'set' && later.type === 'set') {
    for (const v of later.values) if (!earlier.values.has(v)) return false;
    return true;
  }
  if (earlier.type === 'range' && later.type === 'range') return later.lo >= earlier.lo && later.hi <= earlier.hi;
  return earlier.type === 'exact' && later.type === 'exact' && later.value === earlier.value;
}

/** True when every bind `later` matches is also matched by `earlier`. */
function covers(earlier: CompiledRule, later: CompiledRule): boolean {
  if (earlier.unless.length > 0) return false;
  for (const [key, facet] of earlier.when.facets) if (!implies(later.when.facets.get(key), facet)) return false;
  return true;
}

export function findShadowed(rules: readonly CompiledRule[], fallback?: { where: Where }): Shadowed[] {
  const out: Shadowed[] = [];
  const where = (r: CompiledRule): string => `${basename(r.file)}:${r.line}`;
  for (let j = 1; j < rules.length; j++) {
    const later = rules[j]!;
    for (let i = 0; i < j; i++) {
      const earlier = rules[i]!;
      if (!covers(earlier, later)) continue;
      out.push({
        where: { source: later.where.source, path: [...later.where.path, 'id'] },
        message: `rule "${later.id}" can never match: rule "${earlier.id}" (${where(earlier)}) matches every bind it would`,
        hint: `move "${later.id}" above "${earlier.id}", or narrow "${earlier.id}"`,
      });
      break;
    }
  }
  const catchAll = rules.find((r) => r.when.facets.size === 0 && r.unless.length === 0);
  if (catchAll && fallback) {
    out.push({
      where: fallback.where,
      message: `the default is never used: rule "${catchAll.id}" (${where(catchAll)}) matches every bind`,
      hint: `remove "${catchAll.id}" and set its action as the default`,
    });
  }
  return out;
}
