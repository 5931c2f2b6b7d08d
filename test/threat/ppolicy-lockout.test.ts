/**
 * The prize: a spray must not lock out the organisation's accounts. slapd with the ppolicy
 * overlay (pwdLockout, pwdMaxFailure 5) locks an entry after five wrong passwords — sent
 * straight to it, a brute force does. Through bindwall in enforce mode, a spray of five
 * guesses at each of 500 accounts from twenty sources and a brute force of 50 at one account
 * lock nobody in the directory; the sources are blocked within their first minute; people
 * from their own machines log in throughout, and an app server whose users mistype 5 % of
 * the time is never blocked.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/paths.js';
import { Filter, LdapClient } from '../../src/ldap/client.js';
import { bindFrom } from '../helpers/bind-from.js';
import { startProxy } from '../helpers/proxy.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd;
test.before(async () => {
  slapd = await startSlapd({ bulkUsers: 501, ppolicyMaxFailure: 5 });
});
test.after.always(async () => {
  await slapd?.stop();
});

const bulk = (i: number): string => `uid=user${String(i).padStart(5, '0')},ou=bulk,${BASE_DN}`;

const bind = async (url: string, from: string, dn: string, pw: string): Promise<number> => (await bindFrom(url, from, dn, pw)).resultCode;

/** Entries the directory has locked (ppolicy's operational attribute). */
async function lockedInDirectory(): Promise<string[]> {
  const c = await LdapClient.connect(slapd.url);
  try {
    await c.bind(ADMIN_DN, ADMIN_PW);
    const r = await c.searchEntries(BASE_DN, Filter.present('pwdAccountLockedTime'), { attributes: ['pwdAccountLockedTime'] });
    return r.entries.map((e) => e.dn);
  } finally {
    c.destroy();
  }
}

test.serial('straight to slapd, five wrong passwords lock an entry (the control)', async (t) => {
  for (let i = 0; i < 5; i++) t.is(await bind(slapd.url, '127.0.0.1', bulk(501), `wrong-${i}`), 49);
  t.deepEqual(await lockedInDirectory(), [bulk(501)]);
});

test.serial('through bindwall in enforce mode: a spray and a brute force lock nobody in the directory; people log in throughout', async (t) => {
  // The default mode is enforce; the tarpit's delay is shortened so the test runs in seconds.
  const p = await startProxy({ directory: { urls: [slapd.url] }, threat: { tarpit: { delayMs: 20 } } }, { behavior: true });
  t.teardown(() => p.stop());
  // Two people use their own machines before and during the attack.
  t.is(await bind(p.url, '127.0.1.10', bulk(1), 'Bulk-Pass-1'), 0);
  t.is(await bind(p.url, '127.0.1.11', bulk(2), 'Bulk-Pass-2'), 0);
  const sources = Array.from({ length: 20 }, (_, i) => `127.0.0.${100 + i}`);
  const started = Date.now();
  let n = 0;
  for (let round = 0; round < 5; round++) {
    for (let i = 1; i <= 500; i++) {
      t.is(await bind(p.url, sources[n++ % sources.length]!, bulk(i), `Spring202${round}!`), 49);
    }
    t.is(await bind(p.url, '127.0.1.10', bulk(1), 'Bulk-Pass-1'), 0, `user1 logs in during round ${round + 1}`);
    // An app server (undeclared) binding for its users, 5 % of whom mistype first.
    for (let i = 0; i < 20; i++) {
      const u = 300 + round * 20 + i;
      if (i === 0) t.is(await bind(p.url, '127.0.3.1', bulk(u), 'typo'), 49);
      t.is(await bind(p.url, '127.0.3.1', bulk(u), `Bulk-Pass-${u}`), 0, `the app server's user ${u} logs in`);
    }
  }
  for (let i = 0; i < 50; i++) t.is(await bind(p.url, '127.0.2.5', bulk(2), `guess-${i}`), 49);
  t.is(await bind(p.url, '127.0.1.11', bulk(2), 'Bulk-Pass-2'), 0, 'the brute-forced account\'s owner still logs in from their machine');
  t.deepEqual(await lockedInDirectory(), [bulk(501)], 'nobody else is locked in the directory (user501 is the control)');
  const guesses = p.events.filter((e) => sources.includes(e.clientAddress) || e.clientAddress === '127.0.2.5');
  const reached = guesses.filter((e) => e.directoryResultCode === 49);
  t.log(`${reached.length} of ${guesses.length} guesses reached the directory; the spray took ${Date.now() - started} ms`);
  t.true(reached.length <= 250, `${reached.length} of ${guesses.length} guesses reached the directory`);
  for (const s of sources) {
    const mine = p.events.filter((e) => e.clientAddress === s);
    const first = mine.findIndex((e) => e.outcome === 'threat_blocked');
    t.true(first >= 0 && first <= 10 && mine[first]!.time - mine[0]!.time < 60_000, `${s} blocked after ${first} guesses`);
  }
  t.false(p.events.some((e) => e.clientAddress === '127.0.3.1' && e.threat?.enforced), 'the app server is never slowed or blocked');
});

test.serial('the directory budget: an attacker\'s guesses and the owner\'s typos together never lock the entry; a release lets her in', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'lookup.pw'), `${ADMIN_PW}\n`);
  const lookup = { bindDn: ADMIN_DN, passwordFile: join(dir, 'lookup.pw'), baseDn: BASE_DN, onFailure: 'facts-optional' as const };
  const p = await startProxy({ directory: { urls: [slapd.url], lookup }, threat: { tarpit: { delayMs: 0 } } }, { behavior: true });
  t.teardown(() => p.stop());
  t.like(p.proxy.lockoutThreshold, { threshold: 2, budget: 4 }, 'from pwdMaxFailure 5');
  const owner = bulk(400);
  t.is(await bind(p.url, '127.0.1.40', owner, 'Bulk-Pass-400'), 0, 'her machine becomes familiar');
  for (let i = 0; i < 10; i++) t.is(await bind(p.url, '127.0.2.40', owner, `guess-${i}`), 49);
  for (let i = 0; i < 4; i++) t.is(await bind(p.url, '127.0.1.40', owner, `typo-${i}`), 49, `her typo ${i + 1}`);
  const seen = p.events.filter((e) => e.bindDn === owner && e.directoryResultCode === 49).length;
  t.is(seen, 4, 'the directory saw two guesses and two typos, one short of its threshold');
  t.deepEqual((await lockedInDirectory()).filter((d) => d === owner), [], 'not locked in the directory');
  t.is(await bind(p.url, '127.0.1.40', owner, 'Bulk-Pass-400'), 49, 'the budget is spent: she waits (the directory never forgets a failure here)');
  t.true(p.proxy.lockout!.release('user00400'));
  t.is(await bind(p.url, '127.0.1.40', owner, 'Bulk-Pass-400'), 0, 'released: her password works, and the directory\'s counter resets');
});
