import test from 'ava';
import { BehaviorEngine } from '../../src/behavior/engine.js';
import { classifyBindResult } from '../../src/behavior/bind-result.js';
import { DAY_MS, HOUR_MS } from '../../src/behavior/decay.js';
import { canonicalAccount, EventMapper, parentOu, type LogonEvent } from '../../src/behavior/logon-event.js';
import { HourOfWeek } from '../../src/behavior/time-of-week.js';
import { ManualClock } from '../../src/util/clock.js';
import { cidrContains, parseCidr, subnetOf } from '../../src/util/cidr.js';

const T0 = Date.UTC(2026, 2, 2, 9, 0); // a Monday, 09:00 UTC
const ev = (time: number, over: Partial<LogonEvent> = {}): LogonEvent => ({
  time, account: 'alice', bindName: 'uid=alice,ou=Finance,dc=corp,dc=example', kind: 'human',
  endpoint: '127.0.1.10', subnet: '127.0.1.0/24', app: 'vpn', result: 'success', peerGroup: 'finance', ...over,
});

function trained(engine = new BehaviorEngine()): BehaviorEngine {
  for (let d = 0; d < 30; d++) for (const h of [0, 4, 7]) engine.observe(ev(T0 + d * DAY_MS + h * HOUR_MS));
  return engine;
}

test('bind names in every form map to one canonical account', (t) => {
  t.is(canonicalAccount('uid=Alice,ou=People,dc=corp,dc=example'), 'alice');
  t.is(canonicalAccount('CN=Alice Archer,OU=Finance,DC=corp,DC=example'), 'alice archer');
  t.is(canonicalAccount('alice@corp.example'), 'alice');
  t.is(canonicalAccount('CORP\\Alice'), 'alice');
  t.is(canonicalAccount('sAMAccountName=svc\\,backup,dc=x'), 'svc,backup');
  t.is(parentOu('uid=a,ou=Finance,ou=People,dc=x'), 'Finance');
});

test('AD sub-codes in the diagnostic say why a bind failed', (t) => {
  t.is(classifyBindResult(49, '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563'), 'bad_password');
  t.is(classifyBindResult(49, '… data 775, v4563'), 'locked');
  t.is(classifyBindResult(49, '… data 525, v4563'), 'unknown_user');
  t.is(classifyBindResult(49, ''), 'bad_password');
  t.is(classifyBindResult(0), 'success');
  t.is(classifyBindResult(53, 'unwilling'), 'other_failure');
});

test('the event mapper names apps by address range or listener, and account kinds by pattern', (t) => {
  const m = new EventMapper({ apps: [{ name: 'intranet', addresses: ['127.0.5.0/24'] }], endpointNames: { '127.0.1.10': 'ws-lon-1001' }, servicePatterns: ['svc-*'], privilegedPatterns: ['*cn=domain admins*', 'admin-*'] });
  t.is(m.appFor('127.0.5.80', 'ldap'), 'intranet');
  t.is(m.appFor('127.0.1.10', 'ldap'), 'ldap');
  t.is(m.kindOf('svc-backup', 'uid=svc-backup,ou=services'), 'service');
  t.is(m.kindOf('admin-carol', 'uid=admin-carol'), 'privileged');
  t.is(m.kindOf('ws01$', 'cn=ws01$,ou=computers'), 'computer');
  t.is(m.kindOf('alice', 'uid=alice'), 'human');
  const logon = m.fromBind({ time: 1, connectionId: 1, listener: 'ldap', clientAddress: '127.0.1.10', clientPort: 1, bindDn: 'uid=alice,ou=Finance,dc=x', method: 'simple', tls: false, outcome: 'failed', resultCode: 49, directoryResultCode: 49, latencyMs: 1 });
  t.like(logon, { account: 'alice', endpointName: 'ws-lon-1001', subnet: '127.0.1.0/24', result: 'bad_password', peerGroup: 'finance', kind: 'human' });
});

test('CIDR parsing and matching, IPv4 and IPv6', (t) => {
  const v4 = parseCidr('10.1.0.0/16');
  const v6 = parseCidr('2001:db8::/32');
  if ('error' in v4 || 'error' in v6) return t.fail();
  t.true(cidrContains(v4, '10.1.200.3'));
  t.false(cidrContains(v4, '10.2.0.1'));
  t.true(cidrContains(v6, '2001:db8:1::5'));
  t.false(cidrContains(v6, '10.1.0.1'));
  t.truthy((parseCidr('10.0.0.0/33') as { error?: string }).error);
  t.truthy((parseCidr('nope') as { error?: string }).error);
  t.is(subnetOf('192.168.7.42'), '192.168.7.0/24');
  t.is(subnetOf('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2::/64');
});

test('hour of week follows the configured time zone', (t) => {
  const monday9utc = Date.UTC(2026, 2, 2, 9, 0);
  t.is(new HourOfWeek('UTC').at(monday9utc), 9);
  t.is(new HourOfWeek('America/New_York').at(monday9utc), 4); // 04:00 EST
  t.is(new HourOfWeek('Asia/Tokyo').at(monday9utc), 18);
  t.is(new HourOfWeek('UTC').at(Date.UTC(2026, 2, 8, 23, 30)), 167); // Sunday 23:xx
});

test('novelty counts only after the learning period (maturity)', (t) => {
  const engine = new BehaviorEngine();
  engine.observe(ev(T0));
  const early = engine.assess(ev(T0 + HOUR_MS, { endpoint: '127.0.9.9', subnet: '127.0.9.0/24' }));
  t.true(early.maturity < 0.1);
  t.true(early.score < 10, `score ${early.score}`);
  const late = trained().assess(ev(T0 + 31 * DAY_MS, { endpoint: '127.0.9.9', subnet: '127.0.9.0/24' }));
  t.is(late.maturity, 1);
  t.true(late.score >= 40, `score ${late.score}`);
});

test('entity risk rises with risky logons and halves every half-life (injected clock)', (t) => {
  const clock = new ManualClock(T0 + 31 * DAY_MS);
  const engine = trained(new BehaviorEngine({ entityRiskHalfLifeMs: DAY_MS }));
  const attack = ev(clock.now(), { endpoint: '127.0.66.6', subnet: '127.0.66.0/24', time: clock.now() - 6 * HOUR_MS });
  engine.observe(attack);
  const r0 = engine.risk('account', 'alice', clock.now());
  t.true(r0 > 20, `risk ${r0}`);
  clock.advance(DAY_MS);
  t.is(Math.round(engine.risk('account', 'alice', clock.now())), Math.round(r0 / 2));
  clock.advance(6 * DAY_MS);
  t.true(engine.risk('account', 'alice', clock.now()) < r0 / 100);
});

test('risky logons do not make an endpoint familiar; a passed step-up does', (t) => {
  const engine = trained();
  const when = T0 + 31 * DAY_MS + 3 * HOUR_MS;
  const odd = ev(when, { endpoint: '127.0.66.6', subnet: '127.0.66.0/24' });
  const first = engine.observe(odd);
  t.true(first.score >= 50);
  t.false(engine.account('alice')!.endpoints.has('127.0.66.6'));
  engine.confirm(odd);
  t.true(engine.account('alice')!.endpoints.has('127.0.66.6'));
  t.true(engine.risk('account', 'alice', when) < first.score * 0.7 * 0.3);
});

test('engine state survives a JSON round trip (what storage keeps)', (t) => {
  const engine = trained();
  const probe = ev(T0 + 31 * DAY_MS + 2 * HOUR_MS, { endpoint: '127.0.1.99' });
  const before = engine.assess(probe);
  const copy = new BehaviorEngine();
  const { serialize, deserialize } = jsonCodec();
  copy.restore(deserialize(serialize({
    accounts: [engine.account('alice')!], endpoints: [engine.endpoint('127.0.1.10')!], peers: [engine.peer('finance')!], risks: engine.risks(),
  })));
  t.deepEqual(copy.assess(probe), before);
});

/** Maps and Sets as tagged JSON, the way the store encodes baselines. */
function jsonCodec() {
  return {
    serialize: (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? { $map: [...x] } : x instanceof Set ? { $set: [...x] } : x)),
    deserialize: (s: string) => JSON.parse(s, (_k, x: { $map?: [unknown, unknown][]; $set?: unknown[] }) => (x && x.$map ? new Map(x.$map) : x && x.$set ? new Set(x.$set) : x)),
  };
}
