/**
 * Loads bindwall.yaml: parse, validate against the schema, run the checks a schema cannot
 * express (files readable, duplicate listeners, URL syntax), resolve paths relative to the
 * file, read TLS material, and return one frozen Config — or every problem at once.
 */
import { readFileSync } from 'node:fs';
import { stringify as stringifyYaml } from 'yaml';
import { dirname, isAbsolute, resolve } from 'node:path';
import { BindwallError, ErrorCode } from '../errors.js';
import { formatDiagnostic, hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { checkSchema } from './schema-check.js';
import { configSchema, type ParsedConfig } from './schema.js';
import { parseUpstreamUrl, type UpstreamUrl } from './upstream-url.js';
import { YamlSource } from './yaml-source.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

export interface Listener {
  name: string;
  host: string;
  port: number;
  /** `ldaps` serves TLS from the first byte; `ldap` may offer StartTLS. */
  kind: 'ldap' | 'ldaps';
  tls?: TlsMaterial;
  requireTls: boolean;
}

export interface Config {
  file: string;
  listeners: readonly Listener[];
  directory: Omit<ParsedConfig['directory'], 'urls' | 'caFile'> & { urls: readonly UpstreamUrl[]; ca?: Buffer };
  binds: ParsedConfig['binds'];
  limits: ParsedConfig['limits'];
  storage: { path: string };
  log: ParsedConfig['log'];
}

export class ConfigError extends BindwallError {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    super(ErrorCode.ConfigInvalid, `${errors.length} problem(s) in configuration:\n${diagnostics.map(formatDiagnostic).join('\n')}`);
    this.diagnostics = diagnostics;
  }
}

export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new BindwallError(ErrorCode.ConfigUnreadable, `cannot read config file ${file}: ${code}`, { file, code });
  }
  const { config, diagnostics } = parseConfig(file, text);
  if (!config) throw new ConfigError(diagnostics);
  return config;
}

/** Validates config text; returns the config only when there is no error. */
export function parseConfig(file: string, text: string): { config?: Config; diagnostics: Diagnostic[] } {
  const { source, diagnostics } = YamlSource.parse(file, text);
  if (hasErrors(diagnostics)) return { diagnostics: sortDiagnostics(diagnostics) };
  const { value, diagnostics: schemaProblems } = checkSchema(source, configSchema);
  diagnostics.push(...schemaProblems);
  if (!value) return { diagnostics: sortDiagnostics(diagnostics) };
  const config = buildConfig(source, value, diagnostics);
  const sorted = sortDiagnostics(diagnostics);
  return hasErrors(sorted) ? { diagnostics: sorted } : { config: deepFreeze(config), diagnostics: sorted };
}

function buildConfig(source: YamlSource, v: ParsedConfig, out: Diagnostic[]): Config {
  const base = dirname(resolve(source.file));
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const readPem = (path: (string | number)[], p: string, what: string): Buffer => {
    try {
      const data = readFileSync(abs(p));
      if (!data.toString('latin1').includes('-----BEGIN')) {
        out.push(source.diag(path, 'error', `${what} ${abs(p)} is not PEM`, 'give a PEM file (-----BEGIN …)'));
      }
      return data;
    } catch (err) {
      out.push(source.diag(path, 'error', `cannot read ${what} ${abs(p)}: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}`,
        'check the path (relative paths start at the config file) and its permissions'));
      return Buffer.alloc(0);
    }
  };

  const seenNames = new Map<string, number>();
  const seenAddrs = new Map<string, number>();
  const listeners: Listener[] = v.listeners.map((l, i) => {
    const at = ['listeners', i];
    if (seenNames.has(l.name)) {
      out.push(source.diag([...at, 'name'], 'error', `listener name "${l.name}" is already used by listeners[${seenNames.get(l.name)}]`, 'give each listener its own name'));
    } else seenNames.set(l.name, i);
    const addr = `${l.host}:${l.port}`;
    if (l.port !== 0 && seenAddrs.has(addr)) {
      out.push(source.diag([...at, 'port'], 'error', `${addr} is already used by listeners[${seenAddrs.get(addr)}]`, 'use another port or host'));
    } else seenAddrs.set(addr, i);
    if (l.tls && l.startTls) {
      out.push(source.diag([...at, 'startTls'], 'error', `listener "${l.name}" sets both tls and startTls`,
        'use tls for an LDAPS port, startTls for a plain LDAP port that can upgrade'));
    }
    const files = l.tls ?? l.startTls;
    const key = l.tls ? 'tls' : 'startTls';
    const tls = files
      ? { cert: readPem([...at, key, 'certFile'], files.certFile, 'certificate'), key: readPem([...at, key, 'keyFile'], files.keyFile, 'private key') }
      : undefined;
    if (l.requireTls && !files) {
      out.push(source.diag([...at, 'requireTls'], 'error', `listener "${l.name}" requires TLS but offers none`, 'add tls or startTls with certFile and keyFile'));
    }
    return { name: l.name, host: l.host, port: l.port, kind: l.tls ? 'ldaps' : 'ldap', requireTls: l.requireTls, ...(tls ? { tls } : {}) };
  });

  const urls: UpstreamUrl[] = [];
  v.directory.urls.forEach((text, i) => {
    const parsed = parseUpstreamUrl(text);
    if ('error' in parsed) out.push(source.diag(['directory', 'urls', i], 'error', parsed.error, parsed.hint));
    else urls.push(parsed);
  });
  if (v.directory.startTls && urls.length > 0 && urls.every((u) => u.secure)) {
    out.push(source.diag(['directory', 'startTls'], 'warning', 'startTls has no effect: every directory URL is ldaps://'));
  }
  if (v.directory.backoffMaxMs < v.directory.backoffInitialMs) {
    out.push(source.diag(['directory', 'backoffMaxMs'], 'error', 'backoffMaxMs is smaller than backoffInitialMs', 'raise backoffMaxMs'));
  }
  const { caFile, urls: _urls, ...directoryRest } = v.directory;
  const ca = caFile ? readPem(['directory', 'caFile'], caFile, 'CA file') : undefined;

  return {
    file: resolve(source.file),
    listeners,
    directory: { ...directoryRest, urls, ...(ca ? { ca } : {}) },
    binds: v.binds,
    limits: v.limits,
    storage: { path: abs(v.storage.path) },
    log: v.log,
  };
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object' && !Buffer.isBuffer(obj) && !Object.isFrozen(obj)) {
    Object.freeze(obj);
    for (const value of Object.values(obj)) deepFreeze(value);
  }
  return obj;
}

/** Validates a config given as an object (demo, tests) through the same path as a file. */
export function configFromObject(label: string, input: unknown): Config {
  const { config, diagnostics } = parseConfig(label, stringifyYaml(input));
  if (!config) throw new ConfigError(diagnostics);
  return config;
}
