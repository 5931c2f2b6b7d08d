/**
 * The Okta challenger's own rules on a ManualClock, against the simulator: a passed
 * challenge is remembered for a while, prompts per account are capped (push-bombing
 * guard), and the poll loop gives up at the challenge deadline.
 */
import test from 'ava';
import { EventMapper } from '../../src/behavior/logon-event.js';
import { createLogger } from '../../src/log/logger.js';
import { Secret } from '../../src/log/secret.js';
import { Challenges } from '../../src/mfa/challenges.js';
import { OktaChallenger, pollDelayMs } from '../../src/mfa/okta-challenger.js';
import { OktaClient } from '../../src/okta/client.js';
import { OktaSimulator } from '../../src/okta/simulator/server.js';
import type { BindAttempt, ChallengeDecision } from '../../src/proxy/decision.js';
import { ManualClock } from '../../src/util/clock.js';

const decision: ChallengeDecision = { action: 'challenge', method: 'push', ruleId: 'r' };

async function setup(t: { teardown(fn: () => unknown): void }, o: { rememberMs?: number; maxPrompts?: number } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 20, 9, 0));
  const sim = new OktaSimulator({ clock, apiTokens: ['tok'] });
  await sim.start();
  t.teardown(() => sim.stop());
  sim.state.addUser({ login: 'alice@corp.example' });
  const client = new OktaClient({ orgUrl: sim.url, auth: { type: 'ssws', token: new Secret('tok') }, requestTimeoutMs: 2_000, maxRateLimitWaitMs: 0, clock, userAgent: 't' });
  const challenger = new OktaChallenger({
    client, clock, log: createLogger({ level: 'silent' }), mapper: new EventMapper(),
    challenges: new Challenges({ rememberMs: o.rememberMs ?? 0, maxPrompts: o.maxPrompts ?? 5, promptWindowMs: 900_000 }, clock),
    loginTemplate: '{account}@corp.example', challengeTimeoutMs: 30_000, pollIntervalMs: 1_000, numberMatching: false,
    defaultFailMode: 'secure', unenrolled: 'secure', isKnownEndpoint: () => false, userAgent: 't',
  });
  const attempt = (endpoint = '10.1.1.1'): BindAttempt => ({
    connectionId: 1, listener: 'ldap', clientAddress: endpoint, clientPort: 1, bindDn: 'uid=alice,ou=people,dc=x', tls: false,
    receivedAt: clock.now(), signal: new AbortController().signal,
  });
  /** Answers the next push, advancing time so the challenger's poll sees it. */
  const answer = async (approve: boolean): Promise<void> => {
    for (let i = 0; i < 500 && !sim.state.latestPending('alice@corp.example'); i++) await new Promise((r) => setImmediate(r));
    sim.state.answer(sim.state.latestPending('alice@corp.example')!.id, approve);
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { sim, clock, challenger, attempt, answer };
}

const verifies = (sim: OktaSimulator): number => sim.requests.filter((r) => r.path.endsWith('/verify')).length;

test('a passed challenge is remembered for the same login, not for another endpoint, and not after rememberMs', async (t) => {
  const { sim, clock, challenger, attempt, answer } = await setup(t, { rememberMs: 60_000 });
  const first = challenger.run(attempt(), decision);
  await answer(true);
  t.like(await first, { result: 'passed', method: 'push' });
  t.like(await challenger.run(attempt(), decision), { result: 'passed', via: 'remembered' });
  t.is(verifies(sim), 1);
  const elsewhere = challenger.run(attempt('10.2.2.2'), decision);
  await answer(true);
  t.like(await elsewhere, { result: 'passed', method: 'push' });
  clock.advance(61_000);
  const later = challenger.run(attempt(), decision);
  await answer(false);
  t.like(await later, { result: 'failed', failure: 'denied' });
  t.is(verifies(sim), 3);
});

test('push-bombing guard: after maxPrompts in the window no push is sent; the window moves on', async (t) => {
  const { sim, clock, challenger, attempt, answer } = await setup(t, { maxPrompts: 2 });
  for (let i = 0; i < 2; i++) {
    const r = challenger.run(attempt(), decision);
    await answer(false);
    t.like(await r, { failure: 'denied' });
  }
  t.like(await challenger.run(attempt(), decision), { result: 'failed', failure: 'prompt_limit' });
  t.is(verifies(sim), 2, 'no third push');
  clock.advance(900_001);
  const r = challenger.run(attempt(), decision);
  await answer(true);
  t.like(await r, { result: 'passed' });
});

test('a push nobody answers fails at the challenge deadline and is cancelled', async (t) => {
  const { sim, clock, challenger, attempt } = await setup(t);
  const r = challenger.run(attempt(), decision);
  for (let i = 0; i < 500 && !sim.state.latestPending('alice@corp.example'); i++) await new Promise((res) => setImmediate(res));
  const id = sim.state.latestPending('alice@corp.example')!.id;
  for (let i = 0; i < 40; i++) {
    clock.advance(1_000);
    await new Promise((res) => setTimeout(res, 2));
  }
  t.like(await r, { result: 'failed', failure: 'timed_out' });
  t.is(sim.state.transaction(id)!.result, 'TIMEOUT');
});

test('an older push is polled less often: every pollIntervalMs while young, then a tenth of its age (at most 30 s)', async (t) => {
  t.is(pollDelayMs(1_000, 0), 1_000);
  t.is(pollDelayMs(1_000, 9_000), 1_000);
  t.is(pollDelayMs(1_000, 60_000), 6_000);
  t.is(pollDelayMs(1_000, 3_600_000), 30_000);
  const { sim, clock, challenger, attempt } = await setup(t);
  const polls = (): number => sim.requests.filter((r) => r.method === 'GET' && r.path.includes('/transactions/')).length;
  const r = challenger.run(attempt(), decision);
  for (let i = 0; i < 500 && !sim.state.latestPending('alice@corp.example'); i++) await new Promise((res) => setImmediate(res));
  const id = sim.state.latestPending('alice@corp.example')!.id;
  // The challenger sleeps between polls on the clock: after each step, wait until it sleeps
  // again (a poll's HTTP round trip takes real time, more on a loaded machine), bounded.
  let settled = false;
  void r.then(() => { settled = true; });
  const sleeps = async (n: number): Promise<void> => {
    for (let k = 0; k < 1_000 && clock.pendingTimers < n && !settled; k++) await new Promise((res) => setTimeout(res, 2));
  };
  await sleeps(1);
  const asleep = clock.pendingTimers;
  // 25 s of a 30 s challenge at one-second steps: ten polls in the first ten seconds, then fewer.
  for (let i = 0; i < 25; i++) {
    clock.advance(1_000);
    await sleeps(asleep);
  }
  const n = polls();
  t.true(n >= 10 && n <= 20, `${n} polls in 25 s, not 25`);
  sim.state.answer(id, true);
  for (let i = 0; i < 5; i++) {
    clock.advance(1_000);
    await sleeps(asleep);
  }
  t.like(await r, { result: 'passed' });
});
