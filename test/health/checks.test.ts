/**
 * HealthInsight, one case per check: a config (and policy) with the problem gives the task,
 * with its impacts and fix; the same config fixed gives none — the task completes itself.
 * Then the command: tasks most important first, dismiss with a reason and operator, restore.
 */
import test from 'ava';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromObject } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { CHECKS } from '../../src/health/checks.js';
import { runBindwall } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

const BASE = { listeners: [{ name: 'edge', host: '127.0.0.1', port: 0 }], directory: { urls: ['ldaps://dc.corp.example'] } };
const POLICY_OK = 'version: 1\nrules:\n  - id: priv\n    when: { kind: privileged }\n    action: mfa\n    severity: high\n    onFailure: { notify: [sec] }\ndefault: { action: approve }\n';

interface Case { check: string; id: RegExp; bad: Partial<ConfigInput> & Record<string, unknown>; good: Partial<ConfigInput> & Record<string, unknown>; policy?: [string, string] }
const CASES: Case[] = [
  { check: 'plainListener', id: /^plain-listener:edge$/, bad: { listeners: [{ name: 'edge', host: '0.0.0.0', port: 0 }] }, good: { listeners: [{ name: 'edge', host: '127.0.0.1', port: 0 }] } },
  { check: 'plainUpstream', id: /^plain-upstream:dc\.corp\.example$/, bad: { directory: { urls: ['ldap://dc.corp.example'] } }, good: { directory: { urls: ['ldap://dc.corp.example'], startTls: true } } },
  { check: 'forwardedBinds', id: /^forward-unauthenticated$/, bad: { binds: { unauthenticated: 'forward' } }, good: { binds: { unauthenticated: 'refuse' } } },
  { check: 'longRemember', id: /^remember-long$/, bad: { mfa: { rememberMs: '12h' } }, good: { mfa: { rememberMs: '5m' } } },
  { check: 'shortAppTimeout', id: /^app-timeout:edge$/, bad: { mfa: { appTimeoutsMs: { edge: '30s' } } }, good: { mfa: { appTimeoutsMs: { edge: '90s' } } } },
  { check: 'threatOff', id: /^threat-off$/, bad: { threat: { mode: 'off' } }, good: { threat: { mode: 'enforce' } } },
  { check: 'auditRules', id: /^policy-audit$/, bad: { policy: { mode: 'audit' } }, good: { policy: { mode: 'enforce' } } },
  { check: 'privilegedUnguarded', id: /^privileged-no-step-up$/, bad: {}, good: {}, policy: ['version: 1\ndefault: { action: approve }\n', POLICY_OK] },
  { check: 'unnotified', id: /^unnotified-rule:priv$/, bad: {}, good: {}, policy: [POLICY_OK.replace('    onFailure: { notify: [sec] }\n', ''), POLICY_OK] },
  { check: 'safeFailPrivileged', id: /^fail-safe-privileged:priv$/, bad: {}, good: {}, policy: [POLICY_OK.replace('    severity: high\n', '    severity: high\n    failMode: safe\n'), POLICY_OK.replace('    severity: high\n', '    severity: high\n    failMode: known-endpoint\n')] },
  { check: 'overrides', id: /^override:/, bad: {}, good: {}, policy: ['version: 1\nrules:\n  - { id: vpn-ok, when: { app: edge }, action: approve }\n  - { id: q, when: { quarantined: true }, action: block }\ndefault: { action: approve }\n', 'version: 1\nrules:\n  - { id: q, when: { quarantined: true }, action: block }\n  - { id: vpn-ok, when: { app: edge }, action: approve }\ndefault: { action: approve }\n'] },
];

for (const c of CASES) {
  test(`${c.check}: the problem gives its task; fixed, the task is gone`, (t) => {
    const dir = tempDir(t);
    const run = (over: Record<string, unknown>, policyText?: string) => {
      const config = configFromObject(join(dir, 'c.yaml'), { ...BASE, storage: { path: join(dir, 'b.db') }, ...over });
      const policy = policyText ? compilePolicy([{ file: 'p.yaml', text: policyText }]).policy : compilePolicy([{ file: 'p.yaml', text: POLICY_OK }]).policy;
      return CHECKS[c.check]!(config, policy);
    };
    const bad = run(c.bad, c.policy?.[0]);
    const task = bad.find((x) => c.id.test(x.id));
    t.truthy(task, JSON.stringify(bad));
    t.true(['low', 'medium', 'high', 'critical'].includes(task!.securityImpact) && ['low', 'medium', 'high', 'critical'].includes(task!.userImpact));
    t.true(task!.found.length > 0 && task!.why.length > 0 && task!.fix.yaml.length > 0 && task!.fix.file.length > 0);
    t.deepEqual(run(c.good, c.policy?.[1]).filter((x) => c.id.test(x.id)), []);
  });
}

test('secrets: written in the config, or in a file others can read', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'c.yaml');
  writeFileSync(join(dir, 'pw'), 'Lookup-Pw-1');
  chmodSync(join(dir, 'pw'), 0o644);
  const write = (lookup: string): void => writeFileSync(file, `listeners:\n  - name: e\n    port: 0\ndirectory:\n  urls: [ldaps://dc]\n  lookup: { bindDn: cn=x, baseDn: dc=x, ${lookup} }\n`);
  write('password: Inline-Pw-1');
  const inline = CHECKS.secrets!(configFromObject(file, { listeners: [{ name: 'e', port: 0 }], directory: { urls: ['ldaps://dc'], lookup: { bindDn: 'cn=x', baseDn: 'dc=x', password: 'Inline-Pw-1' } } }), undefined);
  t.true(inline.some((x) => x.id === 'inline-secret:directory.lookup.password'));
  write(`passwordFile: ${join(dir, 'pw')}`);
  const readable = CHECKS.secrets!(configFromObject(file, { listeners: [{ name: 'e', port: 0 }], directory: { urls: ['ldaps://dc'], lookup: { bindDn: 'cn=x', baseDn: 'dc=x', passwordFile: join(dir, 'pw') } } }), undefined);
  t.true(readable.some((x) => x.id === `secret-file-readable:${join(dir, 'pw')}`));
  chmodSync(join(dir, 'pw'), 0o600);
  t.deepEqual(CHECKS.secrets!(configFromObject(file, { listeners: [{ name: 'e', port: 0 }], directory: { urls: ['ldaps://dc'], lookup: { bindDn: 'cn=x', baseDn: 'dc=x', passwordFile: join(dir, 'pw') } } }), undefined), []);
});

test('bindwall health: most important first; dismiss with a reason and operator; restore', async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'p.yaml'), 'version: 1\ndefault: { action: approve }\n');
  const file = join(dir, 'c.yaml');
  writeFileSync(file, `listeners:\n  - name: edge\n    host: 0.0.0.0\n    port: 0\ndirectory:\n  urls: [ldaps://dc.corp.example]\nstorage:\n  path: b.db\npolicy:\n  dir: policies\nthreat:\n  mode: off\n`);
  const list = JSON.parse((await runBindwall(['health', '--config', file, '--json'])).stdout) as { tasks: { id: string; securityImpact: string }[] };
  t.is(list.tasks[0]!.id, 'privileged-no-step-up', 'critical first');
  t.true(list.tasks.some((x) => x.id === 'plain-listener:edge') && list.tasks.some((x) => x.id === 'threat-off'));
  const d = await runBindwall(['health', 'dismiss', 'threat-off', '--reason', 'lab box', '--operator', 'dana', '--config', file]);
  t.is(d.status, 0, d.stderr);
  t.regex(d.stdout, /threat-off dismissed by dana: lab box/);
  const after = JSON.parse((await runBindwall(['health', '--config', file, '--json'])).stdout) as { tasks: { id: string }[]; dismissed: number };
  t.false(after.tasks.some((x) => x.id === 'threat-off'));
  t.is(after.dismissed, 1);
  t.regex((await runBindwall(['health', '--config', file, '--all'])).stdout, /threat-off: .*\(dismissed by dana: lab box\)/);
  t.is((await runBindwall(['health', 'dismiss', 'threat-off', '--config', file])).status, 2, 'a reason is required');
  t.is((await runBindwall(['health', 'restore', 'threat-off', '--config', file])).status, 0);
  t.true((JSON.parse((await runBindwall(['health', '--config', file, '--json'])).stdout) as { tasks: { id: string }[] }).tasks.some((x) => x.id === 'threat-off'));
});

test('unusedNames: a list the policy defines and no rule uses; used, gone', (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'policies'));
  const write = (rule: string): void => writeFileSync(join(dir, 'policies', 'p.yaml'), `version: 1\nlists:\n  contractors: [frank, gina]\nrules:\n  - { id: r, when: { user: ${rule} }, action: mfa }\ndefault: { action: approve }\n`);
  const config = configFromObject(join(dir, 'c.yaml'), { ...BASE, storage: { path: join(dir, 'b.db') }, policy: { dir: join(dir, 'policies') } });
  write('alice');
  const [task] = CHECKS.unusedNames!(config, undefined);
  t.regex(task!.id, /^unused:.*p\.yaml:3$/);
  t.regex(task!.found, /list "contractors" is never used/);
  write('$contractors');
  t.deepEqual(CHECKS.unusedNames!(config, undefined), []);
});
