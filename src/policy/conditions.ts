/**
 * Compiles a condition mapping into a predicate tree. Each key becomes one named check
 * that can say why it hit or missed (for `policy explain`); every value is validated and
 * normalized here, once, with positioned diagnostics for whatever is wrong.
 */
import { AccountKind } from '../behavior/logon-event.js';
import { SignalCode } from '../behavior/signals.js';
import { checkTimeZone } from '../behavior/time-of-week.js';
import { didYouMean } from '../config/diagnostics.js';
import type { DataPath, YamlSource } from '../config/yaml-source.js';
import { parseCidr, type Cidr } from '../util/cidr.js';
import type { EvalContext } from './input.js';
import { SIGNAL_BITS } from './input.js';
import { DAY_NAMES, type LocalClock } from './local-time.js';
import { normalizeDn } from '../util/dn.js';
import { ThreatKind } from '../threat/pool.js';

const THREAT_KINDS: readonly string[] = Object.values(ThreatKind);
import { AddressMatcher, lower, NameMatcher } from './matchers.js';
import type { ConditionSpec } from './schema.js';

/** Threat-pool levels in order (a `threat: medium` condition also holds at high). */
const THREAT_RANK: Readonly<Record<string, number>> = { low: 1, medium: 2, high: 3 };

export interface ExplainLine {
  depth: number;
  ok: boolean;
  text: string;
}

export interface Cond {
  test(c: EvalContext): boolean;
  /** Appends why it hit or missed; returns the same result as `test`. */
  explain(c: EvalContext, out: ExplainLine[], depth: number): boolean;
}

/** A normalized view of one key's values, for detecting rules shadowed by earlier ones. */
export type Facet =
  | { type: 'set'; values: ReadonlySet<string> }
  | { type: 'range'; lo: number; hi: number }
  | { type: 'exact'; value: string };

export interface MappingCond extends Cond {
  /** Key → facet; a rule implies another when each of the other's facets is implied. */
  facets: ReadonlyMap<string, Facet>;
}

/** Where a value came from, for diagnostics. */
export interface Where {
  source: YamlSource;
  path: DataPath;
}

export interface ExpandedValue extends Where {
  value: string;
}

/** What compiling needs from the policy being compiled. */
export interface CompileEnv {
  /** Values of a names field with "$list" entries expanded (unknown lists are reported). */
  expand(raw: string | string[] | undefined, at: Where): ExpandedValue[];
  /** A named condition, compiled on first use (unknown names and cycles are reported). */
  named(name: string, at: Where): Cond | undefined;
  clock(timeZone: string): LocalClock;
  defaultTimeZone(source: YamlSource): string;
  error(at: Where, message: string, hint?: string, atKey?: boolean): void;
  warn(at: Where, message: string, hint?: string): void;
  /** Notes that a condition needs directory facts (groups, department …). */
  needsFacts(): void;
  /** Records a name the configuration must know (an app, a directory attribute). */
  reference(kind: 'app' | 'attribute' | 'workflow' | 'notify' | 'until-verified', value: string, at: Where): void;
}

const ALWAYS: MappingCond = {
  test: () => true,
  explain: (_c, out, depth) => {
    out.push({ depth, ok: true, text: 'no conditions: matches every bind' });
    return true;
  },
  facets: new Map(),
};

const KINDS: readonly string[] = Object.values(AccountKind);
const SIGNALS: readonly string[] = Object.values(SignalCode);
const list = (vals: Iterable<string>, max = 6): string => {
  const a = [...vals];
  if (a.length === 0) return '(none)';
  return a.length > max ? `${a.slice(0, max).join(', ')} … (+${a.length - max})` : a.join(', ');
};
const shown = (values: readonly ExpandedValue[]): string => `[${list(values.map((v) => v.value), 8)}]`;

function leaf(label: string, test: (c: EvalContext) => boolean, actual: (c: EvalContext) => string): Cond {
  return {
    test,
    explain(c, out, depth) {
      const ok = test(c);
      out.push({ depth, ok, text: `${label} — ${actual(c)}` });
      return ok;
    },
  };
}

function allOf(conds: readonly Cond[], label?: string): Cond {
  if (conds.length === 1 && label === undefined) return conds[0]!;
  return {
    test(c) {
      for (const k of conds) if (!k.test(c)) return false;
      return true;
    },
    explain(c, out, depth) {
      const at = out.length;
      let ok = true;
      const inner = label === undefined ? depth : depth + 1;
      for (const k of conds) if (!k.explain(c, out, inner)) ok = false;
      if (label !== undefined) out.splice(at, 0, { depth, ok, text: label });
      return ok;
    },
  };
}

function anyOf(conds: readonly Cond[]): Cond {
  return {
    test(c) {
      for (const k of conds) if (k.test(c)) return true;
      return false;
    },
    explain(c, out, depth) {
      const at = out.length;
      let ok = false;
      conds.forEach((k, i) => {
        const sub: ExplainLine[] = [];
        if (k.explain(c, sub, depth + 2)) ok = true;
        out.push({ depth: depth + 1, ok: k.test(c), text: `option ${i + 1}:` }, ...sub);
      });
      out.splice(at, 0, { depth, ok, text: 'any of:' });
      return ok;
    },
  };
}

function negate(cond: Cond): Cond {
  return {
    test: (c) => !cond.test(c),
    explain(c, out, depth) {
      const at = out.length;
      const ok = !cond.explain(c, out, depth + 1);
      out.splice(at, 0, { depth, ok, text: 'not:' });
      return ok;
    },
  };
}

const setFacet = (values: readonly ExpandedValue[], norm: (v: string) => string = lower): Facet =>
  ({ type: 'set', values: new Set(values.map((v) => norm(v.value))) });

/** Compiles one condition mapping (every key must hold). */
export function compileCondition(spec: ConditionSpec | undefined, at: Where, env: CompileEnv): MappingCond {
  if (!spec || Object.keys(spec).length === 0) return ALWAYS;
  const parts: Cond[] = [];
  const facets = new Map<string, Facet>();
  const sub = (key: string): Where => ({ source: at.source, path: [...at.path, key] });
  const names = (key: keyof ConditionSpec): ExpandedValue[] => env.expand(spec[key] as string | string[] | undefined, sub(key));

  if (spec.group !== undefined || spec.department !== undefined || spec.site !== undefined || spec.title !== undefined || spec.attribute !== undefined) env.needsFacts();
  const nameKey = (key: 'department' | 'site' | 'title', get: (c: EvalContext) => string | undefined): void => {
    if (spec[key] === undefined) return;
    const values = names(key);
    const m = new NameMatcher(values.map((v) => v.value));
    facets.set(key, setFacet(values));
    parts.push(leaf(`${key} in ${shown(values)}`, (c) => m.test(get(c)), (c) => `${key}: ${get(c) ?? '(unknown)'}`));
  };

  if (spec.user !== undefined) {
    const values = names('user');
    const m = new NameMatcher(values.map((v) => v.value));
    facets.set('user', setFacet(values));
    parts.push(leaf(`user in ${shown(values)}`, (c) => m.test(c.account), (c) => `account: ${c.account}`));
  }
  if (spec.dn !== undefined) {
    const values = names('dn');
    const m = new NameMatcher(values.map((v) => v.value), normalizeDn);
    facets.set('dn', setFacet(values, normalizeDn));
    parts.push(leaf(`dn matches ${shown(values)}`, (c) => m.test(c.dn) || (c.facts.dn !== '' && m.test(c.facts.dn)),
      (c) => `bind DN: ${c.input.bindDn}${c.facts.dn && c.facts.dn !== c.dn ? `, entry: ${c.facts.dn}` : ''}`));
  }
  if (spec.group !== undefined) {
    const values = names('group');
    const byDn = new NameMatcher(values.filter((v) => v.value.includes('=')).map((v) => v.value), normalizeDn);
    const byName = new NameMatcher(values.filter((v) => !v.value.includes('=')).map((v) => v.value));
    facets.set('group', setFacet(values, (v) => (v.includes('=') ? normalizeDn(v) : lower(v))));
    parts.push(leaf(`member of ${shown(values)}`, (c) => byName.testAny(c.facts.groupNames) || byDn.testAny(c.facts.groupDns),
      (c) => (c.input.facts ? `groups: ${list(c.facts.groupNames)}` : 'groups unknown (no directory facts)')));
  }
  if (spec.ou !== undefined) {
    const values = names('ou');
    // OUs are matched by name ("Finance"); a DN never equals one, so the condition would never hold.
    for (const v of values) {
      if (/=/.test(v.value)) env.warn(v, `ou "${v.value}" is a DN, but ou matches OU names (the Finance of ou=Finance,…): this never matches`, `write the name, e.g. ou: ${/^\s*ou\s*=\s*([^,]+)/i.exec(v.value)?.[1]?.trim() ?? 'Finance'}`);
    }
    const m = new NameMatcher(values.map((v) => v.value));
    facets.set('ou', setFacet(values));
    parts.push(leaf(`ou in ${shown(values)}`, (c) => m.testAny(c.ous), (c) => `OUs: ${list(c.ous)}`));
  }
  nameKey('department', (c) => c.facts.department);
  nameKey('site', (c) => c.facts.site);
  nameKey('title', (c) => c.facts.title);
  if (spec.attribute !== undefined) {
    for (const [attr, raw] of Object.entries(spec.attribute)) {
      const values = env.expand(raw, { source: at.source, path: [...at.path, 'attribute', attr] });
      env.reference('attribute', attr, { source: at.source, path: [...at.path, 'attribute', attr] });
      const m = new NameMatcher(values.map((v) => v.value));
      const key = lower(attr);
      facets.set(`attribute.${key}`, setFacet(values));
      parts.push(leaf(`${attr} in ${shown(values)}`, (c) => m.testAny(c.facts.attributes.get(key) ?? []),
        (c) => `${attr}: ${list(c.facts.attributes.get(key) ?? [])}`));
    }
  }
  if (spec.kind !== undefined) {
    const values = names('kind');
    for (const v of values) {
      if (!KINDS.includes(v.value)) {
        const guess = didYouMean(v.value, KINDS);
        env.error(v, `unknown account kind "${v.value}"`, guess ? `did you mean "${guess}"?` : `use one of ${KINDS.join(', ')}`);
      }
    }
    const set = new Set(values.map((v) => v.value));
    facets.set('kind', { type: 'set', values: set });
    parts.push(leaf(`kind in ${shown(values)}`, (c) => set.has(c.input.kind), (c) => `kind: ${c.input.kind}`));
  }
  if (spec.endpoint !== undefined) {
    const values = names('endpoint');
    const cidrs: Cidr[] = [];
    for (const v of values) {
      const parsed = parseCidr(v.value);
      if ('error' in parsed) env.error(v, parsed.error, 'write an address (10.1.2.3) or a range (10.1.2.0/24)');
      else cidrs.push(parsed);
    }
    const m = new AddressMatcher(cidrs);
    facets.set('endpoint', setFacet(values));
    parts.push(leaf(`endpoint in ${shown(values)}`, (c) => m.test(c.address), (c) => `endpoint: ${c.input.endpoint}`));
  }
  if (spec.app !== undefined) {
    const values = names('app');
    for (const v of values) env.reference('app', v.value, v);
    const m = new NameMatcher(values.map((v) => v.value));
    facets.set('app', setFacet(values));
    parts.push(leaf(`app in ${shown(values)}`, (c) => m.test(c.app), (c) => `app: ${c.input.app}`));
  }
  if (spec.time !== undefined) {
    const t = compileTime(spec.time, sub('time'), env);
    facets.set('time', { type: 'exact', value: JSON.stringify(spec.time) });
    parts.push(t);
  }
  for (const key of ['risk', 'accountRisk', 'endpointRisk'] as const) {
    const r = spec[key];
    if (r === undefined) continue;
    const lo = r.atLeast ?? 0;
    const hi = r.below ?? Infinity;
    if (r.atLeast === undefined && r.below === undefined) env.error(sub(key), `${key} needs atLeast, below or both`, 'e.g. { atLeast: 50, below: 90 }');
    else if (hi <= lo) env.error(sub(key), `${key} can never match: below (${r.below}) is not above atLeast (${r.atLeast})`, 'below is exclusive; make it larger than atLeast');
    const get = key === 'risk' ? (c: EvalContext) => c.input.score : key === 'accountRisk' ? (c: EvalContext) => c.input.accountRisk : (c: EvalContext) => c.input.endpointRisk;
    const label = `${key} ${r.atLeast !== undefined ? `≥ ${r.atLeast}` : ''}${r.atLeast !== undefined && r.below !== undefined ? ' and ' : ''}${r.below !== undefined ? `< ${r.below}` : ''}`;
    facets.set(key, { type: 'range', lo, hi });
    parts.push(leaf(label, (c) => { const v = get(c); return v >= lo && v < hi; }, (c) => `${key === 'risk' ? 'score' : key}: ${Math.round(get(c))}`));
  }
  if (spec.signals !== undefined) {
    const values = names('signals');
    let mask = 0;
    for (const v of values) {
      const bit = SIGNAL_BITS.get(v.value);
      if (bit === undefined) {
        const guess = didYouMean(v.value, SIGNALS);
        env.error(v, `unknown behaviour signal "${v.value}"`, guess ? `did you mean "${guess}"?` : `known signals: ${SIGNALS.join(', ')}`);
      } else {
        mask |= bit;
      }
    }
    facets.set('signals', setFacet(values));
    parts.push(leaf(`any signal of ${shown(values)}`, (c) => (c.signals & mask) !== 0,
      (c) => `signals: ${list(c.input.signals, 14)}`));
  }
  if (spec.threat !== undefined) {
    const want = THREAT_RANK[spec.threat];
    facets.set('threat', { type: 'exact', value: spec.threat });
    parts.push(leaf(`threat level ≥ ${spec.threat}`, (c) => (THREAT_RANK[c.input.threatLevel ?? ''] ?? 0) >= want, (c) => `threat: ${c.input.threatLevel ?? 'none'}`));
  }
  if (spec.threatKind !== undefined) {
    const values = names('threatKind');
    for (const v of values) {
      if (!THREAT_KINDS.includes(v.value)) {
        const guess = didYouMean(v.value, THREAT_KINDS);
        env.error(v, `unknown threat kind "${v.value}"`, guess ? `did you mean "${guess}"?` : `known kinds: ${THREAT_KINDS.join(', ')}`);
      }
    }
    const want = new Set(values.map((v) => v.value));
    facets.set('threatKind', setFacet(values));
    parts.push(leaf(`threat kind in ${shown(values)}`, (c) => (c.input.threatKinds ?? []).some((k) => want.has(k)),
      (c) => `threat kinds: ${c.input.threatKinds?.join(', ') || 'none'}`));
  }
  if (spec.cloud !== undefined) {
    const want = spec.cloud.access;
    if (want !== undefined) {
      facets.set('cloud', { type: 'exact', value: String(want) });
      parts.push(leaf(`cloud access is ${want}`, (c) => (c.input.cloudAccess ?? false) === want, (c) => `cloud access: ${c.input.cloudAccess ?? false}`));
    }
    for (const key of ['status', 'factors'] as const) {
      if (spec.cloud[key] === undefined) continue;
      const raw = spec.cloud[key]!;
      const values = (Array.isArray(raw) ? raw : [raw]).map((v) => (key === 'status' ? v.toUpperCase() : v));
      const want2 = new Set(values);
      const get = (c: EvalContext): readonly string[] => (key === 'status' ? (c.input.okta ? [c.input.okta.status] : []) : c.input.okta?.factors ?? []);
      parts.push(leaf(`Okta ${key === 'status' ? 'status' : 'factor'} in [${values.join(', ')}]`, (c) => get(c).some((v) => want2.has(v)),
        (c) => `Okta ${key}: ${c.input.okta ? get(c).join(', ') || 'none' : 'not known'}`));
    }
    if (want === undefined && spec.cloud.status === undefined && spec.cloud.factors === undefined) env.error(sub('cloud'), 'cloud needs access, status or factors', 'e.g. { access: true } or { factors: [push] }');
  }
  if (spec.quarantined === 'until-verified') {
    env.reference('until-verified', 'until-verified', { source: at.source, path: [...at.path, 'quarantined'] });
    facets.set('quarantined', { type: 'exact', value: 'until-verified' });
    parts.push(leaf('quarantined until verified', (c) => c.input.quarantined && c.input.quarantineRelease === 'verified',
      (c) => `quarantined: ${c.input.quarantined ? `until ${c.input.quarantineRelease === 'verified' ? 'verified' : 'released by an analyst'}` : 'no'}`));
  }
  for (const key of ['quarantined', 'tls'] as const) {
    const want = spec[key];
    if (want === undefined || want === 'until-verified') continue;
    facets.set(key, { type: 'exact', value: String(want) });
    const get = key === 'quarantined' ? (c: EvalContext) => c.input.quarantined : (c: EvalContext) => c.input.tls;
    parts.push(leaf(`${key} is ${want}`, (c) => get(c) === want, (c) => `${key}: ${get(c)}`));
  }
  if (spec.condition !== undefined) {
    const values = names('condition');
    const refs: Cond[] = [];
    for (const v of values) {
      const cond = env.named(v.value, v);
      if (cond) refs.push(allOf([cond], `condition ${v.value}:`));
    }
    facets.set('condition', { type: 'set', values: new Set(values.map((v) => v.value)) });
    parts.push(...refs);
  }
  if (spec.all !== undefined) {
    const conds = spec.all.map((s, i) => compileCondition(s, { source: at.source, path: [...at.path, 'all', i] }, env));
    facets.set('all', { type: 'exact', value: JSON.stringify(spec.all) });
    parts.push(allOf(conds, 'all of:'));
  }
  if (spec.any !== undefined) {
    const conds = spec.any.map((s, i) => compileCondition(s, { source: at.source, path: [...at.path, 'any', i] }, env));
    facets.set('any', { type: 'exact', value: JSON.stringify(spec.any) });
    parts.push(anyOf(conds));
  }
  if (spec.not !== undefined) {
    facets.set('not', { type: 'exact', value: JSON.stringify(spec.not) });
    parts.push(negate(compileCondition(spec.not, sub('not'), env)));
  }
  const all = allOf(parts);
  return { test: all.test, explain: all.explain, facets };
}

// ---- time windows ----

const DAY_INDEX: Record<string, number> = {
  mon: 0, monday: 0, tue: 1, tuesday: 1, wed: 2, wednesday: 2, thu: 3, thursday: 3,
  fri: 4, friday: 4, sat: 5, saturday: 5, sun: 6, sunday: 6,
};
const DAY_WORDS = ['weekdays', 'weekend', ...Object.keys(DAY_INDEX)];

function parseDays(token: string): number | undefined {
  const t = token.trim().toLowerCase();
  if (t === 'weekdays') return 0b0011111;
  if (t === 'weekend') return 0b1100000;
  const range = /^([a-z]+)\s*-\s*([a-z]+)$/.exec(t);
  if (range) {
    const a = DAY_INDEX[range[1]!];
    const b = DAY_INDEX[range[2]!];
    if (a === undefined || b === undefined) return undefined;
    let mask = 0;
    for (let d = a; ; d = (d + 1) % 7) {
      mask |= 1 << d;
      if (d === b) break;
    }
    return mask;
  }
  const d = DAY_INDEX[t];
  return d === undefined ? undefined : 1 << d;
}

/** "08:00-18:00" → [480, 1080); the end may be 24:00; a window may wrap past midnight. */
function parseHours(text: string): [number, number] | undefined {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  if (!m) return undefined;
  const [h1, m1, h2, m2] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
  if (h1 > 23 || m1 > 59 || h2 > 24 || m2 > 59 || (h2 === 24 && m2 !== 0)) return undefined;
  const start = h1 * 60 + m1;
  const end = h2 * 60 + m2;
  return start === end ? undefined : [start, end];
}

const hhmm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

function compileTime(spec: NonNullable<ConditionSpec['time']>, at: Where, env: CompileEnv): Cond {
  const where = (key: string): Where => ({ source: at.source, path: [...at.path, key] });
  let zone = env.defaultTimeZone(at.source);
  if (spec.timeZone !== undefined) {
    const problem = checkTimeZone(spec.timeZone);
    if (problem) env.error(where('timeZone'), problem, 'use an IANA zone name such as Europe/London or America/New_York');
    else zone = spec.timeZone;
  }
  if (spec.days === undefined && spec.hours === undefined) env.error(at, 'a time window needs days, hours or both', 'e.g. { days: mon-fri, hours: "08:00-18:00" }');
  let days = 0x7f;
  if (spec.days !== undefined) {
    days = 0;
    for (const v of env.expand(spec.days, where('days'))) {
      const mask = parseDays(v.value);
      if (mask === undefined) {
        const guess = didYouMean(v.value, DAY_WORDS);
        env.error(v, `"${v.value}" is not a day, a day range or weekdays/weekend`, guess ? `did you mean "${guess}"?` : 'e.g. mon-fri, sat, weekend');
      } else {
        days |= mask;
      }
    }
  }
  const ranges: [number, number][] = [];
  if (spec.hours !== undefined) {
    for (const v of env.expand(spec.hours, where('hours'))) {
      const r = parseHours(v.value);
      if (!r) env.error(v, `"${v.value}" is not a time range`, 'write "HH:MM-HH:MM" in 24-hour time, e.g. "08:00-18:00"');
      else ranges.push(r);
    }
  }
  const clock = env.clock(zone);
  const inHours = (minute: number): boolean => {
    if (ranges.length === 0) return true;
    for (const [s, e] of ranges) if (s < e ? minute >= s && minute < e : minute >= s || minute < e) return true;
    return false;
  };
  const dayText = days === 0x7f ? 'any day' : DAY_NAMES.filter((_, i) => days & (1 << i)).join(',');
  const hourText = ranges.length === 0 ? 'any time' : ranges.map(([s, e]) => `${hhmm(s)}-${hhmm(e)}`).join(', ');
  // A window that wraps past midnight belongs to the day it started on.
  const test = (c: EvalContext): boolean => {
    const t = c.input.time;
    const minute = clock.minuteOfDay(t);
    if (!inHours(minute)) return false;
    let day = clock.dayOfWeek(t);
    if (ranges.length > 0 && ranges.every(([s, e]) => s > e) && minute < ranges[0]![0]) day = (day + 6) % 7;
    return (days & (1 << day)) !== 0;
  };
  return leaf(`time within ${dayText}, ${hourText} (${zone})`, test, (c) => `local time: ${clock.describe(c.input.time)}`);
}
