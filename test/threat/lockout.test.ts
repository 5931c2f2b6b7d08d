/**
 * Smart lockout: per identity and per kind of source; the same wrong password retried counts
 * once; the lock lasts a minute, then doubles on a repeat; a right password starts the bucket
 * over. Through the proxy and a real slapd: an attacker's unfamiliar source is locked out
 * before the directory sees more guesses, while the owner at their own machine binds.
 */
import test from 'ava';
import { SmartLockout } from '../../src/threat/lockout.js';
import { ManualClock } from '../../src/util/clock.js';
import { bindFrom } from '../helpers/bind-from.js';
import { startProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

test('buckets, the retry rule, growing locks, the directory budget, release', (t) => {
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 9));
  const l = new SmartLockout({ threshold: 5, budget: 9, durationMs: 60_000 }, clock);
  const same = l.tag('Winter2025!');
  t.is(l.failed('alice', 'unfamiliar', same), 0);
  t.true(l.repeated('alice', 'unfamiliar', same), 'a retry is recognised (enforce mode answers it without the directory)');
  t.false(l.repeated('alice', 'familiar', same), 'per bucket');
  for (let i = 0; i < 3; i++) l.failed('alice', 'unfamiliar', l.tag(`guess-${i}`));
  const until = l.failed('alice', 'unfamiliar', l.tag('guess-3'));
  t.is(until, clock.now() + 60_000, 'the fifth distinct wrong password locks unfamiliar sources for a minute');
  t.is(l.lockedUntil('alice', 'familiar'), 0, 'her own devices are another bucket');
  t.is(l.lockedUntil('alice', 'via 10.0.0.5'), 0, 'so is each app server');
  t.is(l.tag('x'), l.tag('x'));
  t.not(l.tag('x'), l.tag('y'));
  t.false(l.tag('Winter2025!').includes('Winter'), 'a keyed hash, not the password');
  clock.advance(60_001);
  t.is(l.lockedUntil('alice', 'unfamiliar'), 0);
  l.succeeded('alice', 'familiar'); // her own login resets the directory's counter
  for (let i = 0; i < 5; i++) l.failed('alice', 'unfamiliar', l.tag(`again-${i}`));
  t.is(l.lockedUntil('alice', 'unfamiliar'), clock.now() + 120_000, 'a repeat doubles');
  t.deepEqual(l.locked().map((s) => [s.identity, s.bucket]), [['alice', 'unfamiliar']]);
  t.true(l.release('alice'));
  t.is(l.lockedUntil('alice', 'unfamiliar'), 0);
  // The owner's own devices have no threshold of their own, only the directory's budget.
  for (let i = 0; i < 8; i++) t.is(l.failed('bob', 'familiar', l.tag(`b${i}`)), 0, `typo ${i + 1} at her own machine`);
  const spent = l.failed('bob', 'via 10.0.0.5', l.tag('b8'));
  t.is(spent, clock.now() + 30 * 60_000, 'the ninth failure the directory saw spends the budget: everything waits until it forgets');
  t.true(l.lockedUntil('bob', 'familiar') > 0);
  t.true(l.lockedUntil('bob', 'unfamiliar') > 0);
  t.like(l.locked().find((s) => s.identity === 'bob'), { bucket: 'all' });
  clock.advance(30 * 60_000 + 1);
  t.is(l.lockedUntil('bob', 'familiar'), 0, 'the directory has forgotten');
  l.failed('carol', 'familiar', l.tag('c'));
  l.succeeded('carol', 'familiar');
  for (let i = 0; i < 8; i++) l.failed('carol', 'familiar', l.tag(`c${i}`));
  t.is(l.lockedUntil('carol', 'familiar'), 0, 'a right password resets the budget');
});

let slapd: Slapd;
test.before(async () => {
  slapd = await startSlapd();
});
test.after.always(async () => {
  await slapd?.stop();
});

const bind = async (url: string, from: string, pw: string): Promise<number> => (await bindFrom(url, from, `uid=alice,ou=people,${BASE_DN}`, pw)).resultCode;

test('through the proxy: the attacker\'s source is locked out at bindwall; alice at her own machine binds', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, threat: { mode: 'enforce', lockout: { threshold: 5 } } }, { behavior: true });
  t.teardown(() => p.stop());
  t.is(await bind(p.url, '127.0.0.61', 'Alice-Pass-1'), 0, 'her workstation becomes familiar');
  for (let i = 0; i < 5; i++) t.is(await bind(p.url, '127.0.0.62', `guess-${i}`), 49);
  const reached = p.events.filter((e) => e.directoryResultCode === 49).length;
  t.is(reached, 5);
  // Locked for unfamiliar sources: even the right password from there is answered here.
  t.is(await bind(p.url, '127.0.0.62', 'Alice-Pass-1'), 49);
  t.like(p.events.at(-1), { outcome: 'locked_out', lockout: { bucket: 'unfamiliar', enforced: true } });
  t.is(p.events.at(-1)!.directoryResultCode, undefined, 'the directory did not see it');
  t.is(await bind(p.url, '127.0.0.63', 'another-guess'), 49);
  t.is(p.events.filter((e) => e.directoryResultCode === 49).length, reached, 'no further guess reached the directory');
  t.is(await bind(p.url, '127.0.0.61', 'Alice-Pass-1'), 0, 'alice at her own machine is not locked out');
  t.true(p.logLines().some((l) => l.event === 'lockout' && l.bucket === 'unfamiliar'));
  t.false(JSON.stringify(p.logLines()).includes('guess-'), 'no password in the log');
});
