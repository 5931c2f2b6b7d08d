/**
 * The prize: a spray must not lock out the organisation's accounts. slapd with the ppolicy
 * overlay (pwdLockout, pwdMaxFailure 5) locks an entry after five wrong passwords — sent
 * straight to it, a brute force does. Through bindwall in enforce mode, a spray of five
 * guesses at each of 200 accounts from ten sources and a brute force of 50 at one account
 * lock nobody in the directory; the sources are blocked within their first guesses; people
 * from their own machines log in throughout.
 */
import test from 'ava';
import { Filter, LdapClient } from '../../src/ldap/client.js';
import { bindFrom } from '../helpers/bind-from.js';
import { startProxy } from '../helpers/proxy.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd;
test.before(async () => {
  slapd = await startSlapd({ bulkUsers: 200, ppolicyMaxFailure: 5 });
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
  for (let i = 0; i < 5; i++) t.is(await bind(slapd.url, '127.0.0.1', bulk(200), `wrong-${i}`), 49);
  t.deepEqual(await lockedInDirectory(), [bulk(200)]);
});

test.serial('through bindwall in enforce mode: a spray and a brute force lock nobody in the directory; people log in throughout', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, threat: { mode: 'enforce' } }, { behavior: true });
  t.teardown(() => p.stop());
  // Two people use their own machines before and during the attack.
  t.is(await bind(p.url, '127.0.1.10', bulk(1), 'Bulk-Pass-1'), 0);
  t.is(await bind(p.url, '127.0.1.11', bulk(2), 'Bulk-Pass-2'), 0);
  const sources = Array.from({ length: 10 }, (_, i) => `127.0.0.${100 + i}`);
  let n = 0;
  for (let round = 0; round < 5; round++) {
    for (let i = 1; i <= 199; i++) {
      t.is(await bind(p.url, sources[n++ % sources.length]!, bulk(i), `Spring202${round}!`), 49);
    }
    t.is(await bind(p.url, '127.0.1.10', bulk(1), 'Bulk-Pass-1'), 0, `user1 logs in during round ${round + 1}`);
  }
  for (let i = 0; i < 50; i++) t.is(await bind(p.url, '127.0.2.5', bulk(2), `guess-${i}`), 49);
  t.is(await bind(p.url, '127.0.1.11', bulk(2), 'Bulk-Pass-2'), 0, 'the brute-forced account\'s owner still logs in from their machine');
  t.deepEqual(await lockedInDirectory(), [bulk(200)], 'nobody else is locked in the directory (user200 is the control)');
  const reached = p.events.filter((e) => e.directoryResultCode === 49);
  const guesses = 5 * 199 + 50;
  t.log(`${reached.length} of ${guesses} guesses reached the directory`);
  t.true(reached.length <= 120, `${reached.length} of ${guesses} guesses reached the directory`);
  for (const s of sources) {
    const first = p.events.findIndex((e) => e.clientAddress === s && e.outcome === 'threat_blocked');
    const sent = p.events.slice(0, first).filter((e) => e.clientAddress === s).length;
    t.true(first >= 0 && sent <= 10, `${s} blocked after ${sent} guesses`);
  }
});
