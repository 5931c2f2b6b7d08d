/**
 * The challenge page: the person at the suspect endpoint sees their waiting sign-in and types
 * the code there (otp without an appended code; push-then-otp while the push waits). Another
 * address sees nothing and cannot answer for it.
 */
import test from 'ava';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OktaSimulator } from '../../src/okta/simulator/server.js';
import { totp } from '../../src/okta/totp.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd;
let sim: OktaSimulator;
let proxy: TestProxy;
let dir: string;

test.before(async () => {
  slapd = await startSlapd();
  sim = new OktaSimulator({ apiTokens: ['tok'] });
  await sim.start();
  sim.state.addUser({ login: 'bob@corp.example' });
  sim.state.addUser({ login: 'carol@corp.example' });
  dir = mkdtempSync(join(tmpdir(), 'bindwall-page-'));
  writeFileSync(join(dir, 'p.yaml'), 'version: 1\nrules:\n  - { id: bob-otp, when: { user: bob }, action: mfa, method: otp }\n  - { id: carol-either, when: { user: carol }, action: mfa, method: push-then-otp }\ndefault: { action: approve }\n');
  proxy = await startProxy({
    directory: { urls: [slapd.url] }, policy: { dir, watch: false },
    mfa: { okta: { orgUrl: sim.url, apiToken: 'tok', loginTemplate: '{account}@corp.example' }, pollIntervalMs: 25, challengeTimeoutMs: 10_000, rememberMs: 0, challengePage: { host: '127.0.0.1', port: 0 } },
  }, { policy: true });
});

test.after.always(async () => {
  await proxy?.stop();
  await sim?.stop();
  await slapd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** An HTTP request to the page from a chosen loopback source address. */
function request(method: 'GET' | 'POST', path: string, from: string, body?: string): Promise<{ status: number; text: string }> {
  const url = new URL(path, proxy.mfa!.page!.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ method, host: url.hostname, port: url.port, path: url.pathname, localAddress: from, headers: body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function waitingId(from: string, account: string): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const m = new RegExp(`action="/code/([\\w-]+)"><p>Sign-in by <b>${account}</b>`).exec((await request('GET', '/', from)).text);
    if (m) return m[1]!;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('nothing waiting on the page');
}

const secret = (login: string): string => sim.state.user(login)!.factors.find((f) => f.secret)!.secret!;

test.serial('otp without an appended code: the code typed on the page from the same address lets the bind in', async (t) => {
  const bind = ldapTool('ldapwhoami', ['-x', '-H', proxy.url, '-D', `uid=bob,ou=people,${BASE_DN}`, '-w', 'Bob-Pass-2']);
  const id = await waitingId('127.0.0.1', 'bob');
  const page = await request('GET', '/', '127.0.0.1');
  t.regex(page.text, /Sign-in by <b>bob<\/b> to <b>test<\/b>/);
  const elsewhere = await request('GET', '/', '127.0.0.9');
  t.regex(elsewhere.text, /No sign-in from this computer \(127\.0\.0\.9\) is waiting/);
  t.is((await request('POST', `/code/${id}`, '127.0.0.9', 'code=123456')).status, 404, 'another address cannot answer');
  const code = totp(secret('bob@corp.example'), Date.now());
  const posted = await request('POST', `/code/${id}`, '127.0.0.1', `code=${code}`);
  t.is(posted.status, 200);
  t.notRegex(posted.text, new RegExp(code), 'the code is not echoed');
  const r = await bind;
  t.is(r.code, 0, r.stderr);
  t.like(proxy.events.at(-1), { outcome: 'challenge_passed', detail: 'one-time code verified' });
});

test.serial('push-then-otp: while the push waits, a code on the page decides, and the push is cancelled', async (t) => {
  const bind = ldapTool('ldapwhoami', ['-x', '-H', proxy.url, '-D', `uid=carol,ou=people,${BASE_DN}`, '-w', 'Carol-Pass-3']);
  const id = await waitingId('127.0.0.1', 'carol');
  let push = sim.state.latestPending('carol@corp.example');
  for (let i = 0; i < 400 && !push; i++) {
    await new Promise((r) => setTimeout(r, 5));
    push = sim.state.latestPending('carol@corp.example');
  }
  t.truthy(push, 'the push was sent as well');
  await request('POST', `/code/${id}`, '127.0.0.1', `code=${totp(secret('carol@corp.example'), Date.now())}`);
  t.is((await bind).code, 0);
  for (let i = 0; i < 400 && sim.state.transaction(push!.id)!.result === 'WAITING'; i++) await new Promise((r) => setTimeout(r, 5));
  t.not(sim.state.transaction(push!.id)!.result, 'WAITING', 'the push was cancelled');
  t.is((await request('POST', `/code/${id}`, '127.0.0.1', 'code=111111')).status, 404, 'a decided challenge takes no more codes');
});

test.serial('a wrong code on the page fails the bind with an incident', async (t) => {
  const bind = ldapTool('ldapwhoami', ['-x', '-H', proxy.url, '-D', `uid=bob,ou=people,${BASE_DN}`, '-w', 'Bob-Pass-2']);
  const id = await waitingId('127.0.0.1', 'bob');
  t.is((await request('POST', `/code/${id}`, '127.0.0.1', 'code=12ab')).status, 400, 'not six digits: asked again');
  await request('POST', `/code/${id}`, '127.0.0.1', 'code=000000');
  t.is((await bind).code, 49);
  t.like(proxy.mfa!.incidents.list()[0], { account: 'bob', failure: 'wrong_code' });
});

test('the challenge page can be served over HTTPS with the configured certificate', async (t) => {
  const { testCerts } = await import('../helpers/certs.js');
  const https = await import('node:https');
  const certs = testCerts();
  const p = await startProxy({
    directory: { urls: [slapd.url] }, policy: { dir, watch: false },
    mfa: { okta: { orgUrl: sim.url, apiToken: 'tok' }, challengePage: { host: '127.0.0.1', port: 0, tls: { certFile: certs.certFile, keyFile: certs.keyFile } } },
  }, { policy: true });
  t.teardown(() => p.stop());
  t.regex(p.mfa!.page!.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const text = await new Promise<string>((resolve, reject) => {
    https.get(`${p.mfa!.page!.url}/`, { ca: certs.ca }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  t.regex(text, /No sign-in from this computer \(127\.0\.0\.1\) is waiting for a code/);
});
