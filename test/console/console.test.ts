/**
 * The admin console in headless Chromium, against the real binary (`bindwall start`), slapd
 * and the Okta simulator: an admin signs in through bindwall's own LDAP path and approves the
 * push; searches a user and sees their endpoints; acknowledges an incident; releases a
 * quarantine; dismisses a HealthInsight task with a reason. A viewer cannot change anything;
 * a change without the CSRF token is refused. A screenshot of each page is kept in
 * artifacts/console/.
 */
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { OktaSimulator } from '../../src/okta/simulator/server.js';
import { bindFrom } from '../helpers/bind-from.js';
import { launchChromium, screenshot } from '../helpers/browser.js';
import { spawnBindwall, runBindwall, type Spawned } from '../helpers/cli.js';
import { pendingPush } from '../helpers/okta-push.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const TOKEN = 'okta-sim-token-console-1';
const dn = (uid: string): string => `uid=${uid},ou=${uid.startsWith('svc') ? 'services' : 'people'},${BASE_DN}`;

let slapd: Slapd;
let sim: OktaSimulator;
let bw: Spawned;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let ldapUrl: string;
let consoleUrl: string;
let dir: string;

test.before(async (t) => {
  slapd = await startSlapd();
  sim = new OktaSimulator({ apiTokens: [TOKEN], pushLifetimeMs: 20_000 });
  await sim.start();
  for (const u of ['alice', 'bob', 'carol']) sim.state.addUser({ login: `${u}@corp.example` });
  dir = mkdtempSync(join(tmpdir(), 'bindwall-console-'));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'policy.yaml'), `version: 1
rules:
  - id: alice-step-up
    when: { user: alice }
    action: mfa
    severity: high
    onFailure: { quarantine: true }
default: { action: approve }
`);
  writeFileSync(join(dir, 'lookup.pw'), ADMIN_PW, { mode: 0o600 });
  const config = join(dir, 'bindwall.yaml');
  writeFileSync(config, `listeners:
  - { name: edge, host: 127.0.0.1, port: 0 }
directory:
  urls: [${slapd.url}]
  lookup: { bindDn: "${ADMIN_DN}", passwordFile: lookup.pw, baseDn: "${BASE_DN}" }
storage: { path: ${join(dir, 'data', 'bindwall.db')} }
policy: { dir: ${join(dir, 'policies')}, watch: false }
mfa:
  okta: { orgUrl: ${sim.url}, apiToken: ${TOKEN}, loginTemplate: "{account}@corp.example" }
  pollIntervalMs: 50
  challengeTimeoutMs: 20s
admin:
  host: 127.0.0.1
  port: 0
  console:
    roles: { admin: [admins], viewer: [staff] }
`);
  bw = spawnBindwall(['start', '--config', config], { cwd: dir });
  ldapUrl = (await bw.waitFor(/"event":"listening"[^\n]*"url":"(ldap:\/\/127\.0\.0\.1:\d+)"/, 20_000))[1]!;
  consoleUrl = `${(await bw.waitFor(/"event":"admin_listening"[^\n]*"url":"(https:\/\/127\.0\.0\.1:\d+)"/, 20_000))[1]!}/console`;
  // Traffic to look at: bob from a desk of his, then alice fails her step-up (an incident, a quarantine).
  for (let i = 0; i < 2; i++) t.is((await bindFrom(ldapUrl, '127.0.0.23', dn('bob'), 'Bob-Pass-2')).resultCode, 0);
  const denied = bindFrom(ldapUrl, '127.0.0.31', dn('alice'), 'Alice-Pass-1');
  sim.state.answer(await pendingPush(sim, 'alice@corp.example'), false);
  t.is((await denied).resultCode, 49);
  chromium = await launchChromium();
});

test.after.always(async () => {
  await chromium?.close();
  bw?.child.kill('SIGTERM');
  await bw?.exited;
  await sim?.stop();
  await slapd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function signIn(context: BrowserContext, user: string, password: string): Promise<Page> {
  const page = await context.newPage();
  try {
    await page.goto(`${consoleUrl}/`);
    await page.waitForURL(/\/console\/login$/);
    await page.getByLabel('Directory user name').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/console\/login\/wait$/);
    sim.state.answer(await pendingPush(sim, `${user}@corp.example`), true);
    await page.waitForURL(/\/console\/$/, { timeout: 15_000 });
    return page;
  } catch (err) {
    // What the browser had in front of it says more than a timeout.
    throw new Error(`${(err as Error).message}\nat ${page.url()}:\n${(await page.content()).slice(0, 3000)}\n--- bindwall stderr:\n${bw.stderr().slice(-2000)}`);
  }
}

test.serial('an admin signs in with the directory password and an approved push; the overview draws its charts', async (t) => {
  const context = await chromium.browser.newContext({ ignoreHTTPSErrors: true });
  t.teardown(() => context.close());
  const page = await signIn(context, 'carol', 'Carol-Pass-3');
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  t.is(await page.locator('canvas[data-drawn="true"]').count(), 2, 'both charts drawn by Chart.js');
  t.regex(await page.locator('.live').innerText(), /OK: healthy/);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === '__Host-bindwall-session')!;
  t.like(session, { secure: true, httpOnly: true, sameSite: 'Strict', path: '/' });
  t.regex(await page.locator('.who').innerText(), /carol \(admin\)/);
  await screenshot(page, 'console', 'overview');
  // The certificate was made on first start, its key readable by bindwall only.
  t.true(existsSync(join(dir, 'data', 'console-tls', 'cert.pem')));
  t.is(statSync(join(dir, 'data', 'console-tls', 'key.pem')).mode & 0o777, 0o600);
  // The sign-in went through the proxy's own path: a bind line for app "console" from the browser's address.
  t.regex(bw.stdout(), /"event":"bind"[^\n]*"listener":"console"[^\n]*"outcome":"challenge_passed"/);
});

test.serial('search a user and see their endpoints; the endpoint page lists who logged on there', async (t) => {
  const context = await chromium.browser.newContext({ ignoreHTTPSErrors: true });
  t.teardown(() => context.close());
  const page = await signIn(context, 'carol', 'Carol-Pass-3');
  await page.getByLabel('Search users, DNs, addresses, host names').fill('bob');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/\/console\/users\/bob$/);
  const endpoints = page.locator('section[aria-labelledby="endpoints"] table');
  t.regex(await endpoints.innerText(), /127\.0\.0\.23/);
  await screenshot(page, 'console', 'user');
  await endpoints.getByRole('link', { name: '127.0.0.23' }).click();
  await page.waitForURL(/\/console\/endpoints\/127\.0\.0\.23$/);
  t.regex(await page.locator('section[aria-labelledby="identities"]').innerText(), /bob/);
  await screenshot(page, 'console', 'endpoint');
});

test.serial('acknowledge an incident with a note; release the quarantine; both on the incident timeline with the operator', async (t) => {
  const context = await chromium.browser.newContext({ ignoreHTTPSErrors: true });
  t.teardown(() => context.close());
  const page = await signIn(context, 'carol', 'Carol-Pass-3');
  await page.getByRole('link', { name: 'Incidents' }).click();
  await screenshot(page, 'console', 'incidents');
  await page.getByRole('link', { name: '#1' }).click();
  await page.getByLabel('Note').fill('calling alice');
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await page.getByRole('status').waitFor();
  t.is(await page.locator('#incident-status').innerText(), 'acknowledged');
  t.regex(await page.locator('.timeline').innerText(), /acknowledged by carol: calling alice/);
  await screenshot(page, 'console', 'incident');
  // The quarantine from her failed step-up, released from her page.
  await page.getByRole('link', { name: 'alice' }).first().click();
  t.regex(await page.locator('section[aria-labelledby="quarantine"]').innerText(), /Quarantined since/);
  await page.getByLabel('Note').fill('she lost her phone');
  await page.getByRole('button', { name: 'Release from quarantine' }).click();
  await page.getByText('alice released from quarantine.').waitFor();
  t.regex(await page.locator('section[aria-labelledby="quarantine"]').innerText(), /Not quarantined/);
  const shown = await runBindwall(['incidents', 'show', '1', '--db', join(dir, 'data', 'bindwall.db')]);
  t.regex(shown.stdout, /released from quarantine by carol: she lost her phone/);
  // The proxy itself lets her in again (no restart, no reload).
  const again = bindFrom(ldapUrl, '127.0.0.31', dn('alice'), 'Alice-Pass-1');
  sim.state.answer(await pendingPush(sim, 'alice@corp.example'), true);
  t.is((await again).resultCode, 0);
});

test.serial('dismiss a HealthInsight task with a reason; it moves to Dismissed with the operator', async (t) => {
  const context = await chromium.browser.newContext({ ignoreHTTPSErrors: true });
  t.teardown(() => context.close());
  const page = await signIn(context, 'carol', 'Carol-Pass-3');
  await page.getByRole('link', { name: 'HealthInsight' }).click();
  const task = page.locator('article', { has: page.locator('code', { hasText: 'inline-secret:mfa.okta.apiToken' }) });
  await task.getByLabel('Reason').fill('test org, token rotates daily');
  await task.getByRole('button', { name: 'Dismiss' }).click();
  await page.getByText('inline-secret:mfa.okta.apiToken dismissed.').waitFor();
  t.regex(await page.locator('section[aria-labelledby="dismissed"]').innerText(), /Dismissed by carol on .*: test org, token rotates daily/);
  await screenshot(page, 'console', 'health');
  for (const [link, name] of [['Policy', 'policy'], ['Insights', 'insights']] as const) {
    await page.getByRole('link', { name: link, exact: true }).click();
    await screenshot(page, 'console', name);
  }
  await page.goto(`${consoleUrl}/policy?user=bob&endpoint=127.0.0.23`);
  t.regex(await page.locator('section[aria-labelledby="explained"]').innerText(), /Decision: approve \(default\)/);
  // A candidate that steps everyone up, replayed over what was recorded.
  mkdirSync(join(dir, 'candidate'));
  writeFileSync(join(dir, 'candidate', 'p.yaml'), 'version: 1\ndefault: { action: mfa }\n');
  await page.getByLabel('Policy directory on this host').fill(join(dir, 'candidate'));
  await page.getByRole('button', { name: 'Replay recorded binds' }).click();
  t.regex(await page.getByRole('status').innerText(), /Replayed \d+ recorded binds: [1-9]\d* would be decided differently/);
  await screenshot(page, 'console', 'policy-replay');
  await page.goto(`${consoleUrl}/insights?privileged=no`);
  t.regex(await page.locator('#result').innerText(), /\d+ identities: privileged = no/);
  await page.getByLabel('Save this filter as').fill('Not privileged');
  await page.getByRole('button', { name: 'Save Insight' }).click();
  await page.locator('section[aria-labelledby="saved"]').getByRole('link', { name: 'Not privileged' }).waitFor();
  t.is(await page.locator('canvas[data-drawn="true"]').count(), 1, 'the Insight\'s chart');
  await screenshot(page, 'console', 'insight');
  await page.goto(`${consoleUrl}/audit`);
  t.regex(await page.locator('main').innerText(), /carol\s+admin\s+saved insight\s+Not privileged/);
});

test.serial('a change without the CSRF token is refused; a viewer cannot change anything', async (t) => {
  const admin = await chromium.browser.newContext({ ignoreHTTPSErrors: true });
  t.teardown(() => admin.close());
  const page = await signIn(admin, 'carol', 'Carol-Pass-3');
  const forged = await page.request.post(`${consoleUrl}/incidents/1`, { form: { action: 'resolve' } });
  t.is(forged.status(), 403);
  t.regex(await forged.text(), /did not come from the console/);
  const otherOrigin = await page.request.post(`${consoleUrl}/incidents/1`, { form: { action: 'resolve', csrf: await page.locator('input[name="csrf"]').first().inputValue() }, headers: { origin: 'https://evil.example' } });
  t.is(otherOrigin.status(), 403);

  const viewer = await chromium.browser.newContext({ ignoreHTTPSErrors: true });
  t.teardown(() => viewer.close());
  const vpage = await signIn(viewer, 'bob', 'Bob-Pass-2');
  t.regex(await vpage.locator('.who').innerText(), /bob \(viewer\)/);
  await vpage.goto(`${consoleUrl}/incidents/1`);
  t.is(await vpage.getByRole('button', { name: 'Resolve' }).count(), 0, 'no buttons for a viewer');
  const csrf = await vpage.locator('input[name="csrf"]').first().inputValue();
  const tried = await vpage.request.post(`${consoleUrl}/incidents/1`, { form: { action: 'resolve', csrf } });
  t.is(tried.status(), 403);
  t.regex(await tried.text(), /Your role \(viewer\) cannot acknowledge or resolve incidents/);
  await screenshot(vpage, 'console', 'viewer-incident');
  const shown = await runBindwall(['incidents', 'show', '1', '--json', '--db', join(dir, 'data', 'bindwall.db')]);
  t.is((JSON.parse(shown.stdout) as { status: string }).status, 'acknowledged', 'nothing changed');
});

test.serial('a wrong password, or someone in no console group, is refused without saying which', async (t) => {
  const context = await chromium.browser.newContext({ ignoreHTTPSErrors: true });
  t.teardown(() => context.close());
  const page = await context.newPage();
  for (const [user, password] of [['carol', 'wrong-password'], ['svc-backup', 'Svc-Backup-Pass-4']] as const) {
    await page.goto(`${consoleUrl}/login`);
    await page.getByLabel('Directory user name').fill(user);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor({ timeout: 10_000 });
    t.regex(await page.getByRole('alert').innerText(), /Sign-in refused: a wrong name or password, a step-up that was not approved, or no console role/);
  }
  t.is(sim.state.latestPending('svc-backup@corp.example'), undefined, 'nobody without a role is prompted');
  t.false(bw.stdout().includes('wrong-password'), 'the password is in no log line');
  await screenshot(page, 'console', 'sign-in-refused');
});
