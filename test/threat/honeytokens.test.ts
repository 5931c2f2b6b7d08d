/**
 * Honeytoken accounts through the proxy and a real slapd: a bind as one — even with its real
 * password — is answered exactly as a wrong password, writes a critical incident (no
 * password in it), and puts the source in the pool at high; names match in every form.
 */
import test from 'ava';
import { Honeytokens } from '../../src/threat/honeytokens.js';
import { bindFrom } from '../helpers/bind-from.js';
import { timeBinds } from '../helpers/timed-binds.js';
import { startProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd;
test.before(async () => {
  slapd = await startSlapd();
});
test.after.always(async () => {
  await slapd?.stop();
});

async function bind(url: string, from: string, name: string, pw: string): Promise<{ resultCode: number; diagnosticMessage: string; matchedDn: string }> {
  const r = await bindFrom(url, from, name, pw);
  return { resultCode: r.resultCode, diagnosticMessage: r.diagnosticMessage, matchedDn: r.matchedDn };
}

test('names match in every form: DN as RFC 4514 compares it, DOMAIN\\name, UPN, uid=', (t) => {
  const h = new Honeytokens(['svc-backup-old', `CN=Smith\\, John,OU=People,${BASE_DN}`]);
  for (const n of ['CORP\\svc-backup-old', 'svc-backup-old@corp.example', 'uid=svc-backup-old,ou=people,dc=x', 'SVC-Backup-Old', `cn=Smith\\2C John, ou=people,${BASE_DN.toUpperCase()}`]) t.true(h.matches(n), n);
  for (const n of ['CORP\\alice', 'svc-backup', `cn=Smith\\, Jane,ou=people,${BASE_DN}`, '']) t.false(h.matches(n), n);
});

test('a bind as a honeytoken is a wrong password to the client, a critical incident, and a high-threat source', async (t) => {
  const p = await startProxy({
    directory: { urls: [slapd.url] }, threat: { mode: 'enforce', honeytokens: { accounts: ['carol'] } },
  }, { policy: true, behavior: true });
  t.teardown(() => p.stop());
  const wrong = await bind(p.url, '127.0.0.41', `uid=alice,ou=people,${BASE_DN}`, 'not-alices');
  const decoy = await bind(p.url, '127.0.0.42', `uid=carol,ou=people,${BASE_DN}`, 'Carol-Pass-3');
  t.deepEqual(decoy, wrong, 'the same answer as a wrong password, though the password was right');
  const ev = p.events.at(-1)!;
  t.like(ev, { outcome: 'failed', resultCode: 49, directoryResultCode: 49, honeytoken: true });
  const incident = p.mfa!.incidents.list()[0]!;
  t.like(incident, { account: 'carol', endpoint: '127.0.0.42', failure: 'honeytoken', severity: 'critical', ruleId: 'honeytoken' });
  t.false(JSON.stringify(incident).includes('Carol-Pass-3'));
  t.false(JSON.stringify(p.logLines()).includes('Carol-Pass-3'), 'no password in the log');
  t.like(p.proxy.threat!.verdict('127.0.0.42'), { action: 'block', entry: { level: 'high' } });
  t.regex(p.proxy.threat!.verdict('127.0.0.42').entry!.reasons[0]!, /honeytoken account/);
  t.is((await bind(p.url, '127.0.0.42', `uid=alice,ou=people,${BASE_DN}`, 'Alice-Pass-1')).resultCode, 49, 'its next bind is answered by bindwall');
  t.is(p.events.at(-1)!.outcome, 'threat_blocked');
  t.is((await bind(p.url, '127.0.0.41', `uid=alice,ou=people,${BASE_DN}`, 'Alice-Pass-1')).resultCode, 0, 'others are unaffected');
});

test('a honeytoken\'s answer takes as long as a wrong password\'s: its timing is within the normal spread', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, threat: { honeytokens: { accounts: ['carol'] } } }, { policy: true, behavior: true });
  t.teardown(() => p.stop());
  // Interleaved, each from its own source (none becomes a spray), timed from another process.
  const binds = Array.from({ length: 30 }, (_, i) => [
    { name: `uid=alice,ou=people,${BASE_DN}`, password: `not-alices-${i}`, from: `127.0.3.${10 + i}` },
    { name: `uid=carol,ou=people,${BASE_DN}`, password: 'Carol-Pass-3', from: `127.0.4.${10 + i}` },
  ]).flat();
  const ms = await timeBinds(p.url, binds);
  const wrong = ms.filter((_, i) => i % 2 === 0);
  const decoy = ms.filter((_, i) => i % 2 === 1);
  const q = (xs: number[], f: number): number => [...xs].sort((a, b) => a - b)[Math.floor(f * (xs.length - 1))]!;
  t.log(`wrong password p10/p50/p90 ${q(wrong, 0.1).toFixed(2)}/${q(wrong, 0.5).toFixed(2)}/${q(wrong, 0.9).toFixed(2)} ms; honeytoken ${q(decoy, 0.1).toFixed(2)}/${q(decoy, 0.5).toFixed(2)}/${q(decoy, 0.9).toFixed(2)} ms`);
  // The same path to the directory (a random password): the decoy's median sits inside the wrong password's spread.
  t.true(q(decoy, 0.5) >= q(wrong, 0.1) * 0.5 && q(decoy, 0.5) <= q(wrong, 0.9) * 1.5 + 1, 'the median honeytoken answer is within the normal spread');
  t.is(p.mfa!.incidents.list().length, 30, 'every attempt is an incident');
});
