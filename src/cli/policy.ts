/**
 * `bindwall policy check | schema | explain | replay`: the admin's tools around policy files.
 * check validates (every problem, file:line:col); schema prints the JSON Schema for editors;
 * explain shows how a hypothetical bind would be decided and why; replay re-decides recorded
 * binds under a candidate policy and reports what would change.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { isIP } from 'node:net';
import { BehaviorEngine } from '../behavior/engine.js';
import { EventMapper } from '../behavior/logon-event.js';
import { mapperFor } from '../behavior/setup.js';
import { formatDiagnostic, type Diagnostic } from '../config/diagnostics.js';
import { loadConfigFile, type Config } from '../config/load.js';
import { Quarantine } from '../incidents/quarantine.js';
import { compileRead, PolicyError, readPolicyDir, readPolicyFile, type CompileResult, type PolicySourceFile } from '../policy/compile.js';
import { explainBind } from '../policy/explain-bind.js';
import { replay, formatReplay } from '../policy/replay.js';
import { policyJsonSchema } from '../policy/schema.js';
import { checkPolicyAgainstConfig } from '../policy/config-check.js';
import { BehaviorStore } from '../store/behavior-store.js';
import { openDatabase, type Db } from '../store/db.js';
import { QuarantineStore } from '../store/quarantine-store.js';
import { packageRoot } from '../util/package-root.js';
import { systemClock } from '../util/clock.js';
import { UsageError } from './usage.js';
import { BindwallError, ErrorCode } from '../errors.js';
import { parseTime } from './time-arg.js';

const USAGE = `usage:
  bindwall policy check [DIR | FILE ...] [--config FILE]
  bindwall policy schema
  bindwall policy explain --user U --endpoint IP [--app A] [--at TIME] [--tls] [--policy DIR] [--config FILE | --db PATH] [--json]
  bindwall policy replay --policy DIR [--since T] [--until T] [--examples N] [--config FILE | --db PATH] [--json]`;

type Out = (line: string) => void;
type Err = (line: string) => void;

export function policyCommand(args: string[], out: Out, err: Err): number {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'check':
      return check(rest, out, err);
    case 'schema':
      if (rest.length > 0) throw new UsageError(USAGE);
      out(JSON.stringify(policyJsonSchema(), null, 2));
      return 0;
    case 'explain':
      return explain(rest, out, err);
    case 'replay':
      return replayCommand(rest, out, err);
    default:
      throw new UsageError(USAGE);
  }
}

/** The policy directory: explicit, else the config's, else ./policies, else the shipped one. */
function policyDir(explicit: string | undefined, config: Config | undefined): string {
  if (explicit) return explicit;
  if (config) return config.policy.dir;
  return existsSync('policies') ? 'policies' : join(packageRoot, 'policies');
}

/** Compiles directories and single files together (e.g. default.yaml plus an example). */
function compilePaths(paths: readonly string[]): CompileResult {
  const files: PolicySourceFile[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const p of paths) {
    if (isDir(p)) {
      const r = readPolicyDir(p);
      files.push(...r.files);
      diagnostics.push(...r.diagnostics);
      continue;
    }
    const r = readPolicyFile(p);
    if ('file' in r) files.push(r.file);
    else diagnostics.push(r.problem);
  }
  return compileRead({ files, diagnostics });
}

const isDir = (p: string): boolean => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

function check(args: string[], out: Out, err: Err): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { config: { type: 'string', short: 'c' }, json: { type: 'boolean', default: false } } });
  const config = values.config ? loadConfigFile(values.config) : undefined;
  const paths = positionals.length > 0 ? positionals : [policyDir(undefined, config)];
  const compiled = compilePaths(paths);
  const { policy } = compiled;
  const diagnostics = [...compiled.diagnostics, ...(policy && config ? checkPolicyAgainstConfig(policy, config) : [])];
  for (const d of diagnostics) err(formatDiagnostic(d));
  const label = paths.join(' ');
  const warnings = diagnostics.filter((d) => d.severity === 'warning').length;
  const ok = policy !== undefined && !diagnostics.some((d) => d.severity === 'error');
  if (values.json) {
    out(JSON.stringify({ paths, ok, ...(ok ? { policy: policy!.hash, rules: policy!.rules.length, files: policy!.files.length } : {}), diagnostics: diagnostics.map(formatDiagnostic) }));
    return ok ? 0 : 1;
  }
  if (!ok) {
    err(`bindwall: ${diagnostics.filter((d) => d.severity === 'error').length} error(s)${warnings ? `, ${warnings} warning(s)` : ''} in ${label}`);
    return 1;
  }
  out(`${label}: ok — ${policy.rules.length} rule(s) in ${policy.files.length} file(s), policy ${policy.hash}${warnings ? `, ${warnings} warning(s)` : ''}`);
  return 0;
}

interface Storage {
  db: Db;
  store: BehaviorStore;
  close(): void;
}

/** Opens storage read-only from --db or the config; undefined when there is none. */
function openStorage(dbPath: string | undefined, config: Config | undefined, required: boolean): Storage | undefined {
  const path = dbPath ?? config?.storage.path ?? (existsSync('data/bindwall.db') ? 'data/bindwall.db' : undefined);
  if (!path) {
    if (required) throw new UsageError('no storage found: give --config FILE or --db PATH');
    return undefined;
  }
  const db = openDatabase(path, { readonly: true });
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version < 2) {
    db.close();
    throw new BindwallError(ErrorCode.StorageUnusable, `${path} was written by an older bindwall (schema ${version}); start bindwall once to upgrade it`);
  }
  return { db, store: new BehaviorStore(db), close: () => db.close() };
}

function explain(args: string[], out: Out, _err: Err): number {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      user: { type: 'string', short: 'u' }, endpoint: { type: 'string', short: 'e' }, app: { type: 'string' }, at: { type: 'string' },
      tls: { type: 'boolean', default: false }, policy: { type: 'string' }, config: { type: 'string', short: 'c' }, db: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.user || !values.endpoint) throw new UsageError(`explain needs --user and --endpoint\n${USAGE}`);
  if (isIP(values.endpoint) === 0) throw new UsageError(`--endpoint must be an IP address (the client's), got "${values.endpoint}"`);
  if (values.user.trim() === '' || values.user.length > 1024) throw new UsageError('--user must be a bind name (uid=…, DOMAIN\\sam, a UPN or a login)');
  const config = values.config ? loadConfigFile(values.config) : undefined;
  if (values.app !== undefined && config) {
    const apps = [...config.listeners.map((l) => l.name), ...config.behavior.apps.map((a) => a.name)];
    if (!apps.includes(values.app)) throw new UsageError(`--app "${values.app}" is no listener or behavior.apps entry in ${config.file} (apps: ${apps.join(', ')})`);
  }
  const dir = policyDir(values.policy, config);
  const { policy, diagnostics } = compilePaths([dir]);
  if (!policy) throw new PolicyError(dir, diagnostics);
  const at = values.at ? parseTime(values.at, systemClock.now()) : systemClock.now();
  const storage = openStorage(values.db, config, false);
  try {
    const mapper = config ? mapperFor(config) : new EventMapper();
    const engine = new BehaviorEngine({ timeZone: config?.behavior.timeZone ?? 'UTC' });
    const quarantine = new Quarantine({ ...(storage ? { store: new QuarantineStore(storage.db) } : {}), clock: { now: () => at, setTimer: systemClock.setTimer } });
    if (storage) engine.restore(storage.store.loadState());
    const r = explainBind({
      policy, dir, mapper, engine, quarantine, user: values.user, endpoint: values.endpoint, at, tls: values.tls,
      ...(config ? { config } : {}), ...(values.app ? { app: values.app } : {}), ...(storage ? { db: storage.db } : {}),
    });
    if (values.json) {
      out(JSON.stringify({ policy: { hash: policy.hash, files: policy.files }, input: { ...r.input, facts: r.facts }, learning: r.learning, cloud: r.cloud, explanation: r.explanation, ...(r.threat ? { threat: r.threat } : {}) }, null, 2));
    } else {
      out(r.text);
    }
    return 0;
  } finally {
    storage?.close();
  }
}

function replayCommand(args: string[], out: Out, _err: Err): number {
  const { values } = parseArgs({
    args, strict: true,
    options: {
      policy: { type: 'string', short: 'p' }, since: { type: 'string' }, until: { type: 'string' }, examples: { type: 'string', default: '3' },
      config: { type: 'string', short: 'c' }, db: { type: 'string' }, json: { type: 'boolean', default: false },
    },
  });
  if (!values.policy) throw new UsageError(`replay needs --policy DIR (the candidate policy)\n${USAGE}`);
  const examples = Number(values.examples);
  if (!Number.isInteger(examples) || examples < 0 || examples > 1000) throw new UsageError(`--examples must be 0..1000, got "${values.examples}"`);
  const config = values.config ? loadConfigFile(values.config) : undefined;
  const { policy, diagnostics } = compilePaths([values.policy]);
  if (!policy) throw new PolicyError(values.policy, diagnostics);
  const now = systemClock.now();
  const since = values.since ? parseTime(values.since, now) : 0;
  const until = values.until ? parseTime(values.until, now) : Number.MAX_SAFE_INTEGER;
  const storage = openStorage(values.db, config, true)!;
  try {
    const quarantine = new Quarantine({ store: new QuarantineStore(storage.db), clock: systemClock });
    const report = replay({ policy, store: storage.store, since, until, examples, quarantine, now });
    out(values.json ? JSON.stringify(report, null, 2) : formatReplay(report, { policyLabel: displayPath(values.policy) }));
    return 0;
  } finally {
    storage.close();
  }
}

const displayPath = (p: string): string => (p.startsWith('/') ? `${basename(dirname(p))}/${basename(p)}` : relative('.', p) || p);
