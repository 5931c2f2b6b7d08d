/**
 * Loads bindwall.yaml: parse, validate against the schema, run the checks a schema cannot
 * express (files readable, duplicate listeners, URL syntax), resolve paths relative to the
 * file, read TLS material, and return one frozen Config — or every problem at once.
 */
import { availableParallelism, hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { stringify as stringifyYaml } from 'yaml';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { packageRoot, packageVersion } from '../util/package-root.js';
import { BindwallError, ErrorCode } from '../errors.js';
import { dedupeDiagnostics, formatDiagnostic, hasErrors, sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { checkSchema } from './schema-check.js';
import { configSchema, type ParsedConfig } from './schema.js';
import { parseUpstreamUrl, type UpstreamUrl } from './upstream-url.js';
import { YamlSource } from './yaml-source.js';
import { Secret } from '../log/secret.js';
import { checkTimeZone } from '../behavior/time-of-week.js';
import { parseCidr, type Cidr } from '../util/cidr.js';
import { isLoopbackHost } from '../util/address.js';
import { readWorkflows, type Workflow } from './responses.js';
import { checkConsole } from './console-check.js';
import { checkConsistency } from './consistency.js';
import { obj, str } from './raw.js';
import { readInsightFiles, type InsightFiles } from './insight-load.js';
import type { Templates } from '../insight/templates.js';
import type { SyslogOptions } from '../log/syslog.js';

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
  /** The load balancers allowed to send a PROXY protocol header (see proxy/proxy-protocol.ts). */
  proxyProtocol?: { trustedSources: readonly Cidr[]; headerTimeoutMs: number };
  threatMode?: 'off' | 'log' | 'enforce';
}

export type LookupConfig = Omit<NonNullable<ParsedConfig['directory']['lookup']>, 'password' | 'passwordFile'> & { password: Secret<string> };

export type OktaConfig = Omit<NonNullable<ParsedConfig['mfa']['okta']>, 'apiToken' | 'apiTokenFile' | 'oauth'> & {
  auth: { type: 'ssws'; token: Secret<string> } | { type: 'oauth'; clientId: string; privateKey: KeyObject; keyId?: string; scopes: string[] };
};
export type OktaSsoConfig = Omit<NonNullable<ParsedConfig['connectors']['oktaSso']>, 'apiToken' | 'apiTokenFile' | 'oauth' | 'eventHook'> & {
  auth: OktaConfig['auth'];
  eventHook?: { host: string; port: number; path: string; secret: Secret<string>; tls?: TlsMaterial };
};
export type NotifyTargetConfig = Omit<ParsedConfig['incidents']['notify'][string], 'routingKeyFile'> & { routingKey?: Secret<string> };

export type UserInsightConfig = Omit<NonNullable<ParsedConfig['userInsight']>, 'templatesDir' | 'smtp' | 'links'> & {
  templatesDir: string;
  templates: Templates;
  smtp: Omit<NonNullable<ParsedConfig['userInsight']>['smtp'], 'passwordFile' | 'caFile'> & { password?: Secret<string>; ca?: Buffer };
  links: { baseUrl?: string; key: Secret<Buffer>; validForMs: number };
};

/** The admin console's settings (admin.console), with `via` resolved to a listener name. */
export type ConsoleConfig = Omit<NonNullable<NonNullable<ParsedConfig['admin']>['console']>, 'via'> & { via: string };

export interface Config {
  file: string;
  listeners: readonly Listener[];
  directory: Omit<ParsedConfig['directory'], 'urls' | 'caFile' | 'lookup'> & { urls: readonly UpstreamUrl[]; ca?: Buffer; lookup?: LookupConfig };
  binds: ParsedConfig['binds'];
  limits: ParsedConfig['limits'];
  behavior: ParsedConfig['behavior'];
  threat: ParsedConfig['threat'];
  /** `dir` is absolute; without one in the file, the shipped policies/ directory. */
  policy: { dir: string; watch: boolean; mode: 'enforce' | 'audit' };
  mfa: Omit<ParsedConfig['mfa'], 'okta' | 'challengePage'> & { okta?: OktaConfig; challengePage?: { host: string; port: number; tls?: TlsMaterial } };
  incidents: { escalation: ParsedConfig['incidents']['escalation']; notify: Readonly<Record<string, NotifyTargetConfig>>; responseRetry: ParsedConfig['incidents']['responseRetry'] };
  /** Named response workflows (config/responses.ts). */
  responses: Readonly<Record<string, Workflow>>;
  userInsight?: UserInsightConfig;
  connectors: { oktaSso?: OktaSsoConfig };
  storage: { path: string; postgres?: PostgresConfig };
  /** Proxy processes (workers/); count resolved from `auto`. Absent in configs built in code: one process. */
  workers?: { count: number; balance: 'kernel' | 'round-robin'; hubTimeoutMs: number };
  admin?: { host: string; port: number; token?: Secret<string>; tls?: TlsMaterial; console?: ConsoleConfig };
  log: Omit<ParsedConfig['log'], 'syslog'> & { syslog?: SyslogOptions };
}

/** storage.postgres as the fleet uses it: the password read from its file, the CA loaded. */
export type PostgresConfig = Omit<NonNullable<ParsedConfig['storage']['postgres']>, 'passwordFile' | 'tls' | 'node'> & {
  node: string;
  password?: Secret<string>;
  tls?: { rejectUnauthorized: boolean; ca?: Buffer };
};

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
  // The loader's own checks run on the raw data too, so one pass reports everything.
  const loaded = checkBeyondSchema(source, diagnostics);
  // The same file read for tls and startTls would otherwise be reported twice.
  const sorted = sortDiagnostics(dedupeDiagnostics(diagnostics));
  if (!value || hasErrors(sorted)) return { diagnostics: sorted };
  return { config: deepFreeze(assemble(source, value, loaded)), diagnostics: sorted };
}

interface Loaded {
  pem: Map<string, Buffer>;
  urls: UpstreamUrl[];
  lookupPassword?: Secret<string>;
  oktaToken?: Secret<string>;
  oktaKey?: KeyObject;
  ssoToken?: Secret<string>;
  ssoKey?: KeyObject;
  hookSecret?: Secret<string>;
  routingKeys: Map<string, Secret<string>>;
  workflows: Record<string, Workflow>;
  insight?: InsightFiles;
  adminToken?: Secret<string>;
  pgPassword?: Secret<string>;
}


/** Checks a schema cannot express: duplicates, combinations, URL syntax, readable PEM files. */
function checkBeyondSchema(source: YamlSource, out: Diagnostic[]): Loaded {
  const raw = obj(source.toJS()) ?? {};
  const base = dirname(resolve(source.file));
  const pem = new Map<string, Buffer>();
  const readPem = (path: (string | number)[], p: unknown, what: string): void => {
    const file = str(p);
    if (!file) return;
    const full = isAbsolute(file) ? file : resolve(base, file);
    try {
      const data = readFileSync(full);
      if (!data.toString('latin1').includes('-----BEGIN')) out.push(source.diag(path, 'error', `${what} ${full} is not PEM`, 'give a PEM file (-----BEGIN …)'));
      pem.set(full, data);
    } catch (err) {
      out.push(source.diag(path, 'error', `cannot read ${what} ${full}: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}`,
        'check the path (relative paths start at the config file) and its permissions'));
    }
  };

  const seenNames = new Map<string, number>();
  const seenAddrs = new Map<string, number>();
  const listeners = Array.isArray(raw.listeners) ? raw.listeners : [];
  listeners.forEach((item, i) => {
    const l = obj(item);
    if (!l) return;
    const at = ['listeners', i];
    const name = str(l.name);
    if (name !== undefined) {
      if (seenNames.has(name)) out.push(source.diag([...at, 'name'], 'error', `listener name "${name}" is already used by listeners[${seenNames.get(name)}]`, 'give each listener its own name'));
      else seenNames.set(name, i);
    }
    if (typeof l.port === 'number' && l.port !== 0) {
      const addr = `${str(l.host) ?? '127.0.0.1'}:${l.port}`;
      if (seenAddrs.has(addr)) out.push(source.diag([...at, 'port'], 'error', `${addr} is already used by listeners[${seenAddrs.get(addr)}]`, 'use another port or host'));
      else seenAddrs.set(addr, i);
    }
    if (l.tls !== undefined && l.startTls !== undefined) {
      out.push(source.diag([...at, 'startTls'], 'error', `listener "${name ?? i}" sets both tls and startTls`,
        'use tls for an LDAPS port, startTls for a plain LDAP port that can upgrade'));
    }
    const pp = obj(l.proxyProtocol);
    if (pp) {
      (Array.isArray(pp.trustedSources) ? pp.trustedSources : []).forEach((a, j) => {
        if (typeof a === 'string' && 'error' in parseCidr(a)) out.push(source.diag([...at, 'proxyProtocol', 'trustedSources', j], 'error', (parseCidr(a) as { error: string }).error, 'write the balancer\'s address (10.1.2.3) or range (10.1.2.0/24)'));
      });
      if (l.tls !== undefined) out.push(source.diag([...at, 'proxyProtocol'], 'error', `listener "${name ?? i}": the PROXY protocol is supported on plain LDAP listeners (with StartTLS), not LDAPS`, 'use a plain listener with startTls, or let the balancer pass TLS through without a PROXY header'));
    }
    if (l.requireTls === true && l.tls === undefined && l.startTls === undefined) {
      out.push(source.diag([...at, 'requireTls'], 'error', `listener "${name ?? i}" requires TLS but offers none`, 'add tls or startTls with certFile and keyFile'));
    }
    for (const key of ['tls', 'startTls'] as const) {
      const files = obj(l[key]);
      if (!files) continue;
      readPem([...at, key, 'certFile'], files.certFile, 'certificate');
      readPem([...at, key, 'keyFile'], files.keyFile, 'private key');
    }
  });

  const directory = obj(raw.directory) ?? {};
  const urls: UpstreamUrl[] = [];
  (Array.isArray(directory.urls) ? directory.urls : []).forEach((text, i) => {
    if (typeof text !== 'string') return;
    const parsed = parseUpstreamUrl(text);
    if ('error' in parsed) out.push(source.diag(['directory', 'urls', i], 'error', parsed.error, parsed.hint));
    else urls.push(parsed);
  });
  if (directory.startTls === true && urls.length > 0 && urls.every((u) => u.secure)) {
    out.push(source.diag(['directory', 'startTls'], 'warning', 'startTls has no effect: every directory URL is ldaps://'));
  }
  if (typeof directory.backoffInitialMs === 'number' && typeof directory.backoffMaxMs === 'number' && directory.backoffMaxMs < directory.backoffInitialMs) {
    out.push(source.diag(['directory', 'backoffMaxMs'], 'error', 'backoffMaxMs is smaller than backoffInitialMs', 'raise backoffMaxMs'));
  }
  readPem(['directory', 'caFile'], directory.caFile, 'CA file');

  /** A secret kept in its own file (one trailing newline dropped); problems are reported. */
  const secretFile = (path: (string | number)[], file: unknown, what: string): string | undefined => {
    if (typeof file !== 'string' || file === '') return undefined;
    const full = isAbsolute(file) ? file : resolve(base, file);
    try {
      const text = readFileSync(full, 'utf8').replace(/\r?\n$/, '');
      if (text === '') out.push(source.diag(path, 'error', `${what} file ${full} is empty`, `put the ${what} in it`));
      return text;
    } catch (err) {
      out.push(source.diag(path, 'error', `cannot read ${what} file ${full}: ${(err as NodeJS.ErrnoException).code ?? 'EIO'}`, 'check the path (relative paths start at the config file) and its permissions'));
      return undefined;
    }
  };
  let lookupPassword: Secret<string> | undefined;
  const lookup = obj(directory.lookup);
  if (lookup) {
    const at = ['directory', 'lookup'];
    if (lookup.password !== undefined && lookup.passwordFile !== undefined) {
      out.push(source.diag([...at, 'password'], 'error', 'give either password or passwordFile, not both', 'keep passwordFile and remove password'));
    } else if (typeof lookup.passwordFile === 'string') {
      const text = secretFile([...at, 'passwordFile'], lookup.passwordFile, 'lookup password');
      if (text !== undefined) lookupPassword = new Secret(text);
    } else if (typeof lookup.password === 'string') {
      lookupPassword = new Secret(lookup.password);
    } else {
      out.push(source.diag(at, 'error', 'directory.lookup needs the service account\'s password', 'add passwordFile: /path/to/file (or password:)', true));
    }
  }

  const behavior = obj(raw.behavior) ?? {};
  if (typeof behavior.timeZone === 'string') {
    const problem = checkTimeZone(behavior.timeZone);
    if (problem) out.push(source.diag(['behavior', 'timeZone'], 'error', problem, 'use an IANA zone name such as Europe/London or America/New_York'));
  }
  const checkCidrs = (list: unknown, path: (string | number)[]): void => {
    (Array.isArray(list) ? list : []).forEach((a, j) => {
      if (typeof a !== 'string') return;
      const c = parseCidr(a);
      if ('error' in c) out.push(source.diag([...path, j], 'error', c.error, 'write an address (10.1.2.3) or a range (10.1.2.0/24)'));
    });
  };
  (Array.isArray(behavior.apps) ? behavior.apps : []).forEach((app, i) => checkCidrs(obj(app)?.addresses, ['behavior', 'apps', i, 'addresses']));
  checkCidrs(behavior.pools, ['behavior', 'pools']);
  checkCidrs(behavior.kiosks, ['behavior', 'kiosks']);
  (Array.isArray(behavior.sites) ? behavior.sites : []).forEach((site, i) => checkCidrs(obj(site)?.networks, ['behavior', 'sites', i, 'networks']));
  (Array.isArray(obj(raw.threat)?.exempt) ? (obj(raw.threat)!.exempt as unknown[]) : []).forEach((z, i) => checkCidrs(obj(z)?.addresses, ['threat', 'exempt', i, 'addresses']));
  checkCidrs(obj(behavior.reverseDns)?.networks, ['behavior', 'reverseDns', 'networks']);
  const page = obj(obj(obj(raw.mfa)?.challengePage)?.tls);
  if (page) {
    readPem(['mfa', 'challengePage', 'tls', 'certFile'], page.certFile, 'certificate');
    readPem(['mfa', 'challengePage', 'tls', 'keyFile'], page.keyFile, 'private key');
  }
  // Okta credentials, for step-up MFA and for the SSO connector: one of an API token (or its
  // file) or an OAuth service app's key.
  const oktaCredentials = (at: (string | number)[], okta: Record<string, unknown>): { token?: Secret<string>; key?: KeyObject } => {
    let token: Secret<string> | undefined;
    let key: KeyObject | undefined;
    const name = at.join('.');
    const ways = ['apiToken', 'apiTokenFile', 'oauth'].filter((k) => okta[k] !== undefined);
    if (ways.length !== 1) {
      out.push(source.diag(at, 'error', ways.length === 0 ? `${name} needs credentials` : `${name}: give one of ${ways.join(', ')}, not several`,
        'use apiTokenFile: /path/to/token, or oauth: { clientId, privateKeyFile }', true));
    }
    if (typeof okta.apiToken === 'string') token = new Secret(okta.apiToken);
    const fromFile = secretFile([...at, 'apiTokenFile'], okta.apiTokenFile, 'Okta API token');
    if (fromFile) token = new Secret(fromFile);
    const oauth = obj(okta.oauth);
    const pemText = secretFile([...at, 'oauth', 'privateKeyFile'], oauth?.privateKeyFile, 'private key');
    if (pemText) {
      try {
        key = createPrivateKey(pemText);
        if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec') throw new Error('type');
      } catch {
        key = undefined;
        out.push(source.diag([...at, 'oauth', 'privateKeyFile'], 'error', 'the private key is not an RSA or EC key in PEM', 'export the service app\'s key as PEM (-----BEGIN PRIVATE KEY-----)'));
      }
    }
    if (typeof okta.orgUrl === 'string' && !/^https?:\/\/[^/]+\/?$/.test(okta.orgUrl)) {
      out.push(source.diag([...at, 'orgUrl'], 'error', `orgUrl must be the org's base URL, got "${okta.orgUrl}"`, 'e.g. https://corp.okta.com (no path)'));
    } else if (typeof okta.orgUrl === 'string' && okta.orgUrl.startsWith('http://') && !/^http:\/\/(127\.|localhost[:/])/.test(okta.orgUrl)) {
      out.push(source.diag([...at, 'orgUrl'], 'error', 'orgUrl must use https (plain http only for a local simulator on loopback)', 'use https://'));
    }
    return { ...(token ? { token } : {}), ...(key ? { key } : {}) };
  };
  const mfaOkta = obj(obj(raw.mfa)?.okta);
  const { token: oktaToken, key: oktaKey } = mfaOkta ? oktaCredentials(['mfa', 'okta'], mfaOkta) : {};
  const sso = obj(obj(raw.connectors)?.oktaSso);
  const { token: ssoToken, key: ssoKey } = sso ? oktaCredentials(['connectors', 'oktaSso'], sso) : {};
  const hook = obj(sso?.eventHook);
  const hookSecretText = hook ? secretFile(['connectors', 'oktaSso', 'eventHook', 'secretFile'], hook.secretFile, 'event hook secret') : undefined;
  const hookSecret = hookSecretText ? new Secret(hookSecretText) : undefined;
  const hookTls = obj(hook?.tls);
  if (hookTls) {
    readPem(['connectors', 'oktaSso', 'eventHook', 'tls', 'certFile'], hookTls.certFile, 'certificate');
    readPem(['connectors', 'oktaSso', 'eventHook', 'tls', 'keyFile'], hookTls.keyFile, 'private key');
  }
  const routingKeys = new Map<string, Secret<string>>();
  for (const [name, target] of Object.entries(obj(obj(raw.incidents)?.notify) ?? {})) {
    const t = obj(target);
    if (!t) continue;
    const key = secretFile(['incidents', 'notify', name, 'routingKeyFile'], t.routingKeyFile, 'PagerDuty routing key');
    if (key) routingKeys.set(name, new Secret(key));
    if (t.type === 'pagerduty' && t.routingKeyFile === undefined) {
      out.push(source.diag(['incidents', 'notify', name], 'error', `notify target "${name}" (pagerduty) needs routingKeyFile`, 'add routingKeyFile: /path/to/routing-key', true));
    }
  }
  const admin = obj(raw.admin);
  const adminTokenText = admin ? secretFile(['admin', 'tokenFile'], admin.tokenFile, 'admin token') : undefined;
  if (adminTokenText !== undefined && adminTokenText.length < 16) out.push(source.diag(['admin', 'tokenFile'], 'error', 'the admin token is shorter than 16 characters', 'openssl rand -hex 24 > admin.token'));
  if (admin && admin.tokenFile === undefined && typeof admin.host === 'string' && !isLoopbackHost(admin.host)) {
    out.push(source.diag(['admin', 'host'], 'error', `the admin listener on ${admin.host} would serve metrics and status to anyone who can reach it`, 'keep it on 127.0.0.1, or set admin.tokenFile (and admin.tls)'));
  }
  checkConsole(source, raw, out);
  const adminTls = obj(admin?.tls);
  if (adminTls) {
    readPem(['admin', 'tls', 'certFile'], adminTls.certFile, 'certificate');
    readPem(['admin', 'tls', 'keyFile'], adminTls.keyFile, 'private key');
  }
  const pg = obj(obj(raw.storage)?.postgres);
  let pgPassword: Secret<string> | undefined;
  if (pg) {
    const url = str(pg.url);
    if (url !== undefined) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {
        out.push(source.diag(['storage', 'postgres', 'url'], 'error', 'not a URL', 'write postgres://user@host:5432/database'));
      }
      if (parsed && parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') out.push(source.diag(['storage', 'postgres', 'url'], 'error', `scheme ${parsed.protocol} is not postgres:`, 'write postgres://user@host:5432/database'));
      // A password in the URL would end up wherever the URL is printed.
      else if (parsed?.password) out.push(source.diag(['storage', 'postgres', 'url'], 'error', 'the URL holds a password', 'remove it from the URL and put it in passwordFile'));
    }
    const text = secretFile(['storage', 'postgres', 'passwordFile'], pg.passwordFile, 'PostgreSQL password');
    if (text) pgPassword = new Secret(text);
    readPem(['storage', 'postgres', 'tls', 'caFile'], obj(pg.tls)?.caFile, 'CA file');
  }
  checkConsistency(source, raw, out);
  readPem(['log', 'syslog', 'caFile'], obj(obj(raw.log)?.syslog)?.caFile, 'CA file');
  const workflows = readWorkflows(source, raw, out);
  const insight = readInsightFiles(source, raw, out);
  return {
    pem, urls, routingKeys, workflows, ...(insight ? { insight } : {}), ...(adminTokenText ? { adminToken: new Secret(adminTokenText) } : {}), ...(lookupPassword ? { lookupPassword } : {}), ...(oktaToken ? { oktaToken } : {}), ...(oktaKey ? { oktaKey } : {}),
    ...(ssoToken ? { ssoToken } : {}), ...(ssoKey ? { ssoKey } : {}), ...(hookSecret ? { hookSecret } : {}), ...(pgPassword ? { pgPassword } : {}),
  };
}

/** Builds the runtime Config from validated values; every file was already read once. */
function assemble(source: YamlSource, v: ParsedConfig, loaded: Loaded): Config {
  const base = dirname(resolve(source.file));
  const abs = (p: string): string => (isAbsolute(p) ? p : resolve(base, p));
  const listeners: Listener[] = v.listeners.map((l) => {
    const files = l.tls ?? l.startTls;
    const tls = files ? { cert: loaded.pem.get(abs(files.certFile))!, key: loaded.pem.get(abs(files.keyFile))! } : undefined;
    const proxyProtocol = l.proxyProtocol
      ? { trustedSources: l.proxyProtocol.trustedSources.map((c) => parseCidr(c)).filter((c): c is Cidr => !('error' in c)), headerTimeoutMs: l.proxyProtocol.headerTimeoutMs }
      : undefined;
    return { name: l.name, host: l.host, port: l.port, kind: l.tls ? 'ldaps' : 'ldap', requireTls: l.requireTls, ...(tls ? { tls } : {}), ...(proxyProtocol ? { proxyProtocol } : {}), ...(l.threatMode ? { threatMode: l.threatMode } : {}) };
  });
  const { caFile, urls: _urls, lookup, ...directoryRest } = v.directory;
  const ca = caFile ? loaded.pem.get(abs(caFile)) : undefined;
  const lookupConfig = lookup && loaded.lookupPassword ? (({ password: _p, passwordFile: _f, ...rest }) => ({ ...rest, password: loaded.lookupPassword! }))(lookup) : undefined;
  return {
    file: resolve(source.file),
    listeners,
    directory: { ...directoryRest, urls: loaded.urls, ...(ca ? { ca } : {}), ...(lookupConfig ? { lookup: lookupConfig } : {}) },
    binds: v.binds,
    limits: v.limits,
    behavior: v.behavior,
    threat: v.threat,
    policy: { dir: v.policy.dir ? abs(v.policy.dir) : join(packageRoot, 'policies'), watch: v.policy.watch, mode: v.policy.mode },
    mfa: (({ okta, challengePage, ...rest0 }) => {
      const rest = {
        ...rest0,
        ...(challengePage ? {
          challengePage: {
            host: challengePage.host, port: challengePage.port,
            ...(challengePage.tls ? { tls: { cert: loaded.pem.get(abs(challengePage.tls.certFile))!, key: loaded.pem.get(abs(challengePage.tls.keyFile))! } } : {}),
          },
        } : {}),
      };
      if (!okta) return rest;
      const { apiToken: _t, apiTokenFile: _f, oauth, ...o } = okta;
      return { ...rest, okta: { ...o, orgUrl: o.orgUrl.replace(/\/$/, ''), auth: oktaAuth(oauth, loaded.oktaKey, loaded.oktaToken) } };
    })(v.mfa),
    connectors: ((c) => {
      if (!c.oktaSso) return {};
      const { apiToken: _t, apiTokenFile: _f, oauth, eventHook, ...o } = c.oktaSso;
      const hook = eventHook && loaded.hookSecret ? {
        host: eventHook.host, port: eventHook.port, path: eventHook.path, secret: loaded.hookSecret,
        ...(eventHook.tls ? { tls: { cert: loaded.pem.get(abs(eventHook.tls.certFile))!, key: loaded.pem.get(abs(eventHook.tls.keyFile))! } } : {}),
      } : undefined;
      return { oktaSso: { ...o, orgUrl: o.orgUrl.replace(/\/$/, ''), auth: oktaAuth(oauth, loaded.ssoKey, loaded.ssoToken), ...(hook ? { eventHook: hook } : {}) } };
    })(v.connectors),
    incidents: {
      escalation: v.incidents.escalation,
      notify: Object.fromEntries(Object.entries(v.incidents.notify).map(([name, t]) => {
        const { routingKeyFile: _k, ...rest } = t;
        const key = loaded.routingKeys.get(name);
        return [name, { ...rest, ...(key ? { routingKey: key } : {}) }];
      })),
      responseRetry: v.incidents.responseRetry,
    },
    responses: loaded.workflows,
    ...(v.userInsight && loaded.insight?.templates && loaded.insight.linkKey ? {
      userInsight: (({ templatesDir: _d, smtp: { passwordFile: _p, caFile: _c, ...smtp }, links, ...rest }) => ({
        ...rest, templatesDir: loaded.insight!.templatesDir, templates: loaded.insight!.templates!,
        smtp: { ...smtp, ...(loaded.insight!.smtpPassword ? { password: loaded.insight!.smtpPassword } : {}), ...(loaded.insight!.smtpCa ? { ca: loaded.insight!.smtpCa } : {}) },
        links: { ...(links.baseUrl ? { baseUrl: links.baseUrl.replace(/\/$/, '') } : {}), key: loaded.insight!.linkKey!, validForMs: links.validForMs },
      }))(v.userInsight),
    } : {}),
    storage: {
      path: abs(v.storage.path),
      ...(v.storage.postgres ? {
        postgres: (({ passwordFile: _p, tls, ...pg }) => ({
          ...pg, node: pg.node ?? `${hostname()}-${process.pid}`,
          ...(loaded.pgPassword ? { password: loaded.pgPassword } : {}),
          ...(tls ? { tls: { rejectUnauthorized: tls.rejectUnauthorized, ...(tls.caFile ? { ca: loaded.pem.get(abs(tls.caFile))! } : {}) } } : {}),
        }))(v.storage.postgres),
      } : {}),
    },
    workers: { count: v.workers.count === 'auto' ? availableParallelism() : v.workers.count, balance: v.workers.balance, hubTimeoutMs: v.workers.hubTimeoutMs },
    ...(v.admin ? {
      admin: {
        host: v.admin.host, port: v.admin.port, ...(loaded.adminToken ? { token: loaded.adminToken } : {}),
        ...(v.admin.tls ? { tls: { cert: loaded.pem.get(abs(v.admin.tls.certFile))!, key: loaded.pem.get(abs(v.admin.tls.keyFile))! } } : {}),
        ...(v.admin.console ? { console: { ...v.admin.console, via: v.admin.console.via ?? listeners.find((l) => l.kind === 'ldap')?.name ?? listeners[0]!.name } } : {}),
      },
    } : {}),
    log: (({ syslog, file, ...rest }) => ({
      ...rest, ...(file ? { file: abs(file) } : {}),
      ...(syslog ? { syslog: { host: syslog.host, port: syslog.port ?? (syslog.protocol === 'tls' ? 6514 : 514), protocol: syslog.protocol, facility: syslog.facility, appName: syslog.appName, format: syslog.format, version: packageVersion(),
        ...(syslog.caFile ? { ca: loaded.pem.get(abs(syslog.caFile))! } : {}) } } : {}),
    }))(v.log),
  };
}


function oktaAuth(oauth: { clientId: string; scopes: string[]; keyId?: string | undefined } | undefined, key: KeyObject | undefined, token: Secret<string> | undefined): OktaConfig['auth'] {
  return oauth && key
    ? { type: 'oauth' as const, clientId: oauth.clientId, privateKey: key, scopes: oauth.scopes, ...(oauth.keyId ? { keyId: oauth.keyId } : {}) }
    : { type: 'ssws' as const, token: token! };
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
