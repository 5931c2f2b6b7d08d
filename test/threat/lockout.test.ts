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

test('buckets, the retry rule, growing locks, release', (t) => {
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 9));
  const l = new SmartLockout({ threshold: 5, durationMs: 60_000 }, clock);
  const same = l.tag('Winter2025!');
  for (let i = 0; i < 10; i++) t.is(l.failed('alice', 'unfamiliar', same), 0, 'an app retrying one wrong password');
  t.is(l.lockedUntil('alice', 'unfamiliar'), 0);
  for (let i = 0; i < 3; i++) l.failed('alice', 'unfamiliar', l.tag(`guess-${i}`));
  const until = l.failed('alice', 'unfamiliar', l.tag('guess-3'));
  t.is(until, clock.now() + 60_000, 'the fifth distinct wrong password locks for a minute');
  t.is(l.lockedUntil('alice', 'familiar'), 0, 'her familiar devices are another bucket');
  t.is(l.tag('x'), l.tag('x'));
  t.not(l.tag('x'), l.tag('y'));
  t.false(l.tag('Winter2025!').includes('Winter'), 'a keyed hash, not the password');
  clock.advance(60_001);
  t.is(l.lockedUntil('alice', 'unfamiliar'), 0);
  for (let i = 0; i < 5; i++) l.failed('alice', 'unfamiliar', l.tag(`again-${i}`));
  t.is(l.lockedUntil('alice', 'unfamiliar'), clock.now() + 120_000, 'a repeat doubles');
  t.deepEqual(l.locked().map((s) => [s.identity, s.bucket]), [['alice', 'unfamiliar']]);
  t.true(l.release('alice'));
  t.is(l.lockedUntil('alice', 'unfamiliar'), 0);
  l.failed('bob', 'familiar', l.tag('a'));
  l.succeeded('bob', 'familiar');
  for (let i = 0; i < 4; i++) l.failed('bob', 'familiar', l.tag(`b${i}`));
  t.is(l.lockedUntil('bob', 'familiar'), 0, 'a right password starts the bucket over');
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
