/**
 * The Okta connector against the shipped Okta simulator over real HTTP on loopback: users,
 * factors, push approve / deny / timeout, TOTP right / wrong / replayed / lockout, 429 with
 * X-Rate-Limit-Reset, SSWS and OAuth service-app authentication. Time is a ManualClock.
 */
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { BindwallError, ErrorCode } from '../../src/errors.js';
import { Secret } from '../../src/log/secret.js';
import { OktaClient, type OktaAuth } from '../../src/okta/client.js';
import { OktaSimulator } from '../../src/okta/simulator/server.js';
import { totp } from '../../src/okta/totp.js';
import { ManualClock } from '../../src/util/clock.js';

const TOKEN = 'sim-api-token-0001';

async function setup(t: { teardown(fn: () => unknown): void }, o: { rateLimitPerMinute?: number; auth?: (sim: OktaSimulator) => OktaAuth; apps?: ConstructorParameters<typeof OktaSimulator>[0] } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 0));
  const sim = new OktaSimulator({ clock, apiTokens: [TOKEN], rateLimitPerMinute: o.rateLimitPerMinute ?? 600, ...o.apps });
  await sim.start();
  t.teardown(() => sim.stop());
  const alice = sim.state.addUser({ login: 'alice@corp.example', firstName: 'Alice' });
  const client = new OktaClient({
    orgUrl: sim.url, auth: o.auth?.(sim) ?? { type: 'ssws', token: new Secret(TOKEN) }, requestTimeoutMs: 2_000, maxRateLimitWaitMs: 120_000, clock,
    userAgent: 'bindwall-test',
  });
  return { clock, sim, alice, client, deadline: () => clock.now() + 60_000 };
}

const code = (err: unknown): string | undefined => (err instanceof BindwallError ? err.code : undefined);

test('a user and their Okta Verify factors; a push approved, one denied, one left to time out', async (t) => {
  const { sim, client, deadline, clock } = await setup(t);
  const user = await client.getUser('alice@corp.example', deadline());
  t.like(user, { status: 'ACTIVE', login: 'alice@corp.example' });
  const factors = await client.listFactors(user.id, deadline());
  t.deepEqual(factors.map((f) => [f.factorType, f.provider, f.status]), [['push', 'OKTA', 'ACTIVE'], ['token:software:totp', 'OKTA', 'ACTIVE']]);
  const push = factors[0]!;
  t.true(push.verifyHref!.startsWith(`${sim.url}/api/v1/users/${user.id}/factors/`), 'links are absolute');

  const started = await client.startPush(push, { clientIp: '10.9.9.9', userAgent: 'bindwall (app vpn; endpoint 10.9.9.9)' }, deadline());
  t.is(await client.pollPush(started.pollHref, deadline()), 'WAITING');
  t.truthy(started.expiresAt);
  t.like(sim.requests.at(-2), { forwardedFor: '10.9.9.9', userAgent: 'bindwall (app vpn; endpoint 10.9.9.9)' });
  sim.state.answer(sim.state.latestPending('alice@corp.example')!.id, true);
  t.is(await client.pollPush(started.pollHref, deadline()), 'SUCCESS');

  const denied = await client.startPush(push, { numberMatching: true }, deadline());
  t.true(denied.correctAnswer! >= 10 && denied.correctAnswer! < 100, 'number matching shows a number');
  sim.state.answer(sim.state.latestPending('alice@corp.example')!.id, false);
  t.is(await client.pollPush(denied.pollHref, deadline()), 'REJECTED');

  const ignored = await client.startPush(push, {}, deadline());
  clock.advance(300_001);
  t.is(await client.pollPush(ignored.pollHref, deadline()), 'TIMEOUT');
  t.true(await client.cancelPush((await client.startPush(push, {}, deadline())).cancelHref!, deadline()));
});

test('TOTP: the right code passes once, a wrong one fails, a replay is refused, five wrong codes lock the user', async (t) => {
  const { client, deadline, alice, clock } = await setup(t);
  const factors = await client.listFactors(alice.id, deadline());
  const otp = factors.find((f) => f.factorType === 'token:software:totp')!;
  const secret = alice.factors.find((f) => f.secret)!.secret!;
  const right = totp(secret, clock.now());
  t.is(await client.verifyPasscode(otp, right, deadline()), 'SUCCESS');
  t.is(await client.verifyPasscode(otp, right, deadline()), 'REPLAYED');
  t.is(await client.verifyPasscode(otp, right === '000000' ? '111111' : '000000', deadline()), 'INVALID');
  for (let i = 0; i < 4; i++) await client.verifyPasscode(otp, '000001', deadline());
  t.is(await client.verifyPasscode(otp, totp(secret, clock.now() + 30_000), deadline()), 'LOCKED');
  const push = factors.find((f) => f.factorType === 'push')!;
  const err = await t.throwsAsync(client.startPush(push, {}, deadline()));
  t.is(code(err), ErrorCode.OktaUserLocked);
});

test('an unknown user, a bad token and an unreachable Okta are clear, typed errors without secrets', async (t) => {
  const { client, sim, clock, deadline } = await setup(t);
  t.is(code(await t.throwsAsync(client.getUser('nobody@corp.example', deadline()))), ErrorCode.OktaUserUnknown);
  const bad = new OktaClient({ orgUrl: sim.url, auth: { type: 'ssws', token: new Secret('wrong-token-123') }, requestTimeoutMs: 2_000, maxRateLimitWaitMs: 1_000, clock, userAgent: 'x' });
  const err = await t.throwsAsync(bad.getUser('alice@corp.example', deadline()));
  t.is(code(err), ErrorCode.OktaAuth);
  t.notRegex(JSON.stringify({ m: err!.message, d: (err as BindwallError).details }), /wrong-token-123/);
  await sim.stop();
  const down = await t.throwsAsync(client.getUser('alice@corp.example', deadline()));
  t.is(code(down), ErrorCode.OktaUnavailable);
  t.notRegex(down!.message, new RegExp(TOKEN));
});

test('429: the client waits for X-Rate-Limit-Reset (Okta\'s Date), retries with X-Okta-Retry-Count, and gives up past its deadline', async (t) => {
  const { client, sim, clock, deadline } = await setup(t, { rateLimitPerMinute: 2 });
  await client.getUser('alice@corp.example', deadline());
  await client.getUser('alice@corp.example', deadline());
  const third = client.getUser('alice@corp.example', clock.now() + 120_000);
  for (let i = 0; i < 200 && !sim.requests.some((r) => r.path.includes('alice') && sim.requests.length >= 3); i++) await new Promise((r) => setImmediate(r));
  // Let the 429 arrive and the client schedule its wait, then move time past the reset.
  for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 5));
  clock.advance(61_000);
  t.like(await third, { login: 'alice@corp.example' });
  t.is(sim.requests.at(-1)!.retryCount, '1');
  // A reset beyond the deadline is not waited for (the retry opened a new window; one call is left in it).
  await client.getUser('alice@corp.example', deadline());
  const err = await t.throwsAsync(client.getUser('alice@corp.example', clock.now() + 5_000));
  t.is(code(err), ErrorCode.OktaRateLimited);
});

test('OAuth service app: private_key_jwt client credentials, token cached, scopes enforced', async (t) => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const apps = { serviceApps: [
    { clientId: '0oa-manage', publicKey: rsa.publicKey, scopes: ['okta.users.manage'] },
    { clientId: '0oa-read', publicKey: ec.publicKey, scopes: ['okta.users.read'] },
  ] };
  const { client, sim, deadline, alice } = await setup(t, { apps, auth: () => ({ type: 'oauth', clientId: '0oa-manage', privateKey: rsa.privateKey, scopes: ['okta.users.manage'] }) });
  await client.getUser('alice@corp.example', deadline());
  const factors = await client.listFactors(alice.id, deadline());
  await client.startPush(factors[0]!, {}, deadline());
  t.is(sim.requests.filter((r) => r.path === '/oauth2/v1/token').length, 1, 'one token for many calls');
  const reader = new OktaClient({ orgUrl: sim.url, auth: { type: 'oauth', clientId: '0oa-read', privateKey: ec.privateKey, scopes: ['okta.users.read'] }, requestTimeoutMs: 2_000, maxRateLimitWaitMs: 1_000, clock: (client as unknown as { clock?: ManualClock }).clock ?? new ManualClock(Date.UTC(2026, 10, 20, 9, 0)), userAgent: 'x' });
  t.truthy(await reader.getUser('alice@corp.example', Date.UTC(2026, 10, 20, 10, 0)));
  const err = await t.throwsAsync(reader.startPush(factors[0]!, {}, Date.UTC(2026, 10, 20, 10, 0)));
  t.is(code(err), ErrorCode.OktaAuth, 'verify needs okta.users.manage');
  const stranger = new OktaClient({ orgUrl: sim.url, auth: { type: 'oauth', clientId: '0oa-manage', privateKey: ec.privateKey, scopes: ['okta.users.manage'] }, requestTimeoutMs: 2_000, maxRateLimitWaitMs: 1_000, clock: new ManualClock(Date.UTC(2026, 10, 20, 9, 0)), userAgent: 'x' });
  t.is(code(await t.throwsAsync(stranger.getUser('alice@corp.example', Date.UTC(2026, 10, 20, 10, 0)))), ErrorCode.OktaAuth, 'a key that is not the app\'s');
});

test('response actions: sessions cleared, a user suspended (once), factors reset — each in the System Log; a read-only service app may not', async (t) => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const { sim, client, deadline, alice, clock } = await setup(t, { apps: { serviceApps: [{ clientId: '0oa-read', publicKey: ec.publicKey, scopes: ['okta.users.read'] }] } });
  await client.clearSessions(alice.id, deadline());
  t.is(alice.sessionsCleared, 1);
  t.is(await client.suspend(alice.id, deadline()), 'suspended');
  t.is(alice.status, 'SUSPENDED');
  t.is(await client.suspend(alice.id, deadline()), 'not_active', 'a user that is not active is left as it is');
  await client.resetFactors(alice.id, deadline());
  t.deepEqual(alice.factors, []);
  const types = sim.log.query({ limit: '100' }).events.map((e) => e.eventType);
  t.deepEqual(types.filter((x) => x.startsWith('user.session') || x.startsWith('user.lifecycle') || x === 'user.mfa.factor.reset_all'), ['user.session.clear', 'user.lifecycle.suspend', 'user.mfa.factor.reset_all']);
  const reader = new OktaClient({ orgUrl: sim.url, auth: { type: 'oauth', clientId: '0oa-read', privateKey: ec.privateKey, scopes: ['okta.users.read'] }, requestTimeoutMs: 2_000, maxRateLimitWaitMs: 1_000, clock, userAgent: 'x' });
  const denied = await t.throwsAsync(reader.clearSessions(alice.id, deadline()));
  t.is(code(denied), ErrorCode.OktaAuth);
});
