/**
 * Password oracles, with real ldap-utils clients against slapd with ppolicy: OpenLDAP's
 * compare on userPassword tests a password without counting towards its lockout, and a
 * password modify (RFC 3062) with the old password tests it too. Through bindwall both are
 * counted like binds — smart lockout, the retry rule, the threat pool — and answered as a
 * wrong password without the directory once locked; `refuse` turns them away outright.
 */
import test from 'ava';
import { integer, octetString, sequence, tlv } from '../../src/ldap/ber.js';
import { LdapClient } from '../../src/ldap/client.js';
import { decodeResult } from '../../src/ldap/messages.js';
import { Op } from '../../src/ldap/protocol.js';
import { bindFrom } from '../helpers/bind-from.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { startProxy } from '../helpers/proxy.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd;
test.before(async () => {
  slapd = await startSlapd({ ppolicyMaxFailure: 5, bulkUsers: 12 });
});
test.after.always(async () => {
  await slapd?.stop();
});

const dn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;
const compare = (url: string, entry: string, value: string): Promise<number> =>
  ldapTool('ldapcompare', ['-x', '-H', url, '-D', ADMIN_DN, '-w', ADMIN_PW, entry, `userPassword:${value}`]).then((r) => r.code);

test.serial('a compare on userPassword is counted like a bind: locked out at the proxy after the threshold, retries count once', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, threat: { tarpit: { delayMs: 0 } } });
  t.teardown(() => p.stop());
  t.is(await compare(slapd.url, dn('alice'), 'guess-0'), 5, 'straight to slapd: compareFalse');
  t.is(await compare(p.url, dn('alice'), 'Alice-Pass-1'), 6, 'the right value: compareTrue, passed through');
  for (const g of ['guess-1', 'guess-1', 'guess-2']) t.is(await compare(p.url, dn('alice'), g), 5);
  t.is(p.proxy.lockout!.lockedUntil('alice', 'unfamiliar'), 0, 'a retried value counted once');
  t.is(await compare(p.url, dn('alice'), 'guess-3'), 5);
  t.true(p.proxy.lockout!.lockedUntil('alice', 'unfamiliar') > 0, 'three distinct wrong values lock alice at the proxy');
  t.is(await compare(p.url, dn('alice'), 'Alice-Pass-1'), 5, 'now even the right value is answered compareFalse, by bindwall');
  t.is(await compare(p.url, dn('bob'), 'Bob-Pass-2'), 6, 'other entries are unaffected');
  const lines = p.logLines().filter((l) => l.event === 'password_oracle');
  t.true(lines.some((l) => /answered as a wrong password by bindwall \(locked out\)/.test(String(l.msg))));
  const log = JSON.stringify(p.logLines());
  for (const secret of ['Alice-Pass-1', 'guess-1', 'Bob-Pass-2']) t.false(log.includes(secret), `${secret} never logged`);
});

/** One connection from a chosen source (ldapcompare cannot pick one): bound as the admin, then compares. */
async function comparer(url: string, from: string): Promise<{ compare(entry: string, value: string): Promise<number>; close(): void }> {
  const c = await LdapClient.connect(url, { localAddress: from });
  const r = await c.bind(ADMIN_DN, ADMIN_PW);
  if (r.resultCode !== 0) throw new Error(`admin bind: ${r.resultCode}`);
  return {
    compare: async (entry, value) => {
      c.send(sequence(integer(c.nextMessageId()), tlv(Op.CompareRequest, octetString(entry), sequence(octetString('userPassword'), octetString(value)))));
      const res = await c.receive();
      return decodeResult(res.pdu, res.opTag).resultCode;
    },
    close: () => c.destroy(),
  };
}

test.serial('a spray by compare puts its source in the pool; then its binds are blocked too', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, threat: { tarpit: { delayMs: 0 } } });
  t.teardown(() => p.stop());
  const user = (i: number): string => `uid=user${String(i).padStart(5, '0')},ou=bulk,${BASE_DN}`;
  const c = await comparer(p.url, '127.0.0.73');
  t.teardown(() => c.close());
  for (let i = 1; i <= 10; i++) t.is(await c.compare(user(i), 'Winter2026!'), 5);
  t.like(p.proxy.threat!.verdict('127.0.0.73'), { action: 'block', entry: { level: 'high' } });
  t.is(await c.compare(user(11), 'Bulk-Pass-11'), 5, 'answered compareFalse without the directory');
  t.is((await bindFrom(p.url, '127.0.0.73', user(12), 'Bulk-Pass-12')).resultCode, 49, 'its binds are blocked');
  t.like(p.events.at(-1), { outcome: 'threat_blocked' });
});

test.serial('password modify with the old password is counted; refuse turns both oracles away; other compares pass', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, threat: { tarpit: { delayMs: 0 } } });
  t.teardown(() => p.stop());
  const passwd = (url: string, old: string): Promise<{ code: number; said: string }> =>
    // A service account (here the admin) testing carol's password: her own bind would prove she knows it.
    ldapTool('ldappasswd', ['-x', '-H', url, '-D', ADMIN_DN, '-w', ADMIN_PW, '-a', old, '-s', 'Carol-New-9', dn('carol')]).then((r) => ({ code: r.code, said: r.stdout + r.stderr }));
  const direct = await passwd(slapd.url, 'not-my-old-1');
  t.is(direct.code, 1);
  t.regex(direct.said, /unwilling to verify old password/);
  for (const old of ['not-my-old-2', 'not-my-old-3', 'not-my-old-4']) t.regex((await passwd(p.url, old)).said, /unwilling to verify old password/);
  t.true(p.proxy.lockout!.lockedUntil('carol', 'unfamiliar') > 0, 'three wrong old passwords lock carol at the proxy');
  const local = await passwd(p.url, 'Carol-Pass-3');
  t.regex(local.said, /\(53\)[\s\S]*unwilling to verify old password/, 'answered as the directory answers a wrong old password');
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', slapd.url, '-D', dn('carol'), '-w', 'Carol-Pass-3'])).code, 0, 'the password did not change');

  const q = await startProxy({ directory: { urls: [slapd.url] }, threat: { passwordOracles: { compare: 'refuse', passwordModify: 'refuse' } } });
  t.teardown(() => q.stop());
  const refused = await ldapTool('ldapcompare', ['-x', '-H', q.url, '-D', ADMIN_DN, '-w', ADMIN_PW, dn('bob'), 'userPassword:Bob-Pass-2']);
  t.is(refused.code, 50);
  t.regex(refused.stderr + refused.stdout, /comparing a password attribute is refused here/);
  t.is((await ldapTool('ldapcompare', ['-x', '-H', q.url, '-D', ADMIN_DN, '-w', ADMIN_PW, dn('bob'), 'uid:bob'])).code, 6, 'a compare of another attribute passes');
  const pm = await ldapTool('ldappasswd', ['-x', '-H', q.url, '-D', dn('bob'), '-w', 'Bob-Pass-2', '-a', 'Bob-Pass-2', '-s', 'Bob-New-9']);
  t.is(pm.code, 1);
  t.regex(pm.stdout + pm.stderr, /password changes with the old password are refused here/);
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', slapd.url, '-D', dn('bob'), '-w', 'Bob-Pass-2'])).code, 0, 'unchanged');
});
