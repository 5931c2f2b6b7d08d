/**
 * The threat pool on its own (clock injected): spraying and brute force raise levels with
 * reasons; a typo its owner corrects does not count; entries expire; several high sources
 * make their /24 high; exempt zones and app servers are recorded, never blocked; release.
 */
import test from 'ava';
import { ThreatPool, type ThreatObservation } from '../../src/threat/pool.js';
import { ManualClock } from '../../src/util/clock.js';

const start = Date.UTC(2026, 2, 2, 9);
const fail = (clock: ManualClock, address: string, account: string, extra: Partial<ThreatObservation> = {}): ThreatObservation =>
  ({ time: clock.now(), address, account, failed: true, ...extra });

test('spraying: failures for many accounts go low, medium, high, with a reason; the next bind is blocked; entries expire', (t) => {
  const clock = new ManualClock(start);
  const pool = new ThreatPool({ mode: 'enforce' }, clock);
  const levels: (string | undefined)[] = [];
  for (let i = 1; i <= 10; i++) {
    pool.observe(fail(clock, '10.9.9.9', `user${i}`));
    levels.push(pool.verdict('10.9.9.9').entry?.level);
    clock.advance(5_000);
  }
  t.deepEqual(levels, [undefined, undefined, undefined, 'low', 'low', 'medium', 'medium', 'medium', 'medium', 'high']);
  const v = pool.verdict('10.9.9.9');
  t.is(v.action, 'block');
  t.regex(v.entry!.reasons[0]!, /failed binds for 10 accounts within 10 minutes \(password spraying\)/);
  t.is(pool.verdict('10.9.9.10').action, 'allow', 'its neighbour is not');
  clock.advance(60 * 60_000);
  t.is(pool.verdict('10.9.9.9').action, 'allow', 'high lasts an hour after the last evidence');
  t.deepEqual(pool.list(), []);
});

test('typos corrected by their owners are not a spray; brute force on one account is', (t) => {
  const clock = new ManualClock(start);
  const pool = new ThreatPool({ mode: 'enforce' }, clock);
  // An app server's users: 200 logins, every tenth after a typo, each corrected.
  for (let i = 0; i < 200; i++) {
    if (i % 10 === 0) pool.observe(fail(clock, '10.1.5.10', `user${i}`));
    pool.observe({ time: clock.now(), address: '10.1.5.10', account: `user${i}`, failed: false });
    clock.advance(1_000);
  }
  t.is(pool.verdict('10.1.5.10').entry, undefined);
  for (let i = 0; i < 20; i++) pool.observe(fail(clock, '10.7.7.7', 'alice'));
  t.like(pool.verdict('10.7.7.7'), { action: 'block', entry: { level: 'high' } });
  t.regex(pool.verdict('10.7.7.7').entry!.reasons[0]!, /20 failed binds for alice .*brute force/);
});

test('three high sources in a /24 make the whole /24 high; exempt zones and app servers are never blocked as a whole; release', (t) => {
  const clock = new ManualClock(start);
  const pool = new ThreatPool({ mode: 'enforce', exempt: [{ name: 'conference', addresses: ['10.50.0.0/24'] }] }, clock);
  for (const a of ['10.8.8.1', '10.8.8.2', '10.8.8.3']) for (let i = 0; i < 10; i++) pool.observe(fail(clock, a, `${a}-u${i}`));
  t.like(pool.verdict('10.8.8.200'), { action: 'block', entry: { key: '10.8.8.0/24', level: 'high' } });
  for (let i = 0; i < 30; i++) pool.observe(fail(clock, '10.50.0.7', `c${i}`));
  t.like(pool.verdict('10.50.0.7'), { action: 'allow', entry: { level: 'high', exempt: 'conference' } });
  for (let i = 0; i < 30; i++) pool.observe(fail(clock, '10.1.5.10', `p${i}`, { relaying: true }));
  t.like(pool.verdict('10.1.5.10'), { action: 'allow', entry: { level: 'high', exempt: 'app server' } });
  t.true(pool.release('10.8.8.0/24'));
  t.true(pool.release('10.8.8.200') === false);
  t.is(pool.verdict('10.8.8.200').action, 'allow');
  t.is(pool.verdict('10.8.8.1').action, 'block', 'its own entry stays');
  t.true(pool.list().some((e) => e.key === '10.8.8.1' && e.level === 'high'));
});

test('the behaviour engine\'s spraying evidence raises the source; off records nothing; memory is bounded', (t) => {
  const clock = new ManualClock(start);
  const pool = new ThreatPool({ mode: 'enforce', maxSources: 100 }, clock);
  pool.observe(fail(clock, '10.3.3.3', 'bob', { sprayingPoints: 85 }));
  t.like(pool.verdict('10.3.3.3'), { action: 'block' });
  for (let i = 0; i < 1_000; i++) for (let k = 0; k < 10; k++) pool.observe(fail(clock, `10.4.${i >> 8}.${i & 255}`, `u${k}`));
  t.true(pool.list().length <= 100);
  const off = new ThreatPool({ mode: 'off' }, clock);
  for (let i = 0; i < 30; i++) off.observe(fail(clock, '10.9.9.9', `u${i}`));
  t.deepEqual(off.list(), []);
  t.is(off.verdict('10.9.9.9').action, 'allow');
});
