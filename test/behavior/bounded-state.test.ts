/**
 * Behaviour state is bounded by configuration, not by what clients send: a refused name
 * that never logged on gets no baseline, baselines past the caps are written out and
 * loaded back when they return, and startup loads a bounded number of them.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BehaviorEngine } from '../../src/behavior/engine.js';
import { BehaviorService } from '../../src/behavior/service.js';
import { EventMapper, type LogonEvent } from '../../src/behavior/logon-event.js';
import { DAY_MS, HOUR_MS } from '../../src/behavior/decay.js';
import { silentLogger } from '../../src/log/logger.js';
import { BehaviorStore } from '../../src/store/behavior-store.js';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/util/clock.js';

const T0 = Date.UTC(2026, 2, 2, 9, 0);
const ev = (time: number, over: Partial<LogonEvent> = {}): LogonEvent => ({
  time, account: 'alice', bindName: 'uid=alice,ou=Finance,dc=corp,dc=example', kind: 'human',
  endpoint: '127.0.1.10', subnet: '127.0.1.0/24', app: 'vpn', result: 'success', peerGroup: 'finance', ...over,
});

function tempDb(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-bounded-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'bindwall.db');
}

test('30,000 failed binds with unique names: no baselines, a bounded count, and the spray still seen', (t) => {
  const engine = new BehaviorEngine({ maxUnknownAccounts: 1_000 });
  let last;
  for (let i = 0; i < 30_000; i++) {
    last = engine.observe(ev(T0 + i * 10, { account: `rnd${i}`, bindName: `uid=rnd${i},dc=x`, endpoint: '127.0.9.9', subnet: '127.0.9.0/24', result: 'bad_password' }));
  }
  t.is(engine.size.accounts, 0, 'no name that never logged on has a baseline');
  t.is(engine.size.unknownNames, 1_000);
  t.is(engine.size.endpoints, 1);
  const ep = engine.endpoint('127.0.9.9')!;
  t.true(ep.failedAccounts.size <= 4096 && ep.window.length - (ep.windowHead ?? 0) <= 4096 && ep.window.length <= 8192, 'per-endpoint state is capped too');
  t.true(last!.signals.some((s) => s.code === 'spraying_source'), 'the source is still seen spraying');
});

test('failures of a name before its first logon still count (brute force then success)', (t) => {
  const engine = new BehaviorEngine();
  for (let i = 0; i < 6; i++) engine.observe(ev(T0 + i * 1_000, { account: 'newbie', result: 'bad_password' }));
  t.is(engine.size.accounts, 0);
  const a = engine.observe(ev(T0 + 10_000, { account: 'newbie' }));
  t.true(a.signals.some((s) => s.code === 'recent_failures'));
  t.true(engine.account('newbie')!.failures.value > 5, 'carried into the new baseline');
});

test('past maxAccounts the least recently used baselines are written out and loaded back when they return', (t) => {
  const path = tempDb(t);
  const db = openDatabase(path);
  t.teardown(() => db.close());
  const store = new BehaviorStore(db);
  const clock = new ManualClock(T0);
  const engine = new BehaviorEngine({ maxAccounts: 100, maxEndpoints: 100 }, store.loader);
  const service = new BehaviorService({ engine, mapper: new EventMapper(), store, clock, log: silentLogger(), upkeepCron: null });
  t.teardown(() => service.close());
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 300; i++) {
      engine.observe(ev(T0 + round * DAY_MS + i * 1_000, { account: `user${i}`, endpoint: `127.1.${i >> 8}.${i & 255}`, subnet: `127.1.${i >> 8}.0/24` }));
    }
  }
  t.true(engine.size.accounts <= 100 && engine.size.endpoints <= 100, JSON.stringify(engine.size));
  service.flush();
  // user0 was pushed out long ago; it comes back with everything it learned.
  const back = engine.account('user0')!;
  t.truthy(back);
  t.is(back.endpoints.get('127.1.0.0')?.count, 3);
  t.true(engine.size.accounts <= 100);
  const a = engine.observe(ev(T0 + 3 * DAY_MS, { account: 'user0', endpoint: '127.1.0.0', subnet: '127.1.0.0/24' }));
  t.false(a.signals.some((s) => s.code === 'new_endpoint'), 'its familiar endpoint is still familiar');
});

test('startup loads at most the configured number of baselines, the most recent ones', (t) => {
  const path = tempDb(t);
  const db = openDatabase(path);
  const store = new BehaviorStore(db);
  const engine = new BehaviorEngine({}, store.loader);
  const clock = new ManualClock(T0);
  const service = new BehaviorService({ engine, mapper: new EventMapper(), store, clock, log: silentLogger(), upkeepCron: null });
  for (let i = 0; i < 500; i++) {
    engine.observe(ev(T0 + i * HOUR_MS, { account: `user${i}` }));
    clock.advance(HOUR_MS); // written as they come (write-behind ticks)
  }
  service.close();
  const state = store.loadState({ accounts: 50, endpoints: 50 });
  t.is(state.accounts.length, 50);
  t.deepEqual([state.accounts[0]!.account, state.accounts[49]!.account], ['user450', 'user499'], 'the most recent, oldest first');
  const fresh = new BehaviorEngine({ maxAccounts: 50 }, store.loader);
  fresh.restore(state);
  t.is(fresh.size.accounts, 50);
  t.truthy(fresh.account('user3'), 'an older one loads on demand');
  db.close();
});

test('storage keeps at most maxStoredEvents events', (t) => {
  const db = openDatabase(tempDb(t));
  t.teardown(() => db.close());
  const store = new BehaviorStore(db);
  const engine = new BehaviorEngine();
  const events = Array.from({ length: 2_500 }, (_, i) => {
    const logon = ev(T0 + i, { account: `n${i}`, result: 'bad_password' });
    return { logon, assessment: engine.assess(logon) };
  });
  store.write(events, { accounts: [], endpoints: [], peers: [] }, [], T0);
  t.is(store.capEvents(1_000), 1_500);
  t.is((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n, 1_000);
  t.is((db.prepare('SELECT MIN(account) AS a FROM events WHERE account = ?').get('n1500') as { a: string }).a, 'n1500', 'the newest stay');
});
