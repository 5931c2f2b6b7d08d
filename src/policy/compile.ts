/**
 * Compiles the policy files of a directory into one ordered, first-match policy. Every
 * problem in every file is collected (syntax, schema, references, values, shadowed rules,
 * unused names) as a positioned diagnostic with a hint; a policy is returned only when there
 * is no error. Each rule, list and named condition is checked on its own, so one broken rule
 * does not hide the problems of the others.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { z } from 'zod';
import { checkTimeZone } from '../behavior/time-of-week.js';
import { dedupeDiagnostics, didYouMean, formatDiagnostic, hasErrors, sortDiagnostics, type Diagnostic } from '../config/diagnostics.js';
import { BindwallError, ErrorCode } from '../errors.js';
import { checkSchema } from '../config/schema-check.js';
import { YamlSource } from '../config/yaml-source.js';
import { writesRefused, type Restriction } from '../proxy/restriction.js';
import { compileCondition, type CompileEnv, type Cond, type ExpandedValue, type MappingCond, type Where } from './conditions.js';
import { compileProfile } from './demote-profile.js';
import { LocalClock } from './local-time.js';
import { CompiledPolicy, type CompiledRule, type Outcome, type PolicyReference } from './policy.js';
import { conditionSchema, policyFileSchema, Severity, type ConditionSpec, type DemoteProfileSpec, type OutcomeSpec, type RuleSpec } from './schema.js';
import { findShadowed } from './shadow.js';
import { obj } from '../config/raw.js';

export interface PolicySourceFile {
  file: string;
  text: string;
}

export interface CompileResult {
  policy?: CompiledPolicy;
  diagnostics: Diagnostic[];
}

/** A policy that does not compile, with every diagnostic (the CLI prints them). */
export class PolicyError extends BindwallError {
  readonly diagnostics: readonly Diagnostic[];

  constructor(dir: string, diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    super(ErrorCode.PolicyInvalid, `${errors} problem(s) in the policy at ${dir}:\n${diagnostics.map(formatDiagnostic).join('\n')}`, { dir });
    this.diagnostics = diagnostics;
  }
}

const POLICY_FILE = /\.ya?ml$/i;

/** One policy file's text, or the diagnostic saying why it cannot be read. */
export function readPolicyFile(file: string): { file: PolicySourceFile } | { problem: Diagnostic } {
  try {
    return { file: { file, text: readFileSync(file, 'utf8') } };
  } catch (err) {
    return { problem: { file, line: 1, col: 1, severity: 'error', message: `cannot read policy file: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}`, hint: 'check the path and its permissions' } };
  }
}

/** Every *.yaml / *.yml file of a directory, sorted by name (subdirectories are not read). */
export function readPolicyDir(dir: string): { files: PolicySourceFile[]; diagnostics: Diagnostic[] } {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => POLICY_FILE.test(n) && !n.startsWith('.')).sort();
  } catch (err) {
    return { files: [], diagnostics: [{ file: dir, line: 1, col: 1, severity: 'error', message: `cannot read policy directory: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}`, hint: 'check the path (policy.dir in the config) and its permissions' }] };
  }
  const files: PolicySourceFile[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const n of names) {
    const r = readPolicyFile(join(dir, n));
    if ('file' in r) files.push(r.file);
    else diagnostics.push(r.problem);
  }
  if (files.length === 0 && diagnostics.length === 0) {
    diagnostics.push({ file: dir, line: 1, col: 1, severity: 'error', message: 'no policy files (*.yaml) in the policy directory', hint: 'copy policies/default.yaml from the bindwall package as a start' });
  }
  return { files, diagnostics };
}

/** Reads a policy directory and compiles it. */
export function loadPolicyDir(dir: string): CompileResult {
  return compileRead(readPolicyDir(dir));
}

/** Compiles what was read, unless reading already failed. */
export function compileRead(read: { files: PolicySourceFile[]; diagnostics: Diagnostic[] }): CompileResult {
  if (hasErrors(read.diagnostics)) return { diagnostics: sortDiagnostics(read.diagnostics) };
  const result = compilePolicy(read.files);
  return { ...result, diagnostics: sortDiagnostics([...read.diagnostics, ...result.diagnostics]) };
}

/** The identity of a policy: a hash over its files' names and contents. */
export function policyHash(files: readonly PolicySourceFile[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => basename(a.file).localeCompare(basename(b.file)))) h.update(basename(f.file)).update('\0').update(f.text).update('\0');
  return h.digest('hex').slice(0, 16);
}

interface ListEntry extends Where {
  values: ExpandedValue[];
  used: boolean;
}
interface NamedCondition extends Where {
  spec: ConditionSpec;
  compiled?: Cond;
  compiling: boolean;
  used: boolean;
}
interface Profile extends Where {
  restriction: Restriction;
  used: boolean;
}


function valid<S extends z.ZodType>(schema: S, value: unknown): z.output<S> | undefined {
  const r = schema.safeParse(value);
  return r.success ? r.data : undefined;
}

export function compilePolicy(files: readonly PolicySourceFile[]): CompileResult {
  return new Compiler().run(files);
}

class Compiler implements CompileEnv {
  readonly diagnostics: Diagnostic[] = [];
  readonly #lists = new Map<string, ListEntry>();
  readonly #conditions = new Map<string, NamedCondition>();
  readonly #profiles = new Map<string, Profile>();
  readonly #clocks = new Map<string, LocalClock>();
  readonly #zones = new Map<YamlSource, string>();
  #usesFacts = false;
  readonly #references: PolicyReference[] = [];

  needsFacts(): void {
    this.#usesFacts = true;
  }

  reference(kind: PolicyReference['kind'], value: string, at: Where): void {
    const pos = kind === 'attribute' ? at.source.keyPosition(at.path) : at.source.position(at.path);
    this.#references.push({ kind, value, file: at.source.file, line: pos.line, col: pos.col });
  }

  run(files: readonly PolicySourceFile[]): CompileResult {
    const sources: { source: YamlSource; raw: Record<string, unknown> }[] = [];
    for (const f of [...files].sort((a, b) => basename(a.file).localeCompare(basename(b.file)))) {
      const { source, diagnostics } = YamlSource.parse(f.file, f.text);
      this.diagnostics.push(...diagnostics);
      if (hasErrors(diagnostics)) continue;
      const raw = obj(source.toJS());
      if (!raw) {
        this.diagnostics.push(source.diag([], 'error', 'a policy file must be a mapping with version and rules', 'start the file with "version: 1"'));
        continue;
      }
      // Schema problems everywhere in the file are reported; compilation below uses each
      // part that is valid on its own.
      this.diagnostics.push(...checkSchema(source, policyFileSchema).diagnostics);
      const zone = typeof raw.timeZone === 'string' ? raw.timeZone : 'UTC';
      if (typeof raw.timeZone === 'string' && checkTimeZone(raw.timeZone)) {
        this.diagnostics.push(source.diag(['timeZone'], 'error', checkTimeZone(raw.timeZone)!, 'use an IANA zone name such as Europe/London'));
        this.#zones.set(source, 'UTC');
      } else {
        this.#zones.set(source, zone);
      }
      sources.push({ source, raw });
    }

    for (const { source, raw } of sources) this.#collectNames(source, raw);
    for (const { source, raw } of sources) this.#collectProfiles(source, raw);

    const rules: CompiledRule[] = [];
    const ids = new Map<string, Where>();
    let defaultOutcome: { outcome: Outcome; where: Where; description?: string } | undefined;
    for (const { source, raw } of sources) {
      const list = Array.isArray(raw.rules) ? raw.rules : [];
      list.forEach((item, i) => {
        const at: Where = { source, path: ['rules', i] };
        const r = obj(item);
        const id = typeof r?.id === 'string' ? r.id : undefined;
        if (id !== undefined) {
          const prev = ids.get(id);
          if (prev) this.error({ source, path: ['rules', i, 'id'] }, `rule id "${id}" is already used at ${this.#at(prev)}`, 'give every rule its own id');
          else ids.set(id, { source, path: ['rules', i, 'id'] });
        }
        const compiled = this.#compileRule(item, at);
        if (compiled) rules.push(compiled);
      });
      if (raw.default !== undefined) {
        const at: Where = { source, path: ['default'] };
        if (defaultOutcome) {
          this.error(at, `the default is already set at ${this.#at(defaultOutcome.where)}`, 'keep one default (in default.yaml) and remove this one', true);
        } else {
          const d = obj(raw.default);
          const outcome = d ? this.#outcome(d as unknown as OutcomeSpec, at, 'default') : undefined;
          if (outcome) defaultOutcome = { outcome, where: at, ...(typeof d!.description === 'string' ? { description: d!.description } : {}) };
          else defaultOutcome = { outcome: { action: 'block', severity: 'medium', onFailure: { quarantine: false, notify: [] } }, where: at };
        }
      }
    }
    if (!defaultOutcome && sources.length > 0) {
      this.diagnostics.push({ ...sources[0]!.source.diag([], 'error', 'no default action: what happens when no rule matches?', 'add "default: { action: approve }" (or block) to one policy file') });
    }

    // Named conditions no rule uses are still checked, so their mistakes surface now.
    for (const [name, c] of this.#conditions) {
      if (!c.compiled) {
        const used = c.used;
        this.named(name, c);
        c.used = used;
      }
    }
    for (const s of findShadowed(rules, defaultOutcome ? { where: defaultOutcome.where } : undefined)) {
      this.diagnostics.push(s.where.source.diag(s.where.path, 'warning', s.message, s.hint, true));
    }
    this.#warnUnused();

    const diagnostics = sortDiagnostics(dedupeDiagnostics(this.diagnostics));
    if (hasErrors(diagnostics) || !defaultOutcome) return { diagnostics };
    const policy = new CompiledPolicy({
      hash: policyHash(files),
      files: sources.map((s) => s.source.file),
      rules,
      fallback: { ...defaultOutcome.outcome, ...(defaultOutcome.description ? { description: defaultOutcome.description } : {}) },
      fallbackLine: defaultOutcome.where.source.position(['default']).line,
      fallbackFile: defaultOutcome.where.source.file,
      usesFacts: this.#usesFacts,
      references: this.#references,
    });
    return { policy, diagnostics };
  }

  // ---- names: lists and named conditions ----

  /** Reports a name defined a second time (names are shared by every file); true if it was. */
  #defined(names: ReadonlyMap<string, Where>, what: string, name: string, at: Where, hint: string): boolean {
    const prev = names.get(name);
    if (prev) this.error(at, `${what} "${name}" is already defined at ${this.#at(prev)}`, hint, true);
    return prev !== undefined;
  }

  #collectNames(source: YamlSource, raw: Record<string, unknown>): void {
    const lists = obj(raw.lists) ?? {};
    for (const [name, values] of Object.entries(lists)) {
      const at: Where = { source, path: ['lists', name] };
      if (this.#defined(this.#lists, 'list', name, at, 'rename one of them or merge the lists')) continue;
      const entries: ExpandedValue[] = [];
      (Array.isArray(values) ? values : []).forEach((v, i) => {
        if (typeof v !== 'string') return;
        if (v.startsWith('$')) this.error({ source, path: ['lists', name, i] }, `list "${name}" refers to ${v}: lists cannot contain lists`, 'write the values here, or use both lists in the condition');
        else entries.push({ value: v, source, path: ['lists', name, i] });
      });
      this.#lists.set(name, { source, path: ['lists', name], values: entries, used: false });
    }
    const conditions = obj(raw.conditions) ?? {};
    for (const [name, spec] of Object.entries(conditions)) {
      const at: Where = { source, path: ['conditions', name] };
      if (this.#defined(this.#conditions, 'condition', name, at, 'rename one of them')) continue;
      const parsed = valid(conditionSchema, spec);
      if (parsed) this.#conditions.set(name, { ...at, spec: parsed, compiling: false, used: false });
      else this.#conditions.set(name, { ...at, spec: {}, compiled: { test: () => false, explain: () => false }, compiling: false, used: false });
    }
  }

  #collectProfiles(source: YamlSource, raw: Record<string, unknown>): void {
    const profiles = obj(raw.demoteProfiles) ?? {};
    for (const [name, spec] of Object.entries(profiles)) {
      const at: Where = { source, path: ['demoteProfiles', name] };
      if (this.#defined(this.#profiles, 'demote profile', name, at, 'rename one of them')) continue;
      const p = obj(spec) as DemoteProfileSpec | undefined;
      const strip = (Array.isArray(p?.stripAttributes) ? p!.stripAttributes : []).flatMap((s, i) => {
        if (typeof s?.attribute !== 'string') return [];
        const values = s.values === undefined ? null : this.expand(s.values, { source, path: ['demoteProfiles', name, 'stripAttributes', i, 'values'] }).map((v) => v.value);
        return [{ attribute: s.attribute, values }];
      });
      const hide = p?.hideSubtrees === undefined ? [] : this.expand(p.hideSubtrees, { source, path: ['demoteProfiles', name, 'hideSubtrees'] });
      for (const h of hide) {
        if (!/^[^=,]+=[^,]*/.test(h.value)) this.error(h, `"${h.value}" is not a DN`, 'write the subtree\'s DN, e.g. "ou=Admins,dc=corp,dc=example"');
      }
      this.#profiles.set(name, { ...at, restriction: compileProfile(name, { strip, hide: hide.map((h) => h.value) }), used: false });
    }
  }

  expand(raw: string | string[] | undefined, at: Where): ExpandedValue[] {
    if (raw === undefined) return [];
    const items = Array.isArray(raw) ? raw.map((v, i) => ({ v, path: [...at.path, i] })) : [{ v: raw, path: at.path }];
    const out: ExpandedValue[] = [];
    for (const { v, path } of items) {
      if (typeof v !== 'string') continue;
      if (!v.startsWith('$')) {
        out.push({ value: v, source: at.source, path });
        continue;
      }
      const name = v.slice(1);
      const entry = this.#lists.get(name);
      if (!entry) {
        const guess = didYouMean(name, [...this.#lists.keys()]);
        this.error({ source: at.source, path }, `unknown list "${name}"`, guess ? `did you mean "$${guess}"?` : 'define it under lists: at the top of a policy file');
        continue;
      }
      entry.used = true;
      out.push(...entry.values);
    }
    return out;
  }

  named(name: string, at: Where): Cond | undefined {
    const entry = this.#conditions.get(name);
    if (!entry) {
      const guess = didYouMean(name, [...this.#conditions.keys()]);
      this.error(at, `unknown condition "${name}"`, guess ? `did you mean "${guess}"?` : 'define it under conditions: at the top of a policy file');
      return undefined;
    }
    entry.used = true;
    if (entry.compiled) return entry.compiled;
    if (entry.compiling) {
      this.error(at, `condition "${name}" refers to itself (through ${this.#at(entry)})`, 'break the cycle of condition references');
      return undefined;
    }
    entry.compiling = true;
    entry.compiled = compileCondition(entry.spec, entry, this);
    entry.compiling = false;
    return entry.compiled;
  }

  clock(timeZone: string): LocalClock {
    let c = this.#clocks.get(timeZone);
    if (!c) this.#clocks.set(timeZone, (c = new LocalClock(timeZone)));
    return c;
  }

  defaultTimeZone(source: YamlSource): string {
    return this.#zones.get(source) ?? 'UTC';
  }

  error(at: Where, message: string, hint?: string, atKey = false): void {
    this.diagnostics.push(at.source.diag(at.path, 'error', message, hint, atKey));
  }

  warn(at: Where, message: string, hint?: string): void {
    this.#warn(at, message, hint);
  }

  #warn(at: Where, message: string, hint?: string): void {
    this.diagnostics.push(at.source.diag(at.path, 'warning', message, hint, true));
  }

  #at(w: Where): string {
    const p = w.source.keyPosition(w.path);
    return `${basename(w.source.file)}:${p.line}`;
  }

  // ---- rules ----

  #compileRule(item: unknown, at: Where): CompiledRule | undefined {
    const r = obj(item);
    if (!r) return undefined;
    const sub = (...p: (string | number)[]): Where => ({ source: at.source, path: [...at.path, ...p] });
    // Conditions are compiled whenever they are valid, even if another part of the rule is
    // not, so every problem of the rule is reported in one pass.
    const whenSpec = r.when === undefined ? undefined : valid(conditionSchema, r.when);
    const when: MappingCond | undefined = r.when === undefined ? compileCondition(undefined, sub('when'), this)
      : whenSpec ? compileCondition(whenSpec, sub('when'), this) : undefined;
    const unless: MappingCond[] = [];
    (Array.isArray(r.unless) ? r.unless : []).forEach((u, i) => {
      const spec = valid(conditionSchema, u);
      if (spec) unless.push(compileCondition(spec, sub('unless', i), this));
    });
    const id = typeof r.id === 'string' ? r.id : undefined;
    const outcome = this.#outcome(r as unknown as OutcomeSpec, at, id ?? 'this rule');
    const spec = valid(policyFileSchema.shape.rules.unwrap().element, r) as RuleSpec | undefined;
    if (!spec || !when || !outcome || id === undefined) return undefined;
    return {
      id,
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      when,
      unless,
      outcome,
      file: at.source.file,
      line: at.source.position(at.path).line,
      where: at,
    };
  }

  #outcome(spec: OutcomeSpec, at: Where, label: string): Outcome | undefined {
    const sub = (key: string): Where => ({ source: at.source, path: [...at.path, key] });
    const action = spec.action;
    if (typeof action !== 'string') return undefined;
    let ok = true;
    for (const key of ['method', 'failMode'] as const) {
      if (spec[key] !== undefined && action !== 'mfa') {
        this.error(sub(key), `${label}: ${key} only applies to action mfa (action is ${action})`, `remove ${key}, or set action: mfa`, true);
        ok = false;
      }
    }
    let restriction: Restriction | undefined;
    if (spec.profile !== undefined) {
      if (action !== 'demote') {
        this.error(sub('profile'), `${label}: profile only applies to action demote (action is ${action})`, 'remove profile, or set action: demote', true);
        ok = false;
      } else if (typeof spec.profile === 'string') {
        const p = this.#profiles.get(spec.profile);
        if (!p) {
          const guess = didYouMean(spec.profile, [...this.#profiles.keys()]);
          this.error(sub('profile'), `unknown demote profile "${spec.profile}"`, guess ? `did you mean "${guess}"?` : 'define it under demoteProfiles:, or leave profile out (writes refused only)');
          ok = false;
        } else {
          p.used = true;
          restriction = p.restriction;
        }
      }
    }
    if (action !== 'mfa' && (spec.onFailure !== undefined || spec.severity !== undefined)) {
      this.#warn(sub(spec.onFailure !== undefined ? 'onFailure' : 'severity'), `${label}: severity and onFailure only apply when an mfa challenge fails (action is ${action})`, 'remove them, or set action: mfa');
    }
    if (!ok || !['approve', 'block', 'demote', 'mfa'].includes(action)) return undefined;
    const severity = spec.severity && Object.values(Severity).includes(spec.severity) ? spec.severity : 'medium';
    const onFailure = this.#onFailure(spec.onFailure, sub('onFailure'));
    return {
      action,
      ...(action === 'mfa' ? { method: spec.method ?? 'push', ...(spec.failMode ? { failMode: spec.failMode } : {}) } : {}),
      ...(action === 'demote' ? { profile: spec.profile ?? writesRefused.name, restriction: restriction ?? writesRefused } : {}),
      severity,
      onFailure,
      ...(spec.mode === 'audit' || spec.mode === 'enforce' ? { mode: spec.mode } : {}),
    };
  }

  /** onFailure as written (a workflow name, or quarantine / notify / respond), its names kept for the config check. */
  #onFailure(spec: OutcomeSpec['onFailure'], at: Where): Outcome['onFailure'] {
    if (typeof spec === 'string') {
      this.reference('workflow', spec, at);
      return { quarantine: false, notify: [], respond: spec };
    }
    const notify = Array.isArray(spec?.notify) ? spec.notify.filter((n): n is string => typeof n === 'string') : [];
    notify.forEach((n, i) => this.reference('notify', n, { source: at.source, path: [...at.path, 'notify', i] }));
    if (typeof spec?.respond === 'string') this.reference('workflow', spec.respond, { source: at.source, path: [...at.path, 'respond'] });
    return { quarantine: spec?.quarantine === true, notify, ...(typeof spec?.respond === 'string' ? { respond: spec.respond } : {}) };
  }

  #warnUnused(): void {
    for (const [name, l] of this.#lists) if (!l.used) this.#warn(l, `list "${name}" is never used`, 'refer to it as "$' + name + '" in a condition, or remove it');
    for (const [name, c] of this.#conditions) if (!c.used) this.#warn(c, `condition "${name}" is never used`, `use it with "condition: ${name}", or remove it`);
    for (const [name, p] of this.#profiles) if (!p.used) this.#warn(p, `demote profile "${name}" is never used`, `use it with "action: demote, profile: ${name}", or remove it`);
  }
}

