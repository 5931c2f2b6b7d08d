/**
 * Fidelity of the Okta simulator, checked with Okta's own Node SDK (@okta/okta-sdk-nodejs) as
 * an independent client: if the SDK reads our users, factors, push transactions, error bodies
 * and rate-limit headers the way it reads Okta's, the simulator speaks the same API.
 */
import test from 'ava';
import { createRequire } from 'node:module';
import { OktaSimulator } from '../../src/okta/simulator/server.js';
import { totp } from '../../src/okta/totp.js';
import { ManualClock } from '../../src/util/clock.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const okta = require('@okta/okta-sdk-nodejs') as any;
const TOKEN = 'sdk-fidelity-token-01';

async function setup(t: { teardown(fn: () => unknown): void }, o: { rateLimitPerMinute?: number; clock?: ManualClock } = {}) {
  const sim = new OktaSimulator({ apiTokens: [TOKEN], ...(o.rateLimitPerMinute ? { rateLimitPerMinute: o.rateLimitPerMinute } : {}), ...(o.clock ? { clock: o.clock } : {}) });
  await sim.start();
  t.teardown(() => sim.stop());
  const user = sim.state.addUser({ login: 'alice@corp.example', firstName: 'Alice', lastName: 'Archer' });
  const client = new okta.Client({ orgUrl: sim.url, token: TOKEN, cacheMiddleware: null });
  return { sim, user, client };
}

test('the SDK reads a user, lists factors, sends a push, polls it to SUCCESS and verifies TOTP', async (t) => {
  const { sim, user, client } = await setup(t);
  const u = await client.userApi.getUser({ userId: 'alice@corp.example' });
  t.is(u.id, user.id);
  t.is(u.profile.login, 'alice@corp.example');
  t.is(u.status, 'ACTIVE');
  const factors: { id: string; factorType: string; provider: string; status: string }[] = [];
  for await (const f of await client.userFactorApi.listFactors({ userId: user.id })) factors.push(f);
  t.deepEqual(factors.map((f) => [f.factorType, f.provider, f.status]), [['push', 'OKTA', 'ACTIVE'], ['token:software:totp', 'OKTA', 'ACTIVE']]);
  const push = factors[0]!;
  const waiting = await client.userFactorApi.verifyFactor({ userId: user.id, factorId: push.id });
  t.is(waiting.factorResult, 'WAITING');
  const poll: string = waiting._links.poll.href;
  const transactionId = poll.split('/').pop()!;
  t.is((await client.userFactorApi.getFactorTransactionStatus({ userId: user.id, factorId: push.id, transactionId })).factorResult, 'WAITING');
  sim.state.answer(sim.state.latestPending('alice@corp.example')!.id, true);
  t.is((await client.userFactorApi.getFactorTransactionStatus({ userId: user.id, factorId: push.id, transactionId })).factorResult, 'SUCCESS');
  const secret = user.factors[1]!.secret!;
  const ok = await client.userFactorApi.verifyFactor({ userId: user.id, factorId: factors[1]!.id, body: { passCode: totp(secret, Date.now()) } });
  t.is(ok.factorResult, 'SUCCESS');
});

test('the SDK surfaces the simulator\'s errors as Okta API errors with Okta\'s codes', async (t) => {
  const { user, client } = await setup(t);
  const missing = await t.throwsAsync(client.userApi.getUser({ userId: 'nobody@corp.example' }), { any: true }) as unknown as { status: number; errorCode: string; errorSummary: string };
  t.is(missing.status, 404);
  t.is(missing.errorCode, 'E0000007');
  const factors: { id: string; factorType: string }[] = [];
  for await (const f of await client.userFactorApi.listFactors({ userId: user.id })) factors.push(f);
  const wrong = await t.throwsAsync(client.userFactorApi.verifyFactor({ userId: user.id, factorId: factors[1]!.id, body: { passCode: '000000' } }), { any: true }) as unknown as { status: number; errorCode: string; errorCauses: { errorSummary: string }[]; message: string };
  t.is(wrong.status, 403);
  t.is(wrong.errorCode, 'E0000068');
  t.regex(wrong.message, /Okta HTTP 403 E0000068 Invalid Passcode\/Answer\. Your passcode doesn't match our records/);
  const bad = new okta.Client({ orgUrl: (client as { baseUrl: string }).baseUrl, token: 'not-the-token', cacheMiddleware: null });
  const denied = await t.throwsAsync(bad.userApi.getUser({ userId: user.id }), { any: true }) as unknown as { status: number; errorCode: string };
  t.is(denied.status, 401);
  t.is(denied.errorCode, 'E0000011');
});

test('the SDK honours the simulator\'s 429 and X-Rate-Limit-Reset, and retries with X-Okta-Retry-Count', async (t) => {
  const clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 0, 0));
  const { sim, user, client } = await setup(t, { rateLimitPerMinute: 1, clock });
  await client.userApi.getUser({ userId: user.id });
  // Near the end of the window: the SDK's wait (Reset − Date + 1 s) is about a second.
  clock.advance(59_500);
  const retried = client.userApi.getUser({ userId: user.id });
  for (let i = 0; i < 200 && sim.requests.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
  clock.advance(1_000); // the window resets before the SDK retries
  t.is((await retried).id, user.id);
  t.is(sim.requests.at(-1)!.retryCount, '1');
});
