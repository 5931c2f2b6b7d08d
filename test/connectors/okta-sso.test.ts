/**
 * The Okta SSO connector against the Okta simulator's System Log, on a ManualClock: polling
 * semantics (since once, then the next link, present even on an empty page), the cursor saved
 * after each page so a restart resumes with no gap and no duplicate, half the rate-limit
 * bucket, 429 and token errors as health states a person can act on; and Okta's own SDK reads
 * the simulator's System Log as it reads Okta's.
 */
import test from 'ava';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OktaLogPoller } from '../../src/connectors/okta-sso/poller.js';
import { logonFromOkta, type OktaLogEvent } from '../../src/connectors/okta-sso/mapping.js';
import type { LogonEvent } from '../../src/behavior/logon-event.js';
import { silentLogger } from '../../src/log/logger.js';
import { Secret } from '../../src/log/secret.js';
import { OktaClient } from '../../src/okta/client.js';
import { OktaSimulator } from '../../src/okta/simulator/server.js';
import { ConnectorStore } from '../../src/store/connector-store.js';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/util/clock.js';

const TOKEN = 'connector-token-01';
const T0 = Date.UTC(2026, 10, 30, 8, 0);

async function world(t: { teardown(fn: () => unknown): void }, o: { logsRateLimitPerMinute?: number } = {}) {
  const clock = new ManualClock(T0);
  const sim = new OktaSimulator({ apiTokens: [TOKEN], clock, ...o });
  await sim.start();
  t.teardown(() => sim.stop());
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-connector-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = openDatabase(join(dir, 'bindwall.db'));
  t.teardown(() => db.close());
  const store = new ConnectorStore(db);
  const client = (token = TOKEN): OktaClient => new OktaClient({ orgUrl: sim.url, auth: { type: 'ssws', token: new Secret(token) }, requestTimeoutMs: 5_000, maxRateLimitWaitMs: 0, clock, userAgent: 'test', maxResponseBytes: 16 * 1024 * 1024 });
  const seen: OktaLogEvent[] = [];
  const poller = (o2: { token?: string; pageLimit?: number; maxPagesPerPoll?: number } = {}): OktaLogPoller => new OktaLogPoller({
    name: 'okta-sso', source: client(o2.token), store, clock, log: silentLogger(), onEvent: (e) => seen.push(e),
    pollIntervalMs: 30_000, lookbackMs: 3_600_000, pageLimit: o2.pageLimit ?? 100, maxPagesPerPoll: o2.maxPagesPerPoll ?? 20, requestTimeoutMs: 5_000, staleAfterMs: 15 * 60_000,
  });
  const signIn = (login: string, at: number, ip = '81.2.69.160'): void => {
    sim.log.append({ eventType: 'user.session.start', at, actor: { alternateId: login }, client: { ipAddress: ip }, outcome: { result: 'SUCCESS' } });
  };
  return { clock, sim, store, seen, poller, signIn, client };
}


/** An Okta simulator (SSWS TOKEN) that stops with the test. */
async function startedSim(t: { teardown(fn: () => unknown): void }): Promise<OktaSimulator> {
  const sim = new OktaSimulator({ apiTokens: [TOKEN] });
  await sim.start();
  t.teardown(() => sim.stop());
  return sim;
}

/** A real slapd that stops with the test. */
async function startedSlapd(t: { teardown(fn: () => unknown): void }) {
  const { startSlapd } = await import('../helpers/slapd.js');
  const slapd = await startSlapd();
  t.teardown(() => slapd.stop());
  return slapd;
}

test('polls from since, then follows next (empty pages included); a restart resumes with no gap and no duplicate', async (t) => {
  const w = await world(t);
  w.sim.log.append({ eventType: 'user.session.start', at: T0 - 7_200_000, actor: { alternateId: 'old@corp.example' } }); // before the lookback
  for (let i = 0; i < 250; i++) w.signIn(`user${i}@corp.example`, T0 - 1_800_000 + i * 1000);
  const first = w.poller({ maxPagesPerPoll: 2 });
  await first.poll();
  t.is(w.seen.length, 200, 'two pages of 100, then it stops for this poll');
  t.like(first.health, { state: 'ok', events: 200 });
  // A restart: a new poller on the same storage carries on from the saved cursor.
  const second = w.poller();
  for (let i = 250; i < 260; i++) w.signIn(`user${i}@corp.example`, T0 + i);
  await second.poll();
  t.is(w.seen.length, 260);
  t.is(new Set(w.seen.map((e) => e.uuid)).size, 260, 'no duplicate');
  t.deepEqual(w.seen.map((e) => e.actor!.alternateId), Array.from({ length: 260 }, (_, i) => `user${i}@corp.example`), 'no gap, in order; the event before the lookback is not read');
  await second.poll();
  t.is(w.seen.length, 260, 'caught up: an empty page, and its next link kept');
  w.signIn('late@corp.example', T0 + 5_000);
  await second.poll();
  t.is(w.seen.at(-1)!.actor!.alternateId, 'late@corp.example');
  const logs = w.sim.requests.filter((r) => r.path === '/api/v1/logs');
  t.true(logs.length >= 6);
});

test('stays under half the bucket; a 429 is degraded with when it resumes; a bad token is failing with what to fix', async (t) => {
  const w = await world(t, { logsRateLimitPerMinute: 10 });
  for (let i = 0; i < 1_000; i++) w.signIn(`u${i}@corp.example`, T0 - 600_000 + i);
  const p = w.poller({ pageLimit: 50, maxPagesPerPoll: 100 });
  await p.poll();
  t.is(w.sim.requests.filter((r) => r.path === '/api/v1/logs').length, 5, 'five of the ten a minute, then it waits for the window');
  t.like(p.health, { state: 'degraded', code: 'BW_OKTA_RATE_LIMITED' });
  await p.poll();
  t.is(w.seen.length, 250, 'nothing before the reset');
  w.clock.advance(61_000);
  await p.poll();
  t.is(w.seen.length, 500);
  w.sim.failLogs = { status: 429, count: 1 };
  w.clock.advance(61_000);
  await p.poll();
  t.like(p.health, { state: 'degraded', code: 'BW_OKTA_RATE_LIMITED' });
  t.regex(p.health.reason!, /rate-limited by Okta; resuming in \d+ s/);
  const bad = w.poller({ token: 'revoked-token-9' });
  await bad.poll();
  t.like(bad.health, { state: 'failing', code: 'BW_OKTA_AUTH' });
  t.regex(bad.health.reason!, /check connectors\.oktaSso's API token/);
  t.false(JSON.stringify(bad.health).includes('revoked-token-9'), 'the token is never in the health');
  t.like(w.store.health().find((h) => h.name === 'okta-sso'), { state: 'failing' }, 'stored for bindwall connectors');
});

test('sign-ins and SSO map to logons of the same canonical account; other events are left alone', (t) => {
  const base = { uuid: 'u', published: new Date(T0).toISOString(), actor: { type: 'User', alternateId: 'Alice@Corp.Example' }, client: { ipAddress: '81.2.69.160' } };
  t.like(logonFromOkta({ ...base, eventType: 'user.session.start', outcome: { result: 'SUCCESS' } }), { account: 'alice', app: 'okta', result: 'success', source: 'okta', endpoint: '81.2.69.160', kind: 'human' });
  t.like(logonFromOkta({ ...base, eventType: 'user.authentication.sso', outcome: { result: 'SUCCESS' }, target: [{ type: 'AppInstance', displayName: 'Salesforce' }] }), { app: 'okta:Salesforce' });
  t.like(logonFromOkta({ ...base, eventType: 'user.session.start', outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' } }), { result: 'bad_password' });
  t.like(logonFromOkta({ ...base, eventType: 'user.session.start', actor: { type: 'PublicClientApp', alternateId: 'svc-sync' }, outcome: { result: 'SUCCESS' } }), { kind: 'service' });
  t.is(logonFromOkta({ ...base, eventType: 'user.mfa.factor.activate', outcome: { result: 'SUCCESS' } }), undefined);
  t.is(logonFromOkta({ ...base, eventType: 'policy.evaluate_sign_on', outcome: { result: 'CHALLENGE' } }), undefined);
});

test('the simulator\'s System Log: bounded queries end, filters, bad parameters are Okta\'s 400s; the SDK reads it', async (t) => {
  const w = await world(t);
  for (let i = 0; i < 30; i++) w.signIn(`s${i}@corp.example`, T0 - 60_000 + i * 1000);
  w.sim.log.append({ eventType: 'user.authentication.sso', at: T0 - 10_000, actor: { alternateId: 's1@corp.example' }, target: [{ id: '0oa1', type: 'AppInstance', alternateId: 'sf', displayName: 'Salesforce', detailEntry: null }] });
  const since = new Date(T0 - 120_000).toISOString();
  const until = new Date(T0).toISOString();
  const c = w.client();
  const bounded = await c.logPage(`${w.sim.url}/api/v1/logs?since=${since}&until=${until}&limit=1000`, T0 + 5_000);
  t.is(bounded.events.length, 31);
  t.is(bounded.next, undefined, 'a bounded query that fits one page has no next link');
  const sso = await c.logPage(`${w.sim.url}/api/v1/logs?since=${since}&filter=${encodeURIComponent('eventType eq "user.authentication.sso" and actor.alternateId sw "s1"')}`, T0 + 5_000);
  t.is(sso.events.length, 1);
  t.truthy(sso.next, 'polling: a next link');
  const badFilter = await t.throwsAsync(c.logPage(`${w.sim.url}/api/v1/logs?filter=${encodeURIComponent('eventType === "x"')}`, T0 + 5_000));
  t.regex(badFilter!.message, /HTTP 400 E0000053/);
  const both = await t.throwsAsync(c.logPage(`${w.sim.url}/api/v1/logs?since=${since}&after=abc`, T0 + 5_000));
  t.regex(both!.message, /HTTP 400 E0000053/);
  const require = createRequire(import.meta.url);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const okta = require('@okta/okta-sdk-nodejs') as any;
  const sdk = new okta.Client({ orgUrl: w.sim.url, token: TOKEN, cacheMiddleware: null });
  const got: { uuid: string; eventType: string; actor: { alternateId: string } }[] = [];
  for await (const e of await sdk.systemLogApi.listLogEvents({ since, until, limit: 10 })) got.push(e);
  t.is(got.length, 31, 'the SDK follows the next links of a bounded query to its end');
  t.is(got[0]!.actor.alternateId, 's0@corp.example');
});

test('one person, one baseline: an LDAP bind through bindwall and an Okta sign-in land in the same account; bindwall connectors says ok', async (t) => {
  const { BASE_DN } = await import('../helpers/slapd.js');
  const { startProxy } = await import('../helpers/proxy.js');
  const { bindFrom } = await import('../helpers/bind-from.js');
  const { spawnBindwall } = await import('../helpers/cli.js');
  const { startConnectors } = await import('../../src/connectors/setup.js');
  const slapd = await startedSlapd(t);
  const sim = await startedSim(t);
  const p = await startProxy({ directory: { urls: [slapd.url] }, connectors: { oktaSso: { orgUrl: sim.url, apiToken: TOKEN, pollIntervalMs: 5_000 } } }, { behavior: true });
  t.teardown(() => p.stop());
  t.is((await bindFrom(p.url, '127.0.0.81', `uid=alice,ou=people,${BASE_DN}`, 'Alice-Pass-1')).resultCode, 0);
  sim.state.addUser({ login: 'alice@corp.example', apps: ['Salesforce', 'Slack'], totp: false });
  sim.log.append({ eventType: 'user.authentication.sso', actor: { alternateId: 'alice@corp.example' }, client: { ipAddress: '81.2.69.160' }, target: [{ id: '0oa1', type: 'AppInstance', alternateId: 'sf', displayName: 'Salesforce', detailEntry: null }] });
  const db = openDatabase(p.config.storage.path);
  t.teardown(() => db.close());
  const connectors = (await startConnectors(p.config, silentLogger(), { db, behavior: p.behavior, version: 'test', autoStart: false }))!;
  t.teardown(() => connectors.stop());
  await connectors.pollNow();
  t.like(connectors.health()[0], { name: 'okta-sso', state: 'ok', events: 1 });
  t.like(p.behavior!.cloudFacts!('alice'), { status: 'ACTIVE', factors: ['push'], apps: ['Salesforce', 'Slack'] }, 'what Okta says of her, looked up in the background');
  const alice = p.behavior!.engine.account('alice')!;
  t.true(alice.endpoints.has('127.0.0.81') && alice.endpoints.has('81.2.69.160'), 'on-prem and cloud endpoints in one baseline');
  t.true(alice.apps.has('okta:Salesforce'));
  p.behavior!.flush();
  const risk = spawnBindwall(['risk', 'show', 'alice', '--db', p.config.storage.path, '--json']);
  t.is(await risk.exited, 0, risk.stderr());
  const view = JSON.parse(risk.stdout()) as { apps: { app: string }[]; cloud: { access: boolean; apps: string[]; lastFrom?: string } };
  t.true(view.apps.some((a) => a.app === 'okta:Salesforce'), 'risk show has the cloud app');
  t.like(view.cloud, { access: true, apps: ['okta:Salesforce'], lastFrom: '81.2.69.160' });
  const text = spawnBindwall(['risk', 'show', 'alice', '--db', p.config.storage.path]);
  t.is(await text.exited, 0);
  t.regex(text.stdout(), /cloud: 1 app \(okta:Salesforce\), last sign-in \d+ min ago from 81\.2\.69\.160/);
  t.regex(text.stdout(), /Okta: ACTIVE; factors push; 2 assigned apps \(Salesforce, Slack\)/);
  const explain = spawnBindwall(['policy', 'explain', '--user', 'alice', '--endpoint', '10.9.9.9', '--db', p.config.storage.path]);
  t.is(await explain.exited, 0, explain.stderr());
  t.regex(explain.stdout(), /Cloud {5}1 app \(okta:Salesforce\).*; Okta: ACTIVE, factors push, 2 assigned apps/);
  const probe: LogonEvent = { time: Date.now(), account: 'alice', bindName: 'alice', kind: 'human', endpoint: '127.0.0.81', subnet: '127.0.0.0/24', app: 'test', result: 'success' };
  t.like(p.behavior!.engine.assess(probe).cloud, { access: true, apps: 1 }, 'decisions see it');
  // …and a policy can ask: cloud: { access: true }.
  const { writeFileSync } = await import('node:fs');
  const { loadPolicyDir } = await import('../../src/policy/compile.js');
  const pdir = mkdtempSync(join(tmpdir(), 'bindwall-cloud-policy-'));
  t.teardown(() => rmSync(pdir, { recursive: true, force: true }));
  writeFileSync(join(pdir, 'p.yaml'), 'version: 1\nrules:\n  - id: cloud-users-step-up\n    description: People who work in the cloud step up from new places.\n    when: { cloud: { access: true }, signals: [new_endpoint] }\n    action: mfa\ndefault: { action: approve }\n');
  const { policy } = loadPolicyDir(pdir);
  const base = { time: Date.now(), account: 'alice', bindDn: 'alice', kind: 'human' as const, endpoint: '10.0.0.1', app: 'ldap', tls: false, facts: null, score: 30, signals: ['new_endpoint'], accountRisk: 0, endpointRisk: 0, quarantined: false };
  t.is(policy!.decide({ ...base, cloudAccess: true }).action, 'mfa');
  t.is(policy!.decide({ ...base, cloudAccess: false }).action, 'approve');
  writeFileSync(join(pdir, 'p.yaml'), 'version: 1\nrules:\n  - id: no-push-no-entry\n    description: Without Okta Verify push enrolled, a new place is refused.\n    when: { not: { cloud: { factors: [push] } }, signals: [new_endpoint] }\n    action: block\ndefault: { action: approve }\n');
  const { policy: p2 } = loadPolicyDir(pdir);
  t.is(p2!.decide({ ...base, okta: { status: 'ACTIVE', factors: ['push'], apps: [] } }).action, 'approve');
  t.is(p2!.decide({ ...base, okta: { status: 'ACTIVE', factors: ['token:software:totp'], apps: [] } }).action, 'block');
  const health = spawnBindwall(['connectors', '--db', p.config.storage.path, '--json']);
  t.is(await health.exited, 0, health.stderr());
  t.like((JSON.parse(health.stdout()) as { name: string; state: string }[])[0], { name: 'okta-sso', state: 'ok' });
});

test('config check --connect reads one System Log page with the connector\'s credentials; a bad token is an error with its fix, never echoed', async (t) => {
  const { writeFileSync } = await import('node:fs');
  const { spawnBindwall } = await import('../helpers/cli.js');
  const sim = await startedSim(t);
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-connector-check-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const check = async (token: string): Promise<{ code: number | null; out: string; err: string }> => {
    writeFileSync(join(dir, 'okta.token'), `${token}\n`);
    writeFileSync(join(dir, 'c.yaml'), `listeners:\n  - name: edge\n    port: 0\ndirectory:\n  urls: [ldap://127.0.0.1:1]\nconnectors:\n  oktaSso:\n    orgUrl: ${sim.url}\n    apiTokenFile: okta.token\nstorage:\n  path: data/bindwall.db\n`);
    const c = spawnBindwall(['config', 'check', join(dir, 'c.yaml'), '--connect', '--json'], { cwd: dir });
    return { code: await c.exited, out: c.stdout(), err: c.stderr() };
  };
  const good = await check(TOKEN);
  const report = JSON.parse(good.out) as { connections: { what: string; ok: boolean; code?: string }[] };
  t.like(report.connections.find((c) => c.what.startsWith('Okta System Log')), { ok: true });
  const bad = await check('not-the-token-77');
  const badReport = JSON.parse(bad.out) as { connections: { what: string; ok: boolean; code?: string }[] };
  t.like(badReport.connections.find((c) => c.what.startsWith('Okta System Log')), { ok: false, code: 'BW_OKTA_AUTH' });
  t.regex(bad.err, /fix: check connectors\.oktaSso's API token/);
  t.false(`${bad.out}${bad.err}`.includes('not-the-token-77'));
});

test('event hooks: the verification GET is echoed, an authenticated batch is taken in once (the poll skips it), an unauthenticated POST is refused', async (t) => {
  const { writeFileSync } = await import('node:fs');
  const { startProxy } = await import('../helpers/proxy.js');
  const { startConnectors } = await import('../../src/connectors/setup.js');
  const slapd = await startedSlapd(t);
  const sim = await startedSim(t);
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-hook-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'hook.secret'), 'Hook-Secret-0123456789\n');
  const p = await startProxy({
    directory: { urls: [slapd.url] },
    connectors: { oktaSso: { orgUrl: sim.url, apiToken: TOKEN, eventHook: { port: 0, secretFile: join(dir, 'hook.secret') } } },
  }, { behavior: true });
  t.teardown(() => p.stop());
  const db = openDatabase(p.config.storage.path);
  t.teardown(() => db.close());
  const connectors = (await startConnectors(p.config, silentLogger(), { db, behavior: p.behavior, version: 'test', autoStart: false }))!;
  t.teardown(() => connectors.stop());
  const url = connectors.eventHookUrl!;
  const auth = { authorization: 'Hook-Secret-0123456789' };
  const verify = await fetch(url, { headers: { ...auth, 'x-okta-verification-challenge': 'abc-123' } });
  t.is(verify.status, 200);
  t.deepEqual(await verify.json(), { verification: 'abc-123' });
  t.is((await fetch(url, { headers: { 'x-okta-verification-challenge': 'abc-123' } })).status, 401, 'no secret, no echo');
  const ev = sim.log.append({ eventType: 'user.session.start', actor: { alternateId: 'carol@corp.example' }, client: { ipAddress: '203.0.113.50' } });
  const envelope = { eventType: 'com.okta.event_hook', eventTypeVersion: '1.0', cloudEventsVersion: '0.1', eventId: 'e1', data: { events: [ev] } };
  const post = (headers: Record<string, string>, body: string): Promise<Response> => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  t.is((await post({ authorization: 'wrong' }, JSON.stringify(envelope))).status, 401);
  t.is(p.behavior!.engine.account('carol'), undefined, 'nothing taken from an unauthenticated POST');
  t.is((await post(auth, JSON.stringify(envelope))).status, 204);
  t.true(p.behavior!.engine.account('carol')!.endpoints.has('203.0.113.50'));
  t.is((await post(auth, JSON.stringify(envelope))).status, 204, 'delivered twice (at least once)');
  await connectors.pollNow();
  t.is(connectors.health()[0]!.events, 1, 'the hook\'s event and the poll\'s are one');
  t.is((await post(auth, '{not json')).status, 400);
});

test('events Okta sent that cannot be read are skipped and said: degraded, with how many', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-connector-bad-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = openDatabase(join(dir, 'b.db'));
  t.teardown(() => db.close());
  const clock = new ManualClock(T0);
  const seen: OktaLogEvent[] = [];
  const good = { uuid: 'g1', published: new Date(T0).toISOString(), eventType: 'user.session.start', actor: { alternateId: 'a@corp.example' }, outcome: { result: 'SUCCESS' } };
  const source = { orgUrl: 'http://127.0.0.1:9', logPage: async () => ({ events: [good, { eventType: 'user.session.start' }, 'junk'], next: 'http://127.0.0.1:9/api/v1/logs?after=x' }) };
  const p = new OktaLogPoller({
    name: 'okta-sso', source, store: new ConnectorStore(db), clock, log: silentLogger(), onEvent: (e) => seen.push(e),
    pollIntervalMs: 30_000, lookbackMs: 0, pageLimit: 10, maxPagesPerPoll: 1, requestTimeoutMs: 1_000, staleAfterMs: 60_000,
  });
  await p.poll();
  t.is(seen.length, 1);
  t.like(p.health, { state: 'degraded', code: 'BW_OKTA_PROTOCOL' });
  t.regex(p.health.reason!, /2 events Okta sent could not be read/);
});

test('as an OAuth service app: with okta.logs.read it reads the System Log; without it, failing and saying which scope to grant', async (t) => {
  const { generateKeyPairSync } = await import('node:crypto');
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const clock = new ManualClock(T0);
  const sim = new OktaSimulator({ clock, serviceApps: [
    { clientId: '0oa-logs', publicKey: ec.publicKey, scopes: ['okta.logs.read', 'okta.users.read'] },
    { clientId: '0oa-users', publicKey: ec.publicKey, scopes: ['okta.users.read'] },
  ] });
  await sim.start();
  t.teardown(() => sim.stop());
  sim.log.append({ eventType: 'user.session.start', at: T0 - 1000, actor: { alternateId: 'a@corp.example' } });
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-connector-oauth-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = openDatabase(join(dir, 'o.db'));
  t.teardown(() => db.close());
  const poller = (clientId: string, scopes: string[]): OktaLogPoller => new OktaLogPoller({
    name: `okta-${clientId}`, store: new ConnectorStore(db), clock, log: silentLogger(), onEvent: () => undefined,
    source: new OktaClient({ orgUrl: sim.url, auth: { type: 'oauth', clientId, privateKey: ec.privateKey, scopes }, requestTimeoutMs: 5_000, maxRateLimitWaitMs: 0, clock, userAgent: 'test' }),
    pollIntervalMs: 30_000, lookbackMs: 3_600_000, pageLimit: 100, maxPagesPerPoll: 2, requestTimeoutMs: 5_000, staleAfterMs: 60_000,
  });
  const ok = poller('0oa-logs', ['okta.logs.read', 'okta.users.read']);
  await ok.poll();
  t.like(ok.health, { state: 'ok', events: 1 });
  const missing = poller('0oa-users', ['okta.users.read']);
  await missing.poll();
  t.like(missing.health, { state: 'failing', code: 'BW_OKTA_AUTH' });
  t.regex(missing.health.reason!, /lacks the okta\.logs\.read scope: grant it to the service app/);
});

test('Okta ThreatInsight\'s verdicts join the threat pool; a factor change makes the person\'s facts read again', async (t) => {
  const { startConnectors } = await import('../../src/connectors/setup.js');
  const { BehaviorEngine } = await import('../../src/behavior/engine.js');
  const { BehaviorService } = await import('../../src/behavior/service.js');
  const { EventMapper } = await import('../../src/behavior/logon-event.js');
  const { ThreatStore } = await import('../../src/store/threat-store.js');
  const { configFromObject } = await import('../../src/config/load.js');
  const { systemClock } = await import('../../src/util/clock.js');
  const sim = await startedSim(t);
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-connector-ti-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = openDatabase(join(dir, 't.db'));
  t.teardown(() => db.close());
  const config = configFromObject(join(dir, 'c.yaml'), { listeners: [{ name: 'e', port: 0 }], directory: { urls: ['ldap://127.0.0.1:1'] }, storage: { path: join(dir, 't.db') }, connectors: { oktaSso: { orgUrl: sim.url, apiToken: TOKEN } } });
  const behavior = new BehaviorService({ engine: new BehaviorEngine({}), mapper: new EventMapper(), clock: systemClock, log: silentLogger(), upkeepCron: null });
  t.teardown(() => behavior.close());
  const c = (await startConnectors(config, silentLogger(), { db, behavior, version: 'test', autoStart: false }))!;
  t.teardown(() => c.stop());
  const user = sim.state.addUser({ login: 'bea@corp.example', totp: false });
  sim.log.append({ eventType: 'security.threat.detected', actor: { alternateId: 'unknown', type: 'SystemPrincipal' }, client: { ipAddress: '198.51.100.77' }, outcome: { result: 'DENY', reason: 'Password Spray' } });
  sim.log.append({ eventType: 'user.session.start', actor: { alternateId: 'bea@corp.example' }, client: { ipAddress: '81.2.69.160' } });
  await c.pollNow();
  t.like(new ThreatStore(db).get('198.51.100.77', Date.now()), { level: 'high', kinds: ['okta_threatinsight'] });
  t.regex(new ThreatStore(db).get('198.51.100.77', Date.now())!.reasons[0]!, /Okta ThreatInsight: Password Spray \(DENY\)/);
  t.deepEqual(behavior.cloudFacts!('bea')!.factors, ['push']);
  user.factors.push({ id: 'ost9', factorType: 'token:software:totp', status: 'ACTIVE', created: Date.now(), secret: 'JBSWY3DPEHPK3PXP' });
  sim.log.append({ eventType: 'user.mfa.factor.activate', actor: { alternateId: 'bea@corp.example' } });
  await c.pollNow();
  t.deepEqual(behavior.cloudFacts!('bea')!.factors, ['push', 'token:software:totp'], 'read again after the factor change');
});
