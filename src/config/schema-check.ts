/**
 * Validates a YamlSource against a zod schema and turns every zod issue into a
 * positioned Diagnostic with a hint. Shared by the config file and (later) policy files.
 */
import type { z } from 'zod';
import { didYouMean, type Diagnostic } from './diagnostics.js';
import type { DataPath, YamlSource } from './yaml-source.js';
import { DURATION_HINT } from './duration.js';

type AnySchema = z.ZodType;

interface SchemaDef {
  type: string;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  innerType?: AnySchema;
  in?: AnySchema;
  options?: AnySchema[];
}

const defOf = (s: AnySchema): SchemaDef => (s as unknown as { _zod: { def: SchemaDef } })._zod.def;

/** Finds the object schema at a data path, looking through optional/default/array wrappers. */
export function schemaAt(schema: AnySchema, path: DataPath): AnySchema | undefined {
  let s: AnySchema | undefined = unwrap(schema);
  for (const seg of path) {
    if (!s) return undefined;
    const def = defOf(s);
    if (def.type === 'object' && typeof seg === 'string') s = def.shape?.[seg];
    else if (def.type === 'array' && typeof seg === 'number') s = def.element;
    else if (def.type === 'record') s = (def as unknown as { valueType: AnySchema }).valueType;
    else return undefined;
    s = s ? unwrap(s) : undefined;
  }
  return s;
}

function unwrap(s: AnySchema): AnySchema {
  let cur = s;
  for (let i = 0; i < 10; i++) {
    const def = defOf(cur);
    if ((def.type === 'optional' || def.type === 'default' || def.type === 'nullable' || def.type === 'prefault' || def.type === 'readonly') && def.innerType) cur = def.innerType;
    else if (def.type === 'pipe' && def.in) cur = def.in;
    else break;
  }
  return cur;
}

export function knownKeys(schema: AnySchema, path: DataPath): string[] {
  const s = schemaAt(schema, path);
  if (!s) return [];
  const def = defOf(s);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

const pathText = (path: DataPath): string =>
  path.length === 0 ? 'the top level' : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  return `${typeof v} ${String(v)}`;
}

const article = (t: string): string => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

export function checkSchema<S extends AnySchema>(
  source: YamlSource,
  schema: S,
): { value: z.output<S> | undefined; diagnostics: Diagnostic[] } {
  const result = schema.safeParse(source.toJS() ?? {});
  if (result.success) return { value: result.data, diagnostics: [] };
  const diagnostics: Diagnostic[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
    diagnostics.push(...issueToDiagnostics(source, schema, path, issue as unknown as ZodIssueLike));
  }
  return { value: undefined, diagnostics };
}

interface ZodIssueLike {
  code: string;
  message: string;
  expected?: string;
  keys?: string[];
  values?: unknown[];
  minimum?: number | bigint;
  maximum?: number | bigint;
  origin?: string;
  format?: string;
  params?: { hint?: string };
}

function issueToDiagnostics(source: YamlSource, schema: AnySchema, path: DataPath, issue: ZodIssueLike): Diagnostic[] {
  const where = pathText(path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(schema, path);
      return (issue.keys ?? []).map((key) => {
        const guess = didYouMean(key, known);
        return source.diag([...path, key], 'error', `unknown key "${key}" in ${where}`,
          guess ? `did you mean "${guess}"?` : `allowed keys: ${known.join(', ')}`, true);
      });
    }
    case 'invalid_type': {
      const actual = source.valueAt(path);
      if (actual === undefined) {
        return [source.diag(path, 'error', `missing required key "${String(path[path.length - 1])}" in ${pathText(path.slice(0, -1))}`,
          `add "${String(path[path.length - 1])}: <${issue.expected}>"`)];
      }
      // A key whose name carries its unit in milliseconds also takes a duration ("15m").
      const isDuration = path.some((k) => typeof k === 'string' && /Ms$/.test(k));
      if (isDuration && typeof actual === 'string') return [source.diag(path, 'error', `${where}: "${actual}" is not a duration`, DURATION_HINT)];
      return [source.diag(path, 'error', `${where} must be ${article(issue.expected ?? 'value')}, got ${typeName(actual)}`,
        issue.expected === 'number' && typeof actual === 'string' ? 'write the number without quotes' : undefined)];
    }
    case 'invalid_value': {
      const actual = source.valueAt(path);
      const values = (issue.values ?? []).map(String);
      if (actual === undefined) {
        const key = String(path[path.length - 1]);
        return [source.diag(path, 'error', `missing required key "${key}" in ${pathText(path.slice(0, -1))}`, `add "${key}: ${values[0] ?? '…'}"`)];
      }
      const guess = typeof actual === 'string' ? didYouMean(actual, values) : undefined;
      return [source.diag(path, 'error', `${where} must be one of ${values.map((v) => `"${v}"`).join(', ')}, got ${typeName(actual)}`,
        guess ? `did you mean "${guess}"?` : undefined)];
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? `at least ${issue.minimum}` : `at most ${issue.maximum}`;
      const what = issue.origin === 'array' ? 'entries' : issue.origin === 'string' ? 'characters' : '';
      return [source.diag(path, 'error', `${where} must be ${bound}${what ? ` ${what}` : ''}, got ${typeName(source.valueAt(path))}`)];
    }
    default:
      return [source.diag(path, 'error', `${where}: ${issue.message}`, issue.params?.hint)];
  }
}
