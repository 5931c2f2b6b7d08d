/**
 * The posture checks over the running config and policy. Each is a named function that
 * returns its tasks (none when all is well), so a fixed config makes its task disappear.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve, dirname } from 'node:path';
import { parse } from 'yaml';
import type { Config } from '../config/load.js';
import type { CompiledPolicy } from '../policy/policy.js';
import { checkOverrides } from '../policy/override-check.js';
import { loadPolicyDir } from '../policy/compile.js';
import { Impact, type HealthTask } from './task.js';
import { isLoopbackHost } from '../util/address.js';


type Check = (c: Config, p: CompiledPolicy | undefined) => HealthTask[];

const plainListener: Check = (c) => c.listeners.filter((l) => l.kind === 'ldap' && !l.tls && !l.requireTls && !isLoopbackHost(l.host)).map((l) => ({
  id: `plain-listener:${l.name}`, title: `Listener ${l.name} takes passwords in clear text`, securityImpact: Impact.High, userImpact: Impact.Medium,
  found: `${l.name} listens on ${l.host}:${l.port} without StartTLS or LDAPS`,
  why: 'every simple bind sends the password as it is; anyone on the path reads it',
  fix: { file: c.file, yaml: `listeners:\n  - name: ${l.name}\n    startTls: { certFile: /etc/bindwall/tls.crt, keyFile: /etc/bindwall/tls.key }\n    requireTls: true` },
}));

const plainUpstream: Check = (c) => (c.directory.startTls ? [] : c.directory.urls.filter((u) => !u.secure && !isLoopbackHost(u.host)).map((u) => ({
  id: `plain-upstream:${u.host}`, title: `The directory ${u.url} is reached without TLS`, securityImpact: Impact.High, userImpact: Impact.Low,
  found: `${u.url} is ldap:// and directory.startTls is off`, why: 'bindwall forwards every password to it over the network in clear text',
  fix: { file: c.file, yaml: `directory:\n  urls: [${u.url.replace(/^ldap:/, 'ldaps:').replace(/:389$/, ':636')}]\n  # or: startTls: true` },
})));

const forwardedBinds: Check = (c) => [
  ...(c.binds.unauthenticated === 'forward' ? [{
    id: 'forward-unauthenticated', title: 'Unauthenticated binds are passed to the directory', securityImpact: Impact.High, userImpact: Impact.Low,
    found: 'binds.unauthenticated is forward', why: 'a name with an empty password "succeeds" at many directories (RFC 4513 §5.1.2): apps that check only the result code let anyone in',
    fix: { file: c.file, yaml: 'binds:\n  unauthenticated: refuse' },
  }] : []),
  ...(c.binds.sasl === 'forward' ? [{
    id: 'forward-sasl', title: 'SASL binds bypass bindwall', securityImpact: Impact.Medium, userImpact: Impact.Low,
    found: 'binds.sasl is forward', why: 'SASL binds are passed through unexamined: no behaviour, no policy, no step-up',
    fix: { file: c.file, yaml: 'binds:\n  sasl: refuse' },
  }] : []),
];

const longRemember: Check = (c) => (c.mfa.rememberMs > 8 * 3_600_000 ? [{
  id: 'remember-long', title: 'A passed step-up is remembered for more than a working day', securityImpact: Impact.Medium, userImpact: Impact.Low,
  found: `mfa.rememberMs is ${Math.round(c.mfa.rememberMs / 3_600_000)} h`, why: 'a stolen password used from the same address and app gets in without a prompt for that long',
  fix: { file: c.file, yaml: 'mfa:\n  rememberMs: 8h' },
}] : []);

const shortAppTimeout: Check = (c) => Object.entries(c.mfa.appTimeoutsMs).filter(([, ms]) => ms < c.mfa.challengeTimeoutMs).map(([app, ms]) => ({
  id: `app-timeout:${app}`, title: `${app} gives up before a step-up can finish`, securityImpact: Impact.Low, userImpact: Impact.High,
  found: `${app} waits ${Math.round(ms / 1000)} s for a bind, a challenge may take ${Math.round(c.mfa.challengeTimeoutMs / 1000)} s`,
  why: 'its users see a timeout while their push is still waiting, and approve it for nothing',
  fix: { file: c.file, yaml: `mfa:\n  challengeTimeoutMs: ${Math.max(5_000, ms - 5_000)}   # or raise ${app}'s own LDAP timeout` },
}));

/** `a.b` and `key: value` as the nested YAML to paste (list indexes kept as a comment). */
function nestedYaml(path: readonly string[], leaf: string): string {
  const keys = path.map((k) => k.replace(/\[\d+\]$/, ''));
  return [...keys.map((k, i) => `${'  '.repeat(i)}${k}:`), `${'  '.repeat(keys.length)}${leaf}`].join('\n');
}

/** Secrets written in the config itself, and secret files others may read. */
const secrets: Check = (c) => {
  const tasks: HealthTask[] = [];
  let raw: unknown;
  try {
    raw = parse(readFileSync(c.file, 'utf8'));
  } catch {
    return tasks;
  }
  const inline: string[] = [];
  const files: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const at = path ? `${path}.${k}` : k;
        if ((k === 'password' || k === 'apiToken') && typeof x === 'string') inline.push(at);
        else if (/(password|token|secret|key|routingKey)File$/i.test(k) && typeof x === 'string') files.push(isAbsolute(x) ? x : resolve(dirname(c.file), x));
        else walk(x, at);
      }
    }
  };
  walk(raw, '');
  for (const at of inline) {
    tasks.push({
      id: `inline-secret:${at}`, title: `A secret is written in the config (${at})`, securityImpact: Impact.Medium, userImpact: Impact.Low,
      found: `${at} holds the secret itself`, why: 'the config is copied, backed up and shown on screens; a secret file is read only by bindwall',
      fix: { file: c.file, yaml: nestedYaml(at.replace(/\.(password|apiToken)$/, '').split('.'), `${at.endsWith('apiToken') ? 'apiTokenFile' : 'passwordFile'}: /etc/bindwall/${at.split('.').at(-2) ?? 'secret'}.secret   # chmod 0600 (and remove ${at.split('.').at(-1)})`) },
    });
  }
  for (const f of files) {
    let mode: number;
    try {
      mode = statSync(f).mode;
    } catch {
      continue;
    }
    if ((mode & 0o044) !== 0) {
      tasks.push({
        id: `secret-file-readable:${f}`, title: `A secret file others can read: ${f}`, securityImpact: Impact.High, userImpact: Impact.Low,
        found: `${f} is mode ${(mode & 0o777).toString(8)}`, why: 'anyone with an account on this host can read the secret',
        fix: { file: f, yaml: `# chmod 0600 ${f} && chown bindwall ${f}` },
      });
    }
  }
  return tasks;
};

const threatOff: Check = (c) => [
  ...(c.threat.mode === 'off' ? [{
    id: 'threat-off', title: 'The threat pool and smart lockout are off', securityImpact: Impact.High, userImpact: Impact.Low,
    found: 'threat.mode is off', why: 'password sprays reach the directory, which counts every guess against the people sprayed (and locks them out)',
    fix: { file: c.file, yaml: 'threat:\n  mode: enforce' },
  }] : []),
  ...(c.threat.honeytokens.accounts.length === 0 ? [{
    id: 'no-honeytokens', title: 'No honeytoken accounts', securityImpact: Impact.Low, userImpact: Impact.Low,
    found: 'threat.honeytokens.accounts is empty', why: 'a decoy account nobody uses turns the first guess of a spray into a critical incident and a blocked source',
    fix: { file: c.file, yaml: 'threat:\n  honeytokens:\n    accounts: [svc-backup-old]   # create it in the directory, so it looks real' },
  }] : []),
];

const unnotified: Check = (c, p) => (p ? p.rules.filter((r) => r.outcome.action === 'mfa' && (r.outcome.severity === 'high' || r.outcome.severity === 'critical') && r.outcome.onFailure.notify.length === 0 && !r.outcome.onFailure.respond).map((r) => ({
  id: `unnotified-rule:${r.id}`, title: `Failures under ${r.id} (${r.outcome.severity}) tell nobody`, securityImpact: Impact.Medium, userImpact: Impact.Low,
  found: `rule ${r.id} (${r.file}:${r.line}) has no onFailure notify or respond`, why: 'an incident nobody hears of is found when it is too late',
  fix: { file: r.file, yaml: `    onFailure: { notify: [security-team] }   # a target under incidents.notify in ${c.file}` },
})) : []);

/** The rule can match a privileged account: it names no kind, or names privileged. */
const coversPrivileged = (r: CompiledPolicy['rules'][number]): boolean =>
  r.when.facets.get('kind')?.type !== 'set' || (r.when.facets.get('kind') as { values: ReadonlySet<string> }).values.has('privileged');

const privilegedUnguarded: Check = (c, p) => {
  if (!p) return [];
  const guarded = p.rules.some((r) => r.outcome.action === 'mfa' && r.outcome.mode !== 'audit' && coversPrivileged(r));
  return guarded ? [] : [{
    id: 'privileged-no-step-up', title: 'Privileged accounts never step up', securityImpact: Impact.Critical, userImpact: Impact.Medium,
    found: 'no enforced mfa rule covers kind privileged', why: 'a stolen admin password gets in from anywhere with nothing but the password',
    fix: { file: `${c.policy.dir}/20-privileged.yaml`, yaml: 'version: 1\nrules:\n  - id: privileged-step-up\n    when: { kind: privileged, risk: { atLeast: 20 } }\n    action: mfa\n    method: push\n    severity: high' },
  }];
};

const safeFailPrivileged: Check = (c, p) => (p ? p.rules.filter((r) => r.outcome.action === 'mfa' && (r.outcome.failMode ?? c.mfa.failMode) === 'safe' && coversPrivileged(r)).map((r) => ({
  id: `fail-safe-privileged:${r.id}`, title: `Privileged accounts pass ${r.id} when Okta is unreachable`, securityImpact: Impact.High, userImpact: Impact.Low,
  found: `${r.id} (${r.file}:${r.line}) can match privileged accounts and fails safe${r.outcome.failMode ? '' : ' (mfa.failMode)'}`,
  why: 'an attacker who can cut bindwall off from Okta (a blocked egress, a DNS answer) gets an admin\'s session with the password alone',
  fix: { file: r.file, yaml: '    failMode: known-endpoint   # or secure; or split the rule with kind: privileged' },
})) : []);

const auditRules: Check = (c, p) => [
  ...(c.policy.mode === 'audit' ? [{
    id: 'policy-audit', title: 'The policy only records: nothing is enforced', securityImpact: Impact.High, userImpact: Impact.Medium,
    found: 'policy.mode is audit', why: 'every decision but the quarantine rule is logged and not applied',
    fix: { file: c.file, yaml: 'policy:\n  mode: enforce   # after `bindwall policy replay` shows what would change' },
  }] : []),
  ...(p?.rules.filter((r) => r.outcome.mode === 'audit').map((r) => ({
    id: `audit-rule:${r.id}`, title: `Rule ${r.id} is in audit mode`, securityImpact: Impact.Medium, userImpact: Impact.Medium,
    found: `${r.id} (${r.file}:${r.line}) says mode: audit`, why: 'what it decides is recorded, not done',
    fix: { file: r.file, yaml: '    mode: enforce   # or remove the line' },
  })) ?? []),
];

const overrides: Check = (c, p) => (p ? checkOverrides(p).map((d) => ({
  id: `override:${d.file}:${d.line}`, title: 'A rule passes over the shipped safety blocks', securityImpact: Impact.High, userImpact: Impact.Low,
  found: `${d.file}:${d.line}: ${d.message}`, why: 'quarantined accounts or risk-90 binds get in through it', fix: { file: d.file, yaml: `# ${d.hint ?? ''}` },
})) : []);

/** Lists, named conditions and demote profiles the policy defines and never uses: a rule someone meant to write. */
const unusedNames: Check = (c) => {
  let diagnostics;
  try {
    diagnostics = loadPolicyDir(c.policy.dir).diagnostics;
  } catch {
    return [];
  }
  return diagnostics.filter((d) => d.severity === 'warning' && / is never used$/.test(d.message)).map((d) => ({
    id: `unused:${d.file}:${d.line}`, title: `Policy ${d.message.replace(/ is never used$/, '')} is defined and never used`, securityImpact: Impact.Low, userImpact: Impact.Low,
    found: `${d.file}:${d.line}:${d.col}: ${d.message}`, why: 'a list nobody refers to is usually a rule that was meant to use it: the people or addresses in it are not treated as intended',
    fix: { file: d.file, yaml: `# ${d.hint ?? 'use it in a rule, or remove it'}` },
  }));
};

export const CHECKS: Readonly<Record<string, Check>> = {
  plainListener, plainUpstream, forwardedBinds, longRemember, shortAppTimeout, secrets, threatOff, unnotified, privilegedUnguarded, safeFailPrivileged, auditRules, overrides, unusedNames,
};

export function runChecks(config: Config, policy: CompiledPolicy | undefined): HealthTask[] {
  return Object.values(CHECKS).flatMap((check) => check(config, policy));
}

