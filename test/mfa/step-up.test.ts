/**
 * Step-up end to end on real sockets: ldap-utils bind through the proxy → the policy asks for
 * MFA → the Okta simulator (over HTTP) is answered like a phone → the bind succeeds with no
 * incident, or fails with 49 and an incident of the rule's severity; OTP appended to the
 * password; one push for an app binding twice; a client that leaves; quarantine on failure;
 * webhook payloads at a local receiver; Okta down under each fail mode.
 */
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LdapClient } from '../../src/ldap/client.js';
import { decodeResult, encodeSimpleBindRequest } from '../../src/ldap/messages.js';
import { Op } from '../../src/ldap/protocol.js';
import { OktaSimulator } from '../../src/okta/simulator/server.js';
import { totp } from '../../src/okta/totp.js';
import type { Incident } from '../../src/store/incident-store.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';
import { pendingPush } from '../helpers/okta-push.js';

const dn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;
const PW: Record<string, string> = { alice: 'Alice-Pass-1', bob: 'Bob-Pass-2', carol: 'Carol-Pass-3' };
const TOKEN = 'okta-sim-token-0042';

const POLICY = `version: 1
rules:
  - id: quarantined
    when: { quarantined: true }
    action: block
  - id: alice-push
    when: { user: alice }
    action: mfa
    method: push
    severity: high
    onFailure: { quarantine: true, notify: [hook] }
  - id: bob-otp
    when: { user: bob }
    action: mfa
    method: otp
    severity: low
  - id: carol-push-then-otp
    when: { user: carol }
    action: mfa
    method: push-then-otp
default: { action: approve }
`;

let slapd: Slapd;
let sim: OktaSimulator;
let proxy: TestProxy;
let hook: http.Server;
const received: unknown[] = [];
let dir: string;

test.before(async () => {
  slapd = await startSlapd();
  sim = new OktaSimulator({ apiTokens: [TOKEN], pushLifetimeMs: 2_000 });
  await sim.start();
  for (const uid of ['alice', 'bob', 'carol']) sim.state.addUser({ login: `${uid}@corp.example` });
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  dir = mkdtempSync(join(tmpdir(), 'bindwall-mfa-'));
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  proxy = await startProxy({
    directory: { urls: [slapd.url] },
    policy: { dir, watch: false },
    mfa: {
      okta: { orgUrl: sim.url, apiToken: TOKEN, loginTemplate: '{account}@corp.example' },
      pollIntervalMs: 25, challengeTimeoutMs: 10_000, otpDelimiter: ',', rememberMs: 0,
    },
    incidents: { notify: { hook: { type: 'webhook', url: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/incident`, retries: 0 } } },
  }, { policy: true });
});

test.after.always(async () => {
  await proxy?.stop();
  await sim?.stop();
  await slapd?.stop();
  hook?.close();
  rmSync(dir, { recursive: true, force: true });
});

const pushFor = (login: string): Promise<string> => pendingPush(sim, login);

const whoami = (uid: string, password = PW[uid]!, from?: string): Promise<{ code: number; stdout: string; stderr: string }> =>
  ldapTool('ldapwhoami', ['-x', '-H', from ? proxy.url.replace('127.0.0.1', from) : proxy.url, '-D', dn(uid), '-w', password]);

const incidents = (): Incident[] => proxy.mfa!.incidents.list();

test.serial('push approved: the bind succeeds, a transaction is logged, no incident', async (t) => {
  const before = incidents().length;
  const bind = whoami('alice');
  sim.state.answer(await pushFor('alice@corp.example'), true);
  const r = await bind;
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /uid=alice/);
  t.is(incidents().length, before);
  t.like(proxy.events.filter((e) => e.bindDn === dn('alice')).at(-1), { outcome: 'challenge_passed', ruleId: 'alice-push', detail: 'push approved' });
  t.like(sim.requests.find((x) => x.path.endsWith('/verify')), { forwardedFor: '127.0.0.1' });
});

test.serial('a pending push holds no directory connection: it goes back to the pool, and once approved the bind is sent again', async (t) => {
  const parked = proxy.proxy.pool.parked;
  const c = await LdapClient.connect(proxy.url);
  t.teardown(() => c.destroy());
  c.send(encodeSimpleBindRequest(7, dn('carol'), PW.carol!));
  const id = await pushFor('carol@corp.example');
  // The connection bound as carol went back while the phone was asked (re-bound anonymously there).
  for (let i = 0; i < 200 && proxy.proxy.pool.parked === parked; i++) await new Promise((r) => setTimeout(r, 5));
  t.is(proxy.proxy.pool.parked, parked + 1);
  sim.state.answer(id, true);
  const answer = await c.receive();
  t.is(decodeResult(answer.pdu, Op.BindResponse).resultCode, 0);
  t.is(answer.msgId, 7);
  // The session is bound as carol on its new directory connection.
  t.is((await c.whoami()).authzId, `dn:${dn('carol')}`);
  t.like(proxy.events.filter((e) => e.bindDn === dn('carol')).at(-1), { outcome: 'challenge_passed' });
});

test.serial('the password changed while the push was pending: the directory refuses the bind sent again, and its answer stands', async (t) => {
  const c = await LdapClient.connect(proxy.url);
  t.teardown(() => c.destroy());
  c.send(encodeSimpleBindRequest(1, dn('carol'), PW.carol!));
  const id = await pushFor('carol@corp.example');
  const set = (pw: string) => ldapTool('ldappasswd', ['-x', '-H', slapd.url, '-D', ADMIN_DN, '-w', ADMIN_PW, '-s', pw, dn('carol')]);
  t.is((await set('Carol-Changed-7')).code, 0);
  t.teardown(async () => { await set(PW.carol!); });
  sim.state.answer(id, true);
  t.is(decodeResult((await c.receive()).pdu, Op.BindResponse).resultCode, 49);
  t.like(proxy.events.filter((e) => e.bindDn === dn('carol')).at(-1), { outcome: 'failed', directoryResultCode: 49 });
  // The session goes on, anonymous, on a fresh connection.
  t.is((await c.whoami()).authzId, '');
});

test.serial('push denied: 49, a high-severity incident committed before the answer, the account quarantined, the webhook told', async (t) => {
  const bind = whoami('alice');
  sim.state.answer(await pushFor('alice@corp.example'), false);
  const r = await bind;
  t.teardown(() => proxy.quarantine!.release('alice'));
  t.is(r.code, 49);
  const incident = incidents()[0]!;
  t.like(incident, { account: 'alice', failure: 'denied', severity: 'high', status: 'open', ruleId: 'alice-push', method: 'push', endpoint: '127.0.0.1' });
  // The bind line says who it was, how the step-up ran and which incident it opened.
  const line = proxy.logLines().filter((l) => l.event === 'bind' && l.outcome === 'challenge_failed').at(-1)!;
  t.like(line, { identity: 'alice', accountKind: 'human', app: 'test', mfaMethod: 'push', incidentId: incident.id, schema: 'bindwall.log/1', pid: process.pid });
  t.true(incident.timeline.some((e) => /quarantined/.test(e.what)));
  // Quarantined: the next bind is blocked by policy without any push.
  const pushesBefore = sim.requests.filter((x) => x.path.endsWith('/verify')).length;
  t.is((await whoami('alice')).code, 49);
  t.is(sim.requests.filter((x) => x.path.endsWith('/verify')).length, pushesBefore);
  t.like(proxy.events.at(-1), { outcome: 'blocked', ruleId: 'quarantined' });
  await proxy.mfa!.notifier.drain();
  t.like(received.at(-1), { type: 'bindwall.incident', incident: { id: incident.id, account: 'alice', failure: 'denied', severity: 'high' } });
  t.true(proxy.mfa!.incidents.get(incident.id)!.timeline.some((e) => e.what === 'notified hook (webhook)'));
  proxy.quarantine!.release('alice');
});

test.serial('push not answered: Okta times it out; 49 and an incident', async (t) => {
  const r = await whoami('alice');
  proxy.quarantine!.release('alice');
  t.is(r.code, 49);
  t.like(incidents()[0], { failure: 'timed_out', account: 'alice', severity: 'high' });
});

test.serial('a client that disconnects while its push is pending abandons the challenge: an incident, the push cancelled', async (t) => {
  const before = incidents().length;
  const c = await LdapClient.connect(proxy.url);
  c.send(encodeSimpleBindRequest(1, dn('alice'), PW.alice!));
  const id = await pushFor('alice@corp.example');
  c.destroy();
  for (let i = 0; i < 400 && incidents().length === before; i++) await new Promise((r) => setTimeout(r, 10));
  proxy.quarantine!.release('alice');
  t.like(incidents()[0], { failure: 'abandoned', account: 'alice' });
  t.is(incidents()[0]!.severity, 'critical', 'two earlier incidents for alice within the window raise high to critical');
  for (let i = 0; i < 400 && sim.state.transaction(id)!.result === 'WAITING'; i++) await new Promise((r) => setTimeout(r, 5));
  t.not(sim.state.transaction(id)!.result, 'WAITING', 'the push was cancelled');
});

test.serial('OTP appended to the password: the right code passes, a wrong one fails with an incident', async (t) => {
  const secret = sim.state.user('bob@corp.example')!.factors.find((f) => f.secret)!.secret!;
  const ok = await whoami('bob', `${PW.bob},${totp(secret, Date.now())}`);
  t.is(ok.code, 0, ok.stderr);
  t.like(proxy.events.at(-1), { outcome: 'challenge_passed', detail: 'one-time code verified' });
  t.like(sim.requests.filter((x) => x.path.endsWith('/verify')).at(-1), { forwardedFor: '127.0.0.1' }, 'a code verification names the end user\'s address, as a push does');
  t.regex(sim.requests.filter((x) => x.path.endsWith('/verify')).at(-1)!.userAgent!, /\(app [^;]+; endpoint 127\.0\.0\.1\)/);
  const mfa = sim.log.query({ filter: 'eventType eq "user.authentication.auth_via_mfa"', limit: '1000' }).events;
  t.like(mfa.at(-1), { outcome: { result: 'SUCCESS' }, actor: { alternateId: 'bob@corp.example' }, debugContext: { debugData: { factor: 'OKTA_VERIFY_TOTP' } } }, 'the simulator logs its own verifications');
  const wrong = await whoami('bob', `${PW.bob},000000`);
  t.is(wrong.code, 49);
  t.like(incidents()[0], { account: 'bob', failure: 'wrong_code', method: 'otp' });
  // The rule says low; this endpoint (127.0.0.1, shared by every test client) has failed before.
  t.true(incidents()[0]!.timeline.some((e) => /^severity raised from low to \w+: \d+ earlier incident/.test(e.what)));
  const none = await whoami('bob');
  t.is(none.code, 49, 'otp without a code fails');
  t.like(proxy.events.at(-1), { outcome: 'challenge_failed' });
  t.not(incidents()[0]!.failure, 'no_code', 'a missing code is not an incident');
});

test.serial('an app binding twice at once shares one push; approving it lets both in', async (t) => {
  const verifies = (): number => sim.requests.filter((x) => x.path.endsWith('/verify')).length;
  const before = verifies();
  const first = whoami('carol');
  const second = whoami('carol');
  const id = await pushFor('carol@corp.example');
  // Both binds are waiting on the same challenge before it is answered.
  for (let i = 0; i < 200 && proxy.mfa!.challenges!.pendingCount === 0; i++) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 100));
  sim.state.answer(id, true);
  const [a, b] = await Promise.all([first, second]);
  t.is(a.code, 0);
  t.is(b.code, 0);
  t.is(verifies() - before, 1, 'one push for both binds');
});

test('Okta unreachable: safe allows, secure refuses, known-endpoint refuses an unknown endpoint; no incident; the mode is logged', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'bindwall-mfa-down-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  writeFileSync(join(d, 'p.yaml'), `version: 1
rules:
  - { id: a-safe, when: { user: alice }, action: mfa, failMode: safe }
  - { id: b-secure, when: { user: bob }, action: mfa, failMode: secure }
  - { id: c-known, when: { user: carol }, action: mfa, failMode: known-endpoint }
default: { action: approve }
`);
  const down = await startProxy({
    directory: { urls: [slapd.url] }, policy: { dir: d, watch: false },
    mfa: { okta: { orgUrl: 'http://127.0.0.1:1', apiToken: TOKEN, requestTimeoutMs: 500 } },
  }, { policy: true });
  t.teardown(() => down.stop());
  const bind = (uid: string): Promise<number> => ldapTool('ldapwhoami', ['-x', '-H', down.url, '-D', dn(uid), '-w', PW[uid]!]).then((r) => r.code);
  t.is(await bind('alice'), 0);
  t.is(await bind('bob'), 49);
  t.is(await bind('carol'), 49);
  t.deepEqual(down.mfa!.incidents.list(), []);
  const modes = down.logLines().filter((l) => l.event === 'mfa_fail_mode').map((l) => [l.failMode, l.allowed]);
  t.deepEqual(modes, [['safe', true], ['secure', false], ['known-endpoint', false]]);
});

test('Okta rate limiting is not an outage: under failMode safe the bind is refused, not approved; no incident', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'bindwall-mfa-429-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  writeFileSync(join(d, 'p.yaml'), `version: 1
rules:
  - { id: a-safe, when: { user: alice }, action: mfa, failMode: safe }
default: { action: approve }
`);
  // Two requests a minute: the first challenge's user lookup and factor list use them up.
  const limited = new OktaSimulator({ apiTokens: [TOKEN], rateLimitPerMinute: 2 });
  await limited.start();
  t.teardown(() => limited.stop());
  limited.state.addUser({ login: 'alice@corp.example' });
  const p = await startProxy({
    directory: { urls: [slapd.url] }, policy: { dir: d, watch: false },
    mfa: { okta: { orgUrl: limited.url, apiToken: TOKEN, loginTemplate: '{account}@corp.example', maxRateLimitWaitMs: 100 }, rememberMs: 0 },
  }, { policy: true });
  t.teardown(() => p.stop());
  const r = await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', dn('alice'), '-w', PW.alice!]);
  t.is(r.code, 49, 'refused: a 429 must not open the door under failMode safe');
  t.deepEqual(p.mfa!.incidents.list(), []);
  t.true(p.logLines().some((l) => l.event === 'mfa_rate_limited'));
  t.false(p.logLines().some((l) => l.event === 'mfa_fail_mode' && l.allowed === true));
  t.like(p.events.at(-1), { outcome: 'challenge_failed' });
});

test('one source cannot start more step-ups than mfa.maxPromptsPerSource in a window', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'bindwall-mfa-src-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  writeFileSync(join(d, 'p.yaml'), `version: 1
rules:
  - { id: everyone, when: { user: [alice, bob] }, action: mfa, method: otp }
default: { action: approve }
`);
  const own = new OktaSimulator({ apiTokens: [TOKEN] });
  await own.start();
  t.teardown(() => own.stop());
  for (const uid of ['alice', 'bob']) own.state.addUser({ login: `${uid}@corp.example` });
  const p = await startProxy({
    directory: { urls: [slapd.url] }, policy: { dir: d, watch: false },
    mfa: { okta: { orgUrl: own.url, apiToken: TOKEN, loginTemplate: '{account}@corp.example' }, otpDelimiter: ',', rememberMs: 0, maxPromptsPerSource: 1 },
  }, { policy: true });
  t.teardown(() => p.stop());
  const secret = own.state.user('alice@corp.example')!.factors.find((f) => f.secret)!.secret!;
  const first = await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', dn('alice'), '-w', `${PW.alice},${totp(secret, Date.now())}`]);
  t.is(first.code, 0, first.stderr);
  const before = own.requests.length;
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', dn('bob'), '-w', `${PW.bob},000000`])).code, 49);
  t.is(own.requests.length, before, 'Okta was not asked');
  t.true(p.logLines().some((l) => l.event === 'mfa_source_prompt_limit'));
  t.deepEqual(p.mfa!.incidents.list(), [], 'not an incident of the person');
});

test('a person not enrolled in Okta: mfa.unenrolled decides, logged as such, never an incident; privileged accounts stay secure', async (t) => {
  const d = mkdtempSync(join(tmpdir(), 'bindwall-mfa-unenrolled-'));
  t.teardown(() => rmSync(d, { recursive: true, force: true }));
  writeFileSync(join(d, 'p.yaml'), 'version: 1\nrules:\n  - { id: everyone, when: { user: [alice, bob] }, action: mfa }\ndefault: { action: approve }\n');
  const own = new OktaSimulator({ apiTokens: [TOKEN] }); // nobody enrolled
  await own.start();
  t.teardown(() => own.stop());
  const modes: Record<string, number> = {};
  for (const unenrolled of ['secure', 'safe'] as const) {
    const p = await startProxy({
      directory: { urls: [slapd.url] }, policy: { dir: d, watch: false }, behavior: { privilegedAccounts: ['bob'] },
      mfa: { okta: { orgUrl: own.url, apiToken: TOKEN, loginTemplate: '{account}@corp.example' }, unenrolled, rememberMs: 0 },
    }, { policy: true });
    modes[`alice ${unenrolled}`] = (await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', dn('alice'), '-w', PW.alice!])).code;
    modes[`bob ${unenrolled}`] = (await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', dn('bob'), '-w', PW.bob!])).code;
    t.deepEqual(p.mfa!.incidents.list(), []);
    t.true(p.logLines().some((l) => l.event === 'mfa_unenrolled' && l.mode === unenrolled && l.account === 'alice'));
    await p.stop();
  }
  t.deepEqual(modes, { 'alice secure': 49, 'bob secure': 49, 'alice safe': 0, 'bob safe': 49 });
});
