/**
 * Rules that come before the shipped safety blocks and would undo them: an approve, demote or
 * step-up that matches a quarantined account before the quarantine rule does, or an approve or
 * demote that matches a bind at risk 90 or more before the high-risk block. Often a file named
 * to sort before default.yaml. Warnings, with the rule that is passed over.
 */
import type { Diagnostic } from '../config/diagnostics.js';
import type { CompiledPolicy, CompiledRule } from './policy.js';

const decides = (r: CompiledRule): boolean => r.outcome.mode !== 'audit';
const isQuarantineRule = (r: CompiledRule): boolean => {
  const f = r.when.facets.get('quarantined');
  return f?.type === 'exact' && (f.value === 'true' || f.value === 'until-verified');
};
const isHighRiskBlock = (r: CompiledRule): boolean => {
  if (r.outcome.action !== 'block') return false;
  const f = r.when.facets.get('risk') ?? (r.when.facets.get('condition')?.type === 'set' && [...(r.when.facets.get('condition') as { values: ReadonlySet<string> }).values].some((v) => /high/i.test(v)) ? { type: 'range', lo: 90, hi: 100 } : undefined);
  return f?.type === 'range' && f.lo >= 80;
};
const mentions = (r: CompiledRule, key: string): boolean => r.when.facets.has(key) || r.unless.some((u) => u.facets.has(key));

export function checkOverrides(policy: CompiledPolicy): Diagnostic[] {
  const out: Diagnostic[] = [];
  const rules = policy.rules;
  const q = rules.findIndex(isQuarantineRule);
  if (q > 0) {
    for (const r of rules.slice(0, q)) {
      if (!decides(r) || r.outcome.action === 'block' || mentions(r, 'quarantined')) continue;
      out.push({ file: r.file, line: r.line, col: 1, severity: 'warning',
        message: `rule ${r.id} (${r.outcome.action}) comes before the quarantine rule ${rules[q]!.id} (${rules[q]!.file}:${rules[q]!.line}): a quarantined account it matches is not stopped`,
        hint: `add unless: [{ quarantined: true }] to ${r.id}, or move it after ${rules[q]!.id}` });
    }
  }
  const h = rules.findIndex(isHighRiskBlock);
  if (h > 0) {
    for (const r of rules.slice(0, h)) {
      if (!decides(r) || (r.outcome.action !== 'approve' && r.outcome.action !== 'demote') || mentions(r, 'risk') || mentions(r, 'condition')) continue;
      out.push({ file: r.file, line: r.line, col: 1, severity: 'warning',
        message: `rule ${r.id} (${r.outcome.action}) comes before the high-risk block ${rules[h]!.id} (${rules[h]!.file}:${rules[h]!.line}): a bind at risk 90 or more that it matches gets in`,
        hint: `give ${r.id} a risk bound (risk: { below: 90 }), or move it after ${rules[h]!.id}` });
    }
  }
  return out;
}
