/**
 * Warm directory connections (directory.warmConnections): opened after the first client
 * needs one, handed to new clients (who bind on them as on any), refilled, closed when idle
 * past warmIdleMs, and dropped when the directory goes away — a client then gets a fresh
 * connection or the usual 52, never a dead warm one. A client that unbinds from a clean
 * session hands its directory connection back, re-bound anonymously: the next client on it
 * is nobody until it binds; a session that wrote, or abandoned, does not. ManualClock for
 * the idle timeout.
 */
import test from 'ava';
import { LdapClient } from '../../src/ldap/client.js';
import { encodeExtendedRequest } from '../../src/ldap/messages.js';
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

test('a clean session hands its connection back re-bound anonymously: the next client on it is nobody until it binds', async (t) => {
  const dir = await startSlapd();
  t.teardown(() => dir.stop());
  const p = await startProxy({ directory: { urls: [dir.url], warmConnections: 1 } });
  t.teardown(() => p.stop());
  const first = await LdapClient.connect(p.url);
  t.is((await first.bind(ALICE, 'Alice-Pass-1')).resultCode, 0);
  t.is((await first.whoami()).authzId, `dn:${ALICE}`);
  await first.unbind();
  await until(() => p.proxy.pool.warmCount()[0] === 1, 'a warm one opened');
  for (let i = 0; i < 3; i++) {
    const next = await LdapClient.connect(p.url);
    t.is((await next.whoami()).authzId, '', 'anonymous on a connection alice used');
    t.is((await next.bind(BOB, 'Bob-Pass-2')).resultCode, 0);
    t.is((await next.whoami()).authzId, `dn:${BOB}`);
    await next.unbind();
    await until(() => p.proxy.pool.warmCount()[0] === 1, 'handed back again');
  }
  t.is(p.proxy.pool.handedBack, 3, 'each client that got a warm connection handed it back');
  // A session that sent anything else (here an extended operation the directory does not know) is not handed back.
  const other = await LdapClient.connect(p.url);
  t.is((await other.bind(BOB, 'Bob-Pass-2')).resultCode, 0);
  other.send(encodeExtendedRequest(other.nextMessageId(), '1.3.6.1.4.1.99999.1'));
  await other.receive();
  await other.unbind();
  // Counted once its session is gone (a hand-back would have happened by then); the next
  // client, clean itself, may hand its own back afterwards.
  await until(() => p.proxy.activeSessions === 0, 'the session closed');
  t.is(p.proxy.pool.handedBack, 3, 'the session with an extended operation was not');
  const after = await LdapClient.connect(p.url);
  t.is((await after.whoami()).authzId, '');
  await after.unbind();
});
