/**
 * Bind interception: the decision function's outcomes (approve, block, demote, challenge),
 * fail-closed on errors, refusals of unauthenticated / anonymous / SASL binds, and that a
 * refused bind never leaves the upstream connection authenticated.
 */
import test from 'ava';
import { LdapClient, encodeSearchRequest, Filter } from '../../src/ldap/client.js';
import { encodeExtendedRequest, encodeSimpleBindRequest, decodeResult } from '../../src/ldap/messages.js';
import { Oid, Op } from '../../src/ldap/protocol.js';
import { extendedResponseValue } from '../../src/ldap/client.js';
import type { BindAttempt, Decision } from '../../src/proxy/decision.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const dnOf = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;
const ALICE = dnOf('alice');
const SVC = `uid=svc-backup,ou=services,${BASE_DN}`;
const BOB = dnOf('bob');
const CAROL = dnOf('carol');

let slapd: Slapd;
let proxy: TestProxy;
let refusing: TestProxy;
const attempts: BindAttempt[] = [];
/** Whether each attempt's abort signal was already aborted while it was being decided. */
const abortedAtDecision = new Map<string, boolean>();
const challenges: string[] = [];

/** Test decision function: by user. */
function decide(a: BindAttempt): Decision {
  attempts.push(a);
  abortedAtDecision.set(a.bindDn, a.signal.aborted);
  if (a.bindDn === BOB) return { action: 'block', reasons: ['test: bob is blocked'], ruleId: 'block-bob' };
  if (a.bindDn === CAROL) return { action: 'demote', profile: 'read-only', ruleId: 'demote-carol' };
  if (a.bindDn.startsWith('uid=user0000')) return { action: 'challenge', method: 'push', ruleId: 'mfa' };
  if (a.bindDn === SVC) throw new Error('policy engine exploded');
  return { action: 'approve', ruleId: 'default' };
}

test.before(async () => {
  slapd = await startSlapd({ bulkUsers: 20 });
  proxy = await startProxy({ directory: { urls: [slapd.url] } }, {
    decide,
    challenge: async (a) => {
      challenges.push(a.bindDn);
      return a.bindDn.endsWith('1,ou=bulk,dc=corp,dc=example') ? { result: 'passed' } : { result: 'failed', detail: 'denied by user' };
    },
  });
  refusing = await startProxy({ directory: { urls: [slapd.url] }, binds: { anonymous: 'refuse', unauthenticated: 'refuse', sasl: 'refuse' } });
});
test.after.always(async () => {
  await proxy?.stop();
  await refusing?.stop();
  await slapd?.stop();
});

test('approve: the bind succeeds and the decision sees who and where', async (t) => {
  const r = await ldapTool('ldapwhoami', ['-x', '-H', proxy.url, '-D', ALICE, '-w', 'Alice-Pass-1']);
  t.is(r.code, 0);
  const a = attempts.find((x) => x.bindDn === ALICE)!;
  t.is(a.clientAddress, '127.0.0.1');
  t.is(a.listener, 'test');
  t.false(a.tls);
  t.false(abortedAtDecision.get(ALICE), 'the client was still there while it was decided');
  t.false('password' in a, 'no password is handed to the decision');
});

test('block: 49 like a wrong password, and the upstream connection is left anonymous', async (t) => {
  const c = await LdapClient.connect(proxy.url);
  t.teardown(() => c.destroy());
  const bind = await c.bind(BOB, 'Bob-Pass-2');
  t.is(bind.resultCode, 49);
  t.is(bind.diagnosticMessage, '', 'indistinguishable from the directory\'s own wrong-password answer');
  const who = await c.whoami();
  t.is(who.result.resultCode, 0);
  t.is(who.authzId, '', 'the directory sees an anonymous connection after the block');
  const ev = proxy.events.find((e) => e.bindDn === BOB)!;
  t.is(ev.outcome, 'blocked');
  t.is(ev.directoryResultCode, 0);
  t.is(ev.ruleId, 'block-bob');
  t.deepEqual(ev.reasons, ['test: bob is blocked']);
});

test('block after an approved bind on the same connection also drops the earlier identity', async (t) => {
  const c = await LdapClient.connect(proxy.url);
  t.teardown(() => c.destroy());
  t.is((await c.bind(ALICE, 'Alice-Pass-1')).resultCode, 0);
  t.is((await c.whoami()).authzId, `dn:${ALICE}`);
  t.is((await c.bind(BOB, 'Bob-Pass-2')).resultCode, 49);
  t.is((await c.whoami()).authzId, '');
});

test('requests pipelined behind a bind wait for its decision (no search runs as a blocked user)', async (t) => {
  const c = await LdapClient.connect(proxy.url);
  t.teardown(() => c.destroy());
  // A misbehaving client sends bind + whoami + search in one write, without waiting.
  c.send(Buffer.concat([
    encodeSimpleBindRequest(1, BOB, 'Bob-Pass-2'),
    encodeExtendedRequest(2, Oid.whoAmI),
    encodeSearchRequest(3, ALICE, 0, Filter.present('objectClass'), ['userPassword']),
  ]));
  const bind = await c.receive();
  t.is(decodeResult(bind.pdu, Op.BindResponse).resultCode, 49);
  const who = await c.receive();
  t.is(who.msgId, 2);
  t.is(extendedResponseValue(who.pdu), '', 'whoami ran anonymously');
  const entry = await c.receive();
  t.is(entry.opTag, Op.SearchResultEntry);
  t.false(entry.pdu.includes(Buffer.from('Alice-Pass-1')), 'no password visible to an anonymous search');
});

test('demote: the bind succeeds but writes are refused with insufficientAccessRights', async (t) => {
  const r = await ldapTool('ldapwhoami', ['-x', '-H', proxy.url, '-D', CAROL, '-w', 'Carol-Pass-3']);
  t.is(r.code, 0);
  const write = await ldapTool('ldapmodify', ['-x', '-H', proxy.url, '-D', CAROL, '-w', 'Carol-Pass-3'],
    { input: `dn: ${CAROL}\nchangetype: modify\nreplace: title\ntitle: Owned\n` });
  t.is(write.code, 50);
  t.regex(write.stderr, /restricted/);
  const read = await ldapTool('ldapsearch', ['-x', '-LLL', '-H', proxy.url, '-D', CAROL, '-w', 'Carol-Pass-3', '-b', CAROL, '-s', 'base', 'title']);
  t.regex(read.stdout, /title: Domain Administrator/, 'reads still work and the write never happened');
  t.is(proxy.events.find((e) => e.bindDn === CAROL)?.outcome, 'demoted');
});

test('challenge passed: success; challenge failed: 49 and the upstream left anonymous', async (t) => {
  const pass = await ldapTool('ldapwhoami', ['-x', '-H', proxy.url, '-D', `uid=user00001,ou=bulk,${BASE_DN}`, '-w', 'Bulk-Pass-1']);
  t.is(pass.code, 0);
  const c = await LdapClient.connect(proxy.url);
  t.teardown(() => c.destroy());
  t.is((await c.bind(`uid=user00002,ou=bulk,${BASE_DN}`, 'Bulk-Pass-2')).resultCode, 49);
  t.is((await c.whoami()).authzId, '');
  const outcomes = proxy.events.filter((e) => e.bindDn.startsWith('uid=user0000')).map((e) => [e.bindDn.slice(4, 13), e.outcome]);
  t.deepEqual(outcomes.sort(), [['user00001', 'challenge_passed'], ['user00002', 'challenge_failed']]);
  t.is(proxy.events.find((e) => e.outcome === 'challenge_failed')?.detail, 'denied by user');
  t.true(challenges.length >= 2);
});

test('a decision that throws fails closed: the bind is refused and the upstream un-bound', async (t) => {
  const c = await LdapClient.connect(proxy.url);
  t.teardown(() => c.destroy());
  const r = await c.bind(SVC, 'Svc-Backup-Pass-4');
  t.is(r.resultCode, 80);
  t.regex(r.diagnosticMessage, /internal error, request refused \(ref conn-\d+-msg-1\)/);
  t.false(r.diagnosticMessage.includes('exploded'), 'internal details stay in the log');
  t.is((await c.whoami()).authzId, '');
  t.is(proxy.events.find((e) => e.bindDn === SVC)?.outcome, 'error');
  t.true(proxy.logLines().some((l) => l.event === 'decision_error'));
});

test('failed binds are passed back as the directory answered them, without asking the decision', async (t) => {
  const ghost = `uid=ghost,ou=people,${BASE_DN}`;
  const r = await ldapTool('ldapwhoami', ['-x', '-H', proxy.url, '-D', ghost, '-w', 'whatever']);
  t.is(r.code, 49);
  t.false(attempts.some((a) => a.bindDn === ghost));
  t.is(proxy.events.find((e) => e.bindDn === ghost)?.outcome, 'failed');
});

test('an unauthenticated bind (name, empty password) is refused with a clear diagnostic', async (t) => {
  const r = await ldapTool('ldapwhoami', ['-x', '-H', proxy.url, '-D', ALICE]);
  t.is(r.code, 53);
  t.regex(r.stderr, /unauthenticated bind refused/);
  const ev = proxy.events.find((e) => e.method === 'unauthenticated')!;
  t.is(ev.outcome, 'refused');
  // The directory itself would have said "success" here: that is what bindwall protects against.
  const direct = await ldapTool('ldapwhoami', ['-x', '-H', slapd.url, '-D', ALICE]);
  t.not(direct.code, 0, 'slapd refuses it too by default');
});

test('anonymous binds are forwarded by default and refused when configured', async (t) => {
  const fwd = await ldapTool('ldapwhoami', ['-x', '-H', proxy.url]);
  t.is(fwd.code, 0);
  t.is(fwd.stdout.trim(), 'anonymous');
  const refused = await ldapTool('ldapwhoami', ['-x', '-H', refusing.url]);
  t.is(refused.code, 48);
  t.regex(refused.stderr, /anonymous bind refused/);
});

test('SASL binds are refused with authMethodNotSupported by default', async (t) => {
  const r = await ldapTool('ldapwhoami', ['-H', proxy.url, '-Y', 'DIGEST-MD5', '-U', 'alice', '-w', 'Alice-Pass-1']);
  t.is(r.code, 7);
  t.regex(r.stderr, /SASL binds are not accepted here/);
  t.is(proxy.events.find((e) => e.method === 'sasl')?.saslMechanism, 'DIGEST-MD5');
});

test('forwarded SASL is passed to the directory unexamined', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, binds: { sasl: 'forward' } });
  t.teardown(() => p.stop());
  const direct = await ldapTool('ldapwhoami', ['-H', slapd.url, '-Y', 'DIGEST-MD5', '-U', 'alice', '-w', 'Alice-Pass-1']);
  const proxied = await ldapTool('ldapwhoami', ['-H', p.url, '-Y', 'DIGEST-MD5', '-U', 'alice', '-w', 'Alice-Pass-1']);
  t.is(proxied.code, direct.code);
  t.is(proxied.stderr, direct.stderr);
  t.true(p.events.length > 0 && p.events.every((e) => e.method === 'sasl' && e.saslMechanism === 'DIGEST-MD5'));
  // One event per SASL step; the last one carries the directory's final answer.
  t.is(p.events.at(-1)!.outcome, direct.code === 0 ? 'forwarded' : 'failed');
});

test('a client that disconnects while its bind is decided is recorded as abandoned', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let seen!: BindAttempt;
  const p = await startProxy({ directory: { urls: [slapd.url] } }, {
    decide: async (a) => { seen = a; await gate; return { action: 'approve' }; },
  });
  t.teardown(() => p.stop());
  const c = await LdapClient.connect(p.url);
  c.send(encodeSimpleBindRequest(1, ALICE, 'Alice-Pass-1'));
  while (!seen) await new Promise((r) => setTimeout(r, 5));
  c.destroy();
  await c.closed;
  while (!seen.signal.aborted) await new Promise((r) => setTimeout(r, 5));
  release();
  while (p.events.length === 0) await new Promise((r) => setTimeout(r, 5));
  t.is(p.events[0]!.outcome, 'abandoned');
});

test.serial('admin writes through an approved session work', async (t) => {
  const r = await ldapTool('ldapmodify', ['-x', '-H', proxy.url, '-D', ADMIN_DN, '-w', ADMIN_PW],
    { input: `dn: ${dnOf('alice')}\nchangetype: modify\nreplace: description\ndescription: approved write\n` });
  t.is(r.code, 0, r.stderr);
});
