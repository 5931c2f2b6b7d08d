/** What UserInsight may tell a person is new (engine.novelty): only what bindwall can tell apart, only once it knows them. */
import test from 'ava';
import { BehaviorEngine } from '../../src/behavior/engine.js';
import { DAY_MS, HOUR_MS } from '../../src/behavior/decay.js';
import { EndpointRole } from '../../src/behavior/endpoint-role.js';
import type { LogonEvent } from '../../src/behavior/logon-event.js';
import { subnetOf } from '../../src/util/cidr.js';

const T0 = Date.UTC(2026, 2, 2, 9, 0);
const ev = (time: number, over: Partial<LogonEvent> = {}): LogonEvent => {
  const endpoint = over.endpoint ?? '127.0.1.10';
  return { time, account: 'alice', bindName: 'uid=alice,ou=Finance,dc=corp,dc=example', kind: 'human', endpoint, subnet: subnetOf(endpoint), app: 'vpn', result: 'success', ...over };
};
const LATER = T0 + 31 * DAY_MS;

function trained(): BehaviorEngine {
  const engine = new BehaviorEngine();
  for (let d = 0; d < 30; d++) for (const h of [0, 4, 7]) engine.observe(ev(T0 + d * DAY_MS + h * HOUR_MS));
  return engine;
}

test('a mature identity: a new device, or a new app, is news; its own desk and app are not', (t) => {
  const e = trained();
  t.is(e.novelty(ev(LATER)), undefined);
  t.deepEqual(e.novelty(ev(LATER, { endpoint: '127.0.9.9' })), { device: '127.0.9.9' });
  t.deepEqual(e.novelty(ev(LATER, { app: 'mail' })), { app: 'mail' });
  t.is(e.novelty(ev(LATER, { endpoint: '127.0.9.9', result: 'bad_password' })), undefined, 'a failed bind is not a sign-in');
});

test('still learning: nothing is news', (t) => {
  const e = new BehaviorEngine();
  for (let i = 0; i < 5; i++) e.observe(ev(T0 + i * HOUR_MS));
  t.is(e.novelty(ev(T0 + DAY_MS, { endpoint: '127.0.9.9', app: 'mail' })), undefined);
});

test('through an app server or pool only the app can be news; a service account never', (t) => {
  const e = trained();
  t.deepEqual(e.novelty(ev(LATER, { endpoint: '127.0.5.5', declaredRole: EndpointRole.AppServer, app: 'portal' })), { app: 'portal' });
  t.is(e.novelty(ev(LATER, { endpoint: '127.0.5.5', declaredRole: EndpointRole.AppServer })), undefined);
  t.is(e.novelty(ev(LATER, { kind: 'service', endpoint: '127.0.9.9' })), undefined);
});

test('a cloud sign-in from a network the person uses is not a new device (home addresses rotate)', (t) => {
  const e = trained();
  t.is(e.novelty(ev(LATER, { endpoint: '127.0.1.77', source: 'okta', app: 'vpn' })), undefined);
  t.deepEqual(e.novelty(ev(LATER, { endpoint: '198.51.100.7', source: 'okta', app: 'vpn' })), { device: '198.51.100.7' });
});
