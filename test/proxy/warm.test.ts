/**
 * Warm directory connections (directory.warmConnections): opened after the first client
 * needs one, handed to new clients (who bind on them as on any), refilled, closed when idle
 * past warmIdleMs, and dropped when the directory goes away — a client then gets a fresh
 * connection or the usual 52, never a dead warm one. ManualClock for the idle timeout.
 */
import test from 'ava';
import { LdapClient } from '../../src/ldap/client.js';
import { ManualClock } from '../../src/util/clock.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { until } from '../helpers/ports.js';
import { startProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd } from '../helpers/slapd.js';

const ALICE = `uid=alice,ou=people,${BASE_DN}`;
const BOB = `uid=bob,ou=people,${BASE_DN}`;

test('opened on demand, handed to new clients, refilled; idle past warmIdleMs, closed', async (t) => {
  const dir = await startSlapd();
  t.teardown(() => dir.stop());
  const clock = new ManualClock(Date.now());
  const p = await startProxy({ directory: { urls: [dir.url], warmConnections: 3, warmIdleMs: 60_000 } }, { clock });
  t.teardown(() => p.stop());
  t.deepEqual(p.proxy.pool.warmCount(), [0], 'none before anyone needs one');
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1'])).code, 0);
  await until(() => p.proxy.pool.warmCount()[0] === 3, 'three warm connections');
  // Each new client binds on one (as itself: a warm connection was never bound), and it is replaced.
  for (const [dn, pw] of [[ALICE, 'Alice-Pass-1'], [BOB, 'Bob-Pass-2']] as const) {
    const c = await LdapClient.connect(p.url);
    t.is((await c.bind(dn, pw)).resultCode, 0);
    t.is((await c.whoami()).authzId, `dn:${dn}`);
    await c.unbind();
  }
  await until(() => p.proxy.pool.warmCount()[0] === 3, 'refilled');
  clock.advance(60_000);
  t.deepEqual(p.proxy.pool.warmCount(), [0], 'closed when idle past warmIdleMs');
});

test('the directory goes away: warm connections are dropped; new clients get 52, then work after the restart', async (t) => {
  const dir = await startSlapd();
  t.teardown(() => dir.stop());
  const clock = new ManualClock(Date.now());
  const p = await startProxy({ directory: { urls: [dir.url], warmConnections: 4, backoffInitialMs: 1_000 } }, { clock });
  t.teardown(() => p.stop());
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1'])).code, 0);
  await until(() => p.proxy.pool.warmCount()[0] === 4, 'four warm connections');
  await dir.kill();
  await until(() => p.proxy.pool.warmCount()[0] === 0, 'dropped as the directory closed them');
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1'])).code, 52);
  await dir.restart();
  clock.advance(2_000);
  const back = await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1']);
  t.is(back.code, 0, back.stderr);
});
