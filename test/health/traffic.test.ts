/**
 * HealthInsight's traffic checks, golden: binds learned by the real engine and written by the
 * real store (plus incidents and what Okta said), the task out with its evidence, then the
 * fix (a declared app, Okta's status, a logon, enforce mode) and the task is gone.
 */
import test from 'ava';
import { join } from 'node:path';
import { BehaviorEngine } from '../../src/behavior/engine.js';
import type { LogonEvent } from '../../src/behavior/logon-event.js';
import { mapperFor } from '../../src/behavior/setup.js';
import { configFromObject, type Config } from '../../src/config/load.js';
import { TRAFFIC_CHECKS } from '../../src/health/traffic.js';
import { effectiveThreshold } from '../../src/threat/lockout-threshold.js';
import { compilePolicy } from '../../src/policy/compile.js';
import type { CompiledPolicy } from '../../src/policy/policy.js';
import { BehaviorStore, type StoredEvent } from '../../src/store/behavior-store.js';
import { ConnectorStore } from '../../src/store/connector-store.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { IncidentStatus, IncidentStore } from '../../src/store/incident-store.js';
import { tempDir } from '../helpers/paths.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 2, 10);
const BASE = { listeners: [{ name: 'edge', host: '127.0.0.1', port: 0 }], directory: { urls: ['ldaps://dc.corp.example'] } };
const POLICY = compilePolicy([{ file: 'p.yaml', text: 'version: 1\ndefault: { action: approve }\n' }]).policy!;

function setup(t: { teardown(fn: () => void): void }, over: Record<string, unknown> = {}): { db: Db; config: Config; engine: BehaviorEngine; store: BehaviorStore } {
  const dir = tempDir(t);
  const config = configFromObject(join(dir, 'c.yaml'), { ...BASE, storage: { path: join(dir, 'b.db') }, ...over });
  const db = openDatabase(config.storage.path);
  t.teardown(() => db.close());
  return { db, config, engine: new BehaviorEngine({ timeZone: 'UTC' }), store: new BehaviorStore(db) };
}

const logon = (o: Partial<LogonEvent> & Pick<LogonEvent, 'account' | 'endpoint' | 'time'>): LogonEvent => ({
  bindName: `uid=${o.account},ou=people,dc=corp,dc=example`, kind: 'human', subnet: `${o.endpoint.split('.').slice(0, 3).join('.')}.0/24`, app: 'edge', result: 'success', ...o,
});

/** Learns the logons with the engine and writes them (events, baselines, risk, facts) with the store, as the running service does. */
function record(s: ReturnType<typeof setup>, logons: LogonEvent[], extra: { outcome?: string; audit?: { ruleId: string; action: string } } = {}, facts: { account: string; facts: Record<string, unknown> }[] = []): void {
  const events: StoredEvent[] = logons.map((l) => ({ logon: l, assessment: s.engine.observe(l), outcome: extra.outcome ?? 'approved', ...(extra.audit ? { decision: { action: 'approve', ruleId: 'default', audit: extra.audit } } : {}) }));
  const dirty = s.engine.takeDirty();
  s.store.write(events, dirty, dirty.risks, NOW, facts.map((f) => ({ account: f.account, facts: { dn: `uid=${f.account},ou=people,dc=corp,dc=example`, ous: [], groups: [], groupNames: [], privileged: false, attributes: {}, ...f.facts } })));
}

/** A fix's policy file compiles beside the file that holds the default. */
const withDefault = (text: string): CompiledPolicy | undefined => compilePolicy([{ file: '00-default.yaml', text: 'version: 1\ndefault: { action: approve }\n' }, { file: '50-fix.yaml', text }]).policy;

const run = (check: string, s: { db: Db; config: Config }, now = NOW, policy: CompiledPolicy = POLICY) => TRAFFIC_CHECKS[check]!(s.config, policy, { db: s.db, mapper: mapperFor(s.config), now });

test('undeclared app server: learned from relayed binds, with the evidence and the behavior.apps line; declared, gone', (t) => {
  const s = setup(t);
  record(s, ['ann', 'ben', 'cat', 'dan', 'eve'].map((a, i) => logon({ account: a, endpoint: '10.0.0.5', time: NOW - DAY + i * 60_000, relayed: true, previousAccount: 'svc-web' })));
  const [task] = run('undeclaredEndpoints', s);
  t.is(task?.id, 'undeclared-app-server:10.0.0.5');
  t.regex(task!.found, /relayed binds by 5 accounts/);
  t.regex(task!.fix.yaml, /apps:\n    - \{ name: app-10-0-0-5, addresses: \[10\.0\.0\.5\] \}/);
  const fixed = { ...s, config: configFromObject(s.config.file, { ...BASE, storage: { path: s.config.storage.path }, behavior: { apps: [{ name: 'webmail', addresses: ['10.0.0.5'] }] } }) };
  t.deepEqual(run('undeclaredEndpoints', fixed), []);
});

test('service account on new hosts: this week\'s hosts against the ones before; a week on, no longer new', (t) => {
  const s = setup(t);
  record(s, [logon({ account: 'svc-backup', kind: 'service', endpoint: '10.0.1.10', time: NOW - 40 * DAY }), logon({ account: 'svc-backup', kind: 'service', endpoint: '10.0.1.10', time: NOW - 20 * DAY })]);
  t.deepEqual(run('serviceSpread', s), []);
  record(s, [logon({ account: 'svc-backup', kind: 'service', endpoint: '10.0.7.20', time: NOW - DAY }), logon({ account: 'svc-backup', kind: 'service', endpoint: '10.0.7.21', time: NOW - 2 * DAY })]);
  const [task] = run('serviceSpread', s);
  t.is(task?.id, 'service-spread:svc-backup');
  t.regex(task!.found, /2 host\(s\) new this week \(10\.0\.7\.2[01], 10\.0\.7\.2[01]\), 1 before/);
  t.regex(task!.fix.yaml, /unless: \[\{ endpoint: \[10\.0\.1\.10\] \}\]/);
  t.deepEqual(run('serviceSpread', s, NOW + 8 * DAY), []);
});

test('people stepped up whom Okta cannot prompt: from the incidents of the last 30 days', (t) => {
  const s = setup(t);
  const incidents = new IncidentStore(s.db);
  for (const [account, failure] of [['ann', 'no_factor'], ['ann', 'no_factor'], ['ben', 'unknown_user'], ['cat', 'denied']] as const) {
    incidents.insert({ time: NOW - DAY, account, kind: 'human', endpoint: '10.0.0.9', app: 'edge', score: 50, reasons: [], signals: [], ruleId: 'r', policyHash: 'h', method: 'push', failure, severity: 'medium', status: IncidentStatus.Open, timeline: [] });
  }
  const [task] = run('unenrolled', s);
  t.is(task?.id, 'mfa-unenrolled');
  t.regex(task!.title, /^2 people/);
  t.regex(task!.found, /ann \(2×, last 2026-11-01\), ben \(1×/);
  t.deepEqual(run('unenrolled', s, NOW + 31 * DAY), []);
});

test('an account Okta has suspended that still binds here; active again, gone', (t) => {
  const s = setup(t);
  record(s, [logon({ account: 'ann', endpoint: '10.0.0.9', time: NOW - DAY })]);
  const okta = new ConnectorStore(s.db);
  okta.saveFacts('ann', { status: 'SUSPENDED', factors: [], apps: [] }, NOW);
  const [task] = run('oktaDisabled', s);
  t.is(task?.id, 'okta-disabled-binds:ann');
  t.regex(task!.fix.yaml, /when: \{ cloud: \{ status: \[SUSPENDED, DEPROVISIONED\] \} \}/);
  // The fix YAML is a policy that compiles.
  t.truthy(withDefault(task!.fix.yaml));
  okta.saveFacts('ann', { status: 'ACTIVE', factors: ['push'], apps: [] }, NOW);
  t.deepEqual(run('oktaDisabled', s), []);
});

test('dormant privileged accounts: unused for 90 days; a logon, gone', (t) => {
  const s = setup(t);
  record(s, [logon({ account: 'root-adm', kind: 'privileged', endpoint: '10.0.0.2', time: NOW - 100 * DAY })], {}, [{ account: 'root-adm', facts: { privileged: true } }]);
  const [task] = run('dormantPrivileged', s);
  t.is(task?.id, 'dormant-privileged');
  t.regex(task!.found, /root-adm \(last 2026-07-25\)/);
  t.truthy(withDefault(task!.fix.yaml));
  record(s, [logon({ account: 'root-adm', kind: 'privileged', endpoint: '10.0.0.2', time: NOW - DAY })]);
  t.deepEqual(run('dormantPrivileged', s), []);
});

test('a rule in audit mode for more than 14 days; enforced, gone', (t) => {
  const s = setup(t);
  const audit = compilePolicy([{ file: 'p.yaml', text: 'version: 1\nrules:\n  - { id: night-mfa, when: { risk: { atLeast: 50 } }, action: mfa, mode: audit }\ndefault: { action: approve }\n' }]).policy!;
  record(s, [logon({ account: 'ann', endpoint: '10.0.0.9', time: NOW - 20 * DAY })], { audit: { ruleId: 'night-mfa', action: 'mfa' } });
  const [task] = run('longAudit', s, NOW, audit);
  t.is(task?.id, 'audit-too-long:night-mfa');
  t.regex(task!.title, /only recorded for 20 days/);
  t.deepEqual(run('longAudit', s, NOW - 10 * DAY, audit), [], 'ten days in, it is still a trial');
  const enforced = compilePolicy([{ file: 'p.yaml', text: 'version: 1\nrules:\n  - { id: night-mfa, when: { risk: { atLeast: 50 } }, action: mfa }\ndefault: { action: approve }\n' }]).policy!;
  t.deepEqual(run('longAudit', s, NOW, enforced), []);
});

test('smart lockout against the directory\'s threshold: configured too high, or unknown; derived from the directory, no task', (t) => {
  const s = setup(t);
  const ppolicy = { source: 'ppolicy' as const, threshold: 5, dn: 'cn=default,ou=policies,dc=corp,dc=example' };
  const check = (lockout: ReturnType<typeof effectiveThreshold>) => TRAFFIC_CHECKS.lockoutThreshold!(s.config, POLICY, { db: s.db, mapper: mapperFor(s.config), now: NOW, lockout });
  const [high] = check(effectiveThreshold(4, ppolicy));
  t.is(high?.id, 'lockout-threshold');
  t.regex(high!.found, /threat\.lockout\.threshold 4 lets an attacker's sources spend 4 of the 4 wrong passwords/);
  t.regex(high!.fix.yaml, /threshold: 2/);
  t.is(check(effectiveThreshold(undefined, undefined, 'no directory.lookup to read it with'))[0]?.id, 'lockout-unknown');
  t.deepEqual(check(effectiveThreshold(undefined, ppolicy)), []);
});
