/**
 * Enforce mode's gentler tools, against a real slapd: a low-threat source's binds wait in the
 * tarpit (a bounded number at once; past that, busy) and then go to the directory; a wrong
 * password retried (an app or phone with a stale one) is answered by bindwall as the
 * directory answered it the first time, so retries never move the directory's counter.
 */
import test from 'ava';
import { LdapClient } from '../../src/ldap/client.js';
import { ManualClock } from '../../src/util/clock.js';
import { bindFrom } from '../helpers/bind-from.js';
import { startProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd;
test.before(async () => {
  slapd = await startSlapd();
});
test.after.always(async () => {
  await slapd?.stop();
});

const dn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;

/** Waits (bounded) until a condition the proxy reaches on its own holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setImmediate(r));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

test('a low-threat source is slowed in the tarpit, at most maxHeld at once (then busy), and then answered by the directory', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 11, 1, 10));
  const p = await startProxy({ directory: { urls: [slapd.url] }, threat: { tarpit: { delayMs: 2_000, maxHeld: 1 } } }, { clock });
  t.teardown(() => p.stop());
  // Four accounts failing from one source, none then succeeding: low.
  for (let i = 1; i <= 4; i++) t.is((await bindFrom(p.url, '127.0.0.44', dn(`nobody${i}`), 'x')).resultCode, 49);
  t.like(p.proxy.threat!.verdict('127.0.0.44'), { action: 'slow', entry: { level: 'low' } });
  const held = LdapClient.connect(p.url, { localAddress: '127.0.0.44' });
  const c = await held;
  t.teardown(() => c.destroy());
  const answer = c.bind(dn('alice'), 'Alice-Pass-1');
  await until(() => p.proxy.tarpit!.held === 1, 'the bind to be held');
  // The one slot is taken: the next slowed bind is answered busy at once, never queued.
  t.is((await bindFrom(p.url, '127.0.0.44', dn('bob'), 'Bob-Pass-2')).resultCode, 51);
  t.is(p.proxy.tarpit!.overflowed, 1);
  clock.advance(2_000);
  t.is((await answer).resultCode, 0, 'after the delay the directory answers as usual');
  t.is(p.proxy.tarpit!.held, 0);
  t.like(p.events.find((e) => e.bindDn === dn('alice')), { outcome: 'approved', threat: { level: 'low', action: 'slow', enforced: true } });
  t.is((await bindFrom(p.url, '127.0.0.45', dn('bob'), 'Bob-Pass-2')).resultCode, 0, 'other sources are not slowed');
  // A client that goes away while held frees its slot.
  const gone = await LdapClient.connect(p.url, { localAddress: '127.0.0.44' });
  void gone.bind(dn('bob'), 'Bob-Pass-2').catch(() => undefined);
  await until(() => p.proxy.tarpit!.held === 1, 'the second bind to be held');
  gone.destroy();
  await until(() => p.proxy.tarpit!.held === 0, 'the slot to be freed');
  t.pass();
});

test('a retried wrong password is answered by bindwall as the directory answered it; log mode only records it', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] } });
  t.teardown(() => p.stop());
  const first = await bindFrom(p.url, '127.0.0.51', dn('carol'), 'Old-Carol-Pass');
  t.is(first.resultCode, 49);
  for (let i = 0; i < 6; i++) {
    const again = await bindFrom(p.url, '127.0.0.51', dn('carol'), 'Old-Carol-Pass');
    t.deepEqual({ ...again, msgId: 0 }, { ...first, msgId: 0 }, 'the same answer');
  }
  const carol = p.events.filter((e) => e.bindDn === dn('carol'));
  t.is(carol.filter((e) => e.directoryResultCode === 49).length, 1, 'the directory saw the stale password once');
  t.true(carol.slice(1).every((e) => e.outcome === 'repeated_wrong' && e.repeatedPassword === true));
  t.is(p.proxy.lockout!.lockedUntil('carol', 'unfamiliar'), 0, 'and it counted once: not locked out');
  t.is((await bindFrom(p.url, '127.0.0.51', dn('carol'), 'Carol-Pass-3')).resultCode, 0, 'the right password goes through');
  t.is((await bindFrom(p.url, '127.0.0.51', dn('carol'), 'Old-Carol-Pass')).resultCode, 49);
  t.like(p.events.at(-1), { directoryResultCode: 49 }, 'after a success, the old password is asked of the directory again');

  const q = await startProxy({ directory: { urls: [slapd.url] }, threat: { mode: 'log' } });
  t.teardown(() => q.stop());
  for (let i = 0; i < 3; i++) await bindFrom(q.url, '127.0.0.52', dn('bob'), 'Stale-Bob');
  const bob = q.events.filter((e) => e.bindDn === dn('bob'));
  t.true(bob.every((e) => e.directoryResultCode === 49), 'log mode changes no answer');
  t.deepEqual(bob.map((e) => e.repeatedPassword ?? false), [false, true, true]);
});
