/**
 * Posture checks over what bindwall has seen: app servers and shared sources nobody
 * declared (with the learned evidence), service accounts spreading to new hosts, people the
 * policy steps up whom Okta cannot prompt, accounts Okta has disabled still binding here,
 * privileged accounts nobody uses, rules left in audit mode for weeks, a directory that locks
 * people out before smart lockout does.
 */
import { describeRole, EndpointRole } from '../behavior/endpoint-role.js';
import type { EventMapper } from '../behavior/logon-event.js';
import type { Config } from '../config/load.js';
import type { CompiledPolicy } from '../policy/policy.js';
import { BehaviorStore } from '../store/behavior-store.js';
import { decodeJson } from '../store/codec.js';
import type { Db } from '../store/db.js';
import type { AccountBaseline } from '../behavior/baseline.js';
import { Impact, type HealthTask } from './task.js';
import type { EffectiveThreshold } from '../threat/lockout-threshold.js';

const DAY = 86_400_000;
/** How long a rule may record instead of enforcing before it is a task of its own. */
export const AUDIT_TOO_LONG_MS = 14 * DAY;
const DORMANT_MS = 90 * DAY;
const INACTIVE_OKTA = new Set(['SUSPENDED', 'DEPROVISIONED', 'LOCKED_OUT']);
/** Past this many shared sources or app servers, the rest are counted in the last task. */
const MAX_ENDPOINT_TASKS = 20;

export interface TrafficContext {
  db: Db;
  mapper: EventMapper;
  now: number;
  /** Smart lockout's threshold as the proxy derived it from the directory's own (absent: not read). */
  lockout?: EffectiveThreshold;
}

type TrafficCheck = (c: Config, p: CompiledPolicy | undefined, t: TrafficContext) => HealthTask[];

const iso = (t: number): string => new Date(t).toISOString().slice(0, 10);
const slug = (s: string): string => s.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '');

const undeclaredEndpoints: TrafficCheck = (c, _p, t) => {
  const tasks: HealthTask[] = [];
  // Only addresses many people used can be app servers or shared.
  for (const ep of new BehaviorStore(t.db).endpointsUsedByMany(3, 3)) {
    const d = describeRole(ep, t.mapper.declaredRole(ep.endpoint));
    if (d.declared || tasks.length >= MAX_ENDPOINT_TASKS) continue;
    if (d.role === EndpointRole.AppServer) {
      tasks.push({
        id: `undeclared-app-server:${ep.endpoint}`, title: `${ep.endpoint} binds for its users and is not declared`, securityImpact: Impact.Medium, userImpact: Impact.Medium,
        found: `learned as an app server: ${d.evidence}`, why: 'until declared, its users\' binds are judged by learning that a restart of its pool or a new address resets; declared, the app has a name policies and timeouts can use',
        fix: { file: c.file, yaml: `behavior:\n  apps:\n    - { name: app-${slug(ep.endpoint)}, addresses: [${ep.endpoint}] }` },
      });
    } else if (d.role === EndpointRole.Shared && ep.accounts.size > 3) {
      tasks.push({
        id: `undeclared-shared:${ep.endpoint}`, title: `${ep.endpoint} is used by many people and is not declared`, securityImpact: Impact.Low, userImpact: Impact.Medium,
        found: `${d.evidence}, none of them most of the time`, why: 'a kiosk or a VPN/NAT address says nothing about who is at it: declared, it is never anyone\'s device, and its people are not prompted as if on a new one',
        fix: { file: c.file, yaml: `behavior:\n  kiosks: [${ep.endpoint}]   # a shared terminal\n  # or, for a VPN or NAT address range:\n  # pools: [${ep.endpoint}/32]` },
      });
    }
  }
  return tasks;
};

function accounts(db: Db, where: string, ...args: unknown[]): AccountBaseline[] {
  return (db.prepare(`SELECT data FROM baselines WHERE kind = 'account' AND ${where}`).pluck().all(...args) as string[]).map((d) => decodeJson<AccountBaseline>(d));
}

const serviceSpread: TrafficCheck = (c, _p, t) => accounts(t.db, "json_extract(data, '$.kind') = 'service' AND json_extract(data, '$.firstSeen') < ?", t.now - 30 * DAY).flatMap((a) => {
  const all = [...a.endpoints];
  const fresh = all.filter(([, f]) => f.first >= t.now - 7 * DAY);
  const before = all.length - fresh.length;
  if (fresh.length === 0 || before === 0 || fresh.length < Math.max(1, before)) return [];
  return [{
    id: `service-spread:${a.account}`, title: `Service account ${a.account} binds from new hosts`, securityImpact: Impact.High, userImpact: Impact.Low,
    found: `${fresh.length} host(s) new this week (${fresh.slice(0, 5).map(([e]) => e).join(', ')}), ${before} before`,
    why: 'a service account\'s password copied to another machine is the classic lateral move: it never steps up, and nobody notices it binding from somewhere else',
    fix: { file: `${c.policy.dir}/30-service-accounts.yaml`, yaml: `version: 1\nrules:\n  - id: ${slug(a.account)}-known-hosts\n    when: { user: ${a.account} }\n    unless: [{ endpoint: [${all.filter(([, f]) => f.first < t.now - 7 * DAY).slice(0, 5).map(([e]) => e).join(', ')}] }]\n    action: block` },
  }];
});

const unenrolled: TrafficCheck = (c, _p, t) => {
  const rows = t.db.prepare("SELECT account, COUNT(*) AS n, MAX(time) AS last FROM incidents WHERE failure IN ('no_factor', 'unknown_user') AND time >= ? GROUP BY account ORDER BY n DESC LIMIT 50").all(t.now - 30 * DAY) as { account: string; n: number; last: number }[];
  if (rows.length === 0) return [];
  return [{
    id: 'mfa-unenrolled', title: `${rows.length} people the policy steps up cannot be prompted by Okta`, securityImpact: Impact.Medium, userImpact: Impact.High,
    found: `no Okta factor or no Okta user in the last 30 days: ${rows.slice(0, 8).map((r) => `${r.account} (${r.n}×, last ${iso(r.last)})`).join(', ')}${rows.length > 8 ? ', …' : ''}`,
    why: 'each of their step-ups fails (or passes by mfa.unenrolled\'s fail mode): enrol them in Okta Verify, or fix mfa.okta.loginTemplate if the logins do not match',
    fix: { file: c.file, yaml: 'mfa:\n  okta:\n    loginTemplate: "{account}@corp.example"   # the Okta login of a directory account' },
  }];
};

const oktaDisabled: TrafficCheck = (c, _p, t) => {
  const rows = t.db.prepare(`SELECT cf.account AS account, json_extract(cf.data, '$.status') AS status, (SELECT MAX(time) FROM events e WHERE e.account = cf.account AND e.time >= ? AND e.outcome IN ('approved', 'demoted', 'challenge_passed')) AS last
    FROM cloud_facts cf WHERE json_extract(cf.data, '$.status') IN (${[...INACTIVE_OKTA].map(() => '?').join(', ')})`).all(t.now - 7 * DAY, ...INACTIVE_OKTA) as { account: string; status: string; last: number | null }[];
  return rows.filter((r) => r.last !== null).map((r) => ({
    id: `okta-disabled-binds:${r.account}`, title: `${r.account} is ${r.status.toLowerCase()} in Okta but still binds here`, securityImpact: Impact.High, userImpact: Impact.Low,
    found: `Okta status ${r.status}; last accepted bind through bindwall ${iso(r.last!)}`, why: 'someone offboarded in the cloud keeps access to every LDAP app until the directory account is disabled too',
    fix: { file: `${c.policy.dir}/05-offboarded.yaml`, yaml: `version: 1\nrules:\n  - id: okta-inactive\n    when: { cloud: { status: [SUSPENDED, DEPROVISIONED] } }\n    action: block   # and disable ${r.account} in the directory` },
  }));
};

const dormantPrivileged: TrafficCheck = (c, _p, t) => {
  // The privileged few first (facts are small), then only their baselines' last logon.
  const lastSeen = t.db.prepare("SELECT json_extract(data, '$.lastSeen') FROM baselines WHERE kind = 'account' AND key = ?").pluck();
  const rows = (t.db.prepare("SELECT account FROM facts WHERE json_extract(data, '$.privileged') = 1").pluck().all() as string[])
    .map((account) => ({ account, lastSeen: lastSeen.get(account) as number | null }))
    .filter((r): r is { account: string; lastSeen: number } => r.lastSeen !== null && r.lastSeen < t.now - DORMANT_MS)
    .sort((a, b) => a.lastSeen - b.lastSeen);
  if (rows.length === 0) return [];
  return [{
    id: 'dormant-privileged', title: `${rows.length} privileged account(s) unused for 90 days or more`, securityImpact: Impact.High, userImpact: Impact.Low,
    found: rows.slice(0, 10).map((r) => `${r.account} (last ${iso(r.lastSeen)})`).join(', ') + (rows.length > 10 ? ', …' : ''),
    why: 'an admin account nobody uses is one nobody would miss being used: a favourite of attackers, and its password is rarely changed',
    fix: { file: `${c.policy.dir}/10-dormant.yaml`, yaml: `version: 1\nrules:\n  - id: dormant-admins\n    when: { user: [${rows.slice(0, 5).map((r) => r.account).join(', ')}] }\n    action: mfa\n    severity: critical   # or disable them in the directory` },
  }];
};

const longAudit: TrafficCheck = (_c, p, t) => (p?.rules.filter((r) => r.outcome.mode === 'audit') ?? []).flatMap((r) => {
  const since = t.db.prepare('SELECT MIN(time) FROM events WHERE audit_rule_id = ?').pluck().get(r.id) as number | null;
  if (since === null || t.now - since < AUDIT_TOO_LONG_MS) return [];
  return [{
    id: `audit-too-long:${r.id}`, title: `Rule ${r.id} has only recorded for ${Math.floor((t.now - since) / DAY)} days`, securityImpact: Impact.High, userImpact: Impact.Medium,
    found: `${r.id} (${r.file}:${r.line}) has recorded what it would do since ${iso(since)}`, why: 'audit mode is for a week of evidence before enforcing; weeks later it is a rule that protects nobody',
    fix: { file: r.file, yaml: '    mode: enforce   # `bindwall policy replay` shows what changes' },
  }];
});

/** The directory locks people out before bindwall's smart lockout stops the guesses, or never locks and bindwall cannot tell. */
const lockoutThreshold: TrafficCheck = (c, _p, t) => {
  const l = t.lockout;
  if (!l || c.threat.mode === 'off') return [];
  if (l.warning) {
    return [{
      id: 'lockout-threshold', title: 'An attacker can lock people out of the directory through bindwall', securityImpact: Impact.High, userImpact: Impact.High,
      found: l.warning, why: 'the directory counts every wrong password bindwall lets through; past its own threshold it locks the owner out too',
      fix: { file: c.file, yaml: `threat:\n  lockout:\n    threshold: ${l.directory ? Math.max(1, Math.floor((l.directory.threshold - 1) / 2)) : 3}   # or remove the line: bindwall derives it from the directory` },
    }];
  }
  if (l.source === 'default') {
    return [{
      id: 'lockout-unknown', title: 'bindwall does not know the directory\'s lockout threshold', securityImpact: Impact.Medium, userImpact: Impact.Medium,
      found: l.explanation, why: 'smart lockout assumes 3 per unfamiliar source; a directory that locks after fewer wrong passwords locks people out before bindwall steps in',
      fix: { file: c.file, yaml: 'directory:\n  lookup: { bindDn: …, passwordFile: …, baseDn: … }   # a lookup account that may read the lockout policy\n# or: threat: { lockout: { threshold: 2 } }' },
    }];
  }
  return [];
};

export const TRAFFIC_CHECKS: Readonly<Record<string, TrafficCheck>> = { undeclaredEndpoints, serviceSpread, unenrolled, oktaDisabled, dormantPrivileged, longAudit, lockoutThreshold };

export function runTrafficChecks(c: Config, p: CompiledPolicy | undefined, t: TrafficContext): HealthTask[] {
  return Object.values(TRAFFIC_CHECKS).flatMap((check) => check(c, p, t));
}
