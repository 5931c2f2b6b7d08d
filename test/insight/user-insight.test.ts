/**
 * UserInsight end to end on real sockets: a real slapd behind the proxy, the Okta simulator,
 * a real SMTP receiver (STARTTLS, AUTH) and a PagerDuty receiver on loopback. A bind from a
 * device new to a mature identity → one email with working links; "This wasn't me" clicked as
 * a browser would (GET shows, POST answers) → incident, quarantine until verified, Okta
 * sessions cleared, PagerDuty paged; the person passes a push → released. "This was me" →
 * learned, no incident. Replayed, tampered and expired links refused with a page. A factor
 * reset in Okta's System Log → email. No storms; nothing secret in logs or the database.
 */
import test from 'ava';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OktaSimulator } from '../../src/okta/simulator/server.js';
import { startConnectors, type RunningConnectors } from '../../src/connectors/setup.js';
import { silentLogger } from '../../src/log/logger.js';
import { LinkSigner } from '../../src/insight/links.js';
import { Secret } from '../../src/log/secret.js';
import { subnetOf } from '../../src/util/cidr.js';
import { AccountKind, type LogonEvent } from '../../src/behavior/logon-event.js';
import { BindResult } from '../../src/behavior/bind-result.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';
import { linksIn, SMTP_PASSWORD, SMTP_USER, startSmtp, type SmtpReceiver } from '../helpers/smtp.js';
import { testCerts } from '../helpers/certs.js';
import { bindFrom } from '../helpers/bind-from.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { pendingPush } from '../helpers/okta-push.js';

const dn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;
const PW: Record<string, string> = { alice: 'Alice-Pass-1', bob: 'Bob-Pass-2', carol: 'Carol-Pass-3' };
const TOKEN = 'okta-sim-token-0077';
const ROUTING_KEY = 'pd-routing-key-0123456789abcdef';
const KEY = randomBytes(48).toString('base64');
const DAY = 86_400_000;

const POLICY = `version: 1
rules:
  - id: verify-quarantined
    when: { quarantined: until-verified }
    action: mfa
    method: push
    severity: high
  - id: quarantined
    when: { quarantined: true }
    action: block
default: { action: approve }
`;

let slapd: Slapd;
let sim: OktaSimulator;
let smtp: SmtpReceiver;
let pd: http.Server;
const paged: Record<string, unknown>[] = [];
let proxy: TestProxy;
let connectors: RunningConnectors;
let dir: string;
const certs = testCerts();

/** A browser's request to a link: GET shows the page, POST (the button) answers. */
function browse(url: string, method: 'GET' | 'POST' = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca: certs.ca, headers: method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' } : {} }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Gives an identity a finished learning period: 25 logons from its own desk over 20 days. */
function mature(uid: string, from = '127.0.0.1'): void {
  const now = Date.now();
  for (let i = 0; i < 25; i++) {
    const ev: LogonEvent = {
      time: now - 20 * DAY + i * 19 * 3_600_000, account: uid, bindName: dn(uid), kind: AccountKind.Human, endpoint: from, subnet: subnetOf(from), app: 'test', result: BindResult.Success,
    };
    proxy.behavior!.engine.observe(ev);
  }
}

const pushFor = (login: string): Promise<string> => pendingPush(sim, login);

test.before(async () => {
  slapd = await startSlapd();
  sim = new OktaSimulator({ apiTokens: [TOKEN], pushLifetimeMs: 5_000 });
  await sim.start();
  // Okta's addresses differ from the directory's: the directory's mail attribute is used.
  for (const uid of ['alice', 'bob', 'carol']) sim.state.addUser({ login: `${uid}@corp.example`, email: `${uid}.okta@corp.example` });
  smtp = await startSmtp();
  pd = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      paged.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"status":"success","message":"Event processed"}');
    });
  });
  await new Promise<void>((r) => pd.listen(0, '127.0.0.1', r));
  dir = mkdtempSync(join(tmpdir(), 'bindwall-insight-'));
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  writeFileSync(join(dir, 'link.key'), `${KEY}\n`);
  writeFileSync(join(dir, 'smtp.password'), `${SMTP_PASSWORD}\n`);
  writeFileSync(join(dir, 'pd.key'), ROUTING_KEY);
  writeFileSync(join(dir, 'lookup.password'), ADMIN_PW);
  proxy = await startProxy({
    directory: { urls: [slapd.url], lookup: { bindDn: ADMIN_DN, passwordFile: join(dir, 'lookup.password'), baseDn: BASE_DN } },
    threat: { mode: 'off' },
    policy: { dir, watch: false },
    mfa: {
      okta: { orgUrl: sim.url, apiToken: TOKEN, loginTemplate: '{account}@corp.example' },
      pollIntervalMs: 25, challengeTimeoutMs: 10_000, rememberMs: 300_000,
      challengePage: { port: 0, tls: { certFile: certs.certFile, keyFile: certs.keyFile } },
    },
    incidents: { notify: { pagerduty: { type: 'pagerduty', url: `http://127.0.0.1:${(pd.address() as AddressInfo).port}/v2/enqueue`, routingKeyFile: join(dir, 'pd.key'), retries: 0 } } },
    responses: {
      'contain-account': [{ quarantine: { releaseOn: 'verified' } }, 'revokeRemembered', 'okta.clearSessions', { notify: ['pagerduty'] }],
    },
    connectors: { oktaSso: { orgUrl: sim.url, apiToken: TOKEN } },
    userInsight: {
      smtp: { host: '127.0.0.1', port: smtp.port, security: 'starttls', user: SMTP_USER, passwordFile: join(dir, 'smtp.password'), from: 'IT Security <security@corp.example>', caFile: certs.caFile, retries: 1 },
      links: { keyFile: join(dir, 'link.key') },
      onReport: 'contain-account',
    },
  }, { policy: true, behavior: true });
  connectors = (await startConnectors(proxy.config, silentLogger(), { db: proxy.db!, behavior: proxy.behavior, version: 'test', autoStart: false, onOktaEvent: proxy.insight!.fromOkta }))!;
});

test.after.always(async () => {
  await connectors?.stop();
  await proxy?.stop();
  await sim?.stop();
  await smtp?.stop();
  pd?.close();
  await slapd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const settle = async (): Promise<void> => {
  await proxy.insight!.drain();
  await proxy.mfa!.runner.drain();
};

test.serial('a bind from a device new to a mature identity: one email to the directory address, links that name nobody', async (t) => {
  mature('alice');
  const r = await bindFrom(proxy.url, '127.0.0.23', dn('alice'), PW.alice!);
  t.is(r.resultCode, 0);
  await settle();
  const [mail] = await smtp.waitFor(1);
  t.deepEqual(mail!.to, ['alice@corp.example']);
  t.is(mail!.subject, 'New sign-in on your account');
  t.regex(mail!.body, /127\.0\.0\.23/);
  t.regex(mail!.raw, /Auto-Submitted: auto-generated/i);
  const { report, confirm } = linksIn(mail!);
  t.truthy(confirm);
  t.true(report.startsWith(proxy.mfa!.page!.url));
  t.false(/alice|127\.0\.0|corp\.example/i.test(new URL(report).pathname), 'the link carries an opaque reference only');
  // The same device again, within the window: no second email.
  t.is((await bindFrom(proxy.url, '127.0.0.23', dn('alice'), PW.alice!)).resultCode, 0);
  await settle();
  t.is(smtp.mails.length, 1);
});

test.serial('an identity still learning is not told of new devices', async (t) => {
  const before = smtp.mails.length;
  t.is((await bindFrom(proxy.url, '127.0.0.1', dn('bob'), PW.bob!)).resultCode, 0);
  t.is((await bindFrom(proxy.url, '127.0.0.31', dn('bob'), PW.bob!)).resultCode, 0);
  await settle();
  t.is(smtp.mails.length, before);
});

test.serial('"This wasn\'t me": the page asks first; the button opens a user_report incident, quarantines, clears Okta sessions, pages PagerDuty', async (t) => {
  const { report } = linksIn(smtp.mails[0]!);
  const shown = await browse(report);
  t.is(shown.status, 200);
  t.regex(shown.body, /<form method="post"><button>This wasn&#39;t me<\/button>/);
  t.is(proxy.mfa!.incidents.list().length, 0, 'opening the link (a mail scanner would) answers nothing');
  const answered = await browse(report, 'POST');
  t.is(answered.status, 200);
  t.regex(answered.body, /Thank you for reporting it/);
  await settle();
  const [incident] = proxy.mfa!.incidents.list();
  t.like(incident, { account: 'alice', failure: 'user_report', severity: 'high', endpoint: '127.0.0.23', ruleId: 'user-report', reported: { kind: 'new_device', endpoint: '127.0.0.23', device: '127.0.0.23' } });
  t.is(proxy.quarantine!.releaseOf('alice', Date.now()), 'verified');
  const user = sim.state.user('alice@corp.example')!;
  t.true(sim.requests.some((r) => r.method === 'DELETE' && r.path === `/api/v1/users/${user.id}/sessions`));
  t.true(sim.log.query({ filter: 'eventType eq "user.session.clear"', limit: '1000' }).events.some((e) => e.target?.[0]?.alternateId === 'alice@corp.example'));
  const page = paged.at(-1) as { routing_key: string; event_action: string; payload: { summary: string; custom_details: { account: string } } };
  t.like(page, { routing_key: ROUTING_KEY, event_action: 'trigger', payload: { custom_details: { account: 'alice' } } });
  t.regex(page.payload.summary, /user report/);
  const timeline = proxy.mfa!.incidents.get(incident!.id)!.timeline.map((e) => e.what);
  t.true(timeline.some((w) => /^the person reported a sign-in from a new device as not theirs/.test(w)));
  t.true(timeline.some((w) => /response contain-account step 1\/4 \(quarantine \(until verified\)\): account alice quarantined/.test(w)));
  t.true(timeline.some((w) => /step 3\/4 \(okta\.clearSessions\): Okta sessions of alice@corp\.example cleared/.test(w)));
  t.true(timeline.includes('notified pagerduty (pagerduty)'));
});

test.serial('a used link is refused with a page; so are tampered and expired ones', async (t) => {
  const { report, confirm } = linksIn(smtp.mails[0]!);
  for (const url of [report, confirm!]) {
    const again = await browse(url, 'POST');
    t.is(again.status, 410);
    t.regex(again.body, /already used/);
  }
  const tampered = report.slice(0, -2) + (report.endsWith('AA') ? 'BB' : 'AA');
  const bad = await browse(tampered, 'POST');
  t.is(bad.status, 400);
  t.regex(bad.body, /not valid/);
  t.false(/at |Error|stack/i.test(bad.body));
  t.is((await browse(`${proxy.mfa!.page!.url}/r/nonsense`)).status, 400);
  // A notice whose week is over.
  const links = new LinkSigner(new Secret(Buffer.from(KEY)));
  proxy.insight!.store.insert({ id: 'AAAAAAAAAAAAAAAAAAAAAA', time: Date.now() - 8 * DAY, account: 'alice', kind: 'new_device', dedupe: 'x', event: { time: Date.now() - 8 * DAY }, status: 'sent', expires: Date.now() - DAY });
  const expired = await browse(proxy.mfa!.page!.url + links.path('AAAAAAAAAAAAAAAAAAAAAA', 'denied'));
  t.is(expired.status, 410);
  t.regex(expired.body, /expired/);
  t.is(proxy.mfa!.incidents.list().length, 1, 'no refused link opened an incident');
});

test.serial('quarantined until verified: the person passes a push and is released', async (t) => {
  const incident = proxy.mfa!.incidents.list()[0]!;
  const bind = bindFrom(proxy.url, '127.0.0.1', dn('alice'), PW.alice!);
  sim.state.answer(await pushFor('alice@corp.example'), true);
  t.is((await bind).resultCode, 0);
  t.is(proxy.quarantine!.releaseOf('alice', Date.now()), undefined);
  t.true(proxy.mfa!.incidents.get(incident.id)!.timeline.some((e) => /released from quarantine: the person passed a step-up \(push\)/.test(e.what)));
});

test.serial('a failed step-up: the person is emailed; their report joins the same incident and runs onReport', async (t) => {
  proxy.quarantine!.add('alice', { reason: 'test', source: 'test', releaseOn: 'verified' });
  const before = smtp.mails.length;
  const incidents = proxy.mfa!.incidents.list().length;
  const bind = bindFrom(proxy.url, '127.0.0.1', dn('alice'), PW.alice!);
  sim.state.answer(await pushFor('alice@corp.example'), false);
  t.is((await bind).resultCode, 49);
  await settle();
  const mail = (await smtp.waitFor(before + 1))[before]!;
  t.is(mail.subject, 'A sign-in to your account was stopped');
  const { report, confirm } = linksIn(mail);
  t.is(confirm, undefined, 'nothing to confirm about a stopped sign-in');
  const [incident] = proxy.mfa!.incidents.list();
  t.like(incident, { account: 'alice', failure: 'denied' });
  t.is((await browse(report, 'POST')).status, 200);
  await settle();
  t.is(proxy.mfa!.incidents.list().length, incidents + 1, 'the report joined the incident of the failed step-up');
  const timeline = proxy.mfa!.incidents.get(incident!.id)!.timeline.map((e) => e.what);
  t.true(timeline.some((w) => /^the person was told by email/.test(w)));
  t.true(timeline.some((w) => /^the person reported it: "this wasn't me"/.test(w)));
  t.true(timeline.some((w) => /response contain-account step 1\/4/.test(w)));
  proxy.quarantine!.release('alice');
});

test.serial('no storms: at most maxPerPersonPerDay notices a day, whatever comes', (t) => {
  const told = Array.from({ length: 15 }, (_, i) => proxy.insight!.notices.tell('new_device', 'dave', `device-${i}`, { time: Date.now() })).filter(Boolean);
  t.is(told.length, 10);
});

test.serial('"This was me": the sign-in is learned as theirs, no incident', async (t) => {
  mature('carol');
  const before = smtp.mails.length;
  t.is((await bindFrom(proxy.url, '127.0.0.41', dn('carol'), PW.carol!)).resultCode, 0);
  await settle();
  const mail = (await smtp.waitFor(before + 1))[before]!;
  t.deepEqual(mail.to, ['carol@corp.example']);
  const incidents = proxy.mfa!.incidents.list().length;
  const r = await browse(linksIn(mail).confirm!, 'POST');
  t.is(r.status, 200);
  t.regex(r.body, /noted that it was you/);
  t.is(proxy.mfa!.incidents.list().length, incidents);
  t.true(proxy.behavior!.engine.knowsDevice('carol', '127.0.0.41', Date.now()));
});

test.serial('a factor reset in Okta\'s System Log: the person is emailed (once)', async (t) => {
  const before = smtp.mails.length;
  sim.state.resetFactors(sim.state.user('bob@corp.example')!);
  await connectors.pollNow();
  await settle();
  const mail = (await smtp.waitFor(before + 1))[before]!;
  t.deepEqual(mail.to, ['bob@corp.example']);
  t.is(mail.subject, 'Your sign-in factors were reset');
  sim.state.resetFactors(sim.state.user('bob@corp.example')!);
  await connectors.pollNow();
  await settle();
  t.is(smtp.mails.length, before + 1, 'one per window');
});

test.serial('a factor enrolled and a password changed in Okta (by an admin, for carol): carol is emailed, with the factor; old history is not news', async (t) => {
  const before = smtp.mails.length;
  const admin = { alternateId: 'admin@corp.example', type: 'User' };
  const carol = [{ id: '00u1', type: 'User', alternateId: 'carol@corp.example', displayName: 'Carol', detailEntry: null }];
  sim.log.append({ eventType: 'user.mfa.factor.activate', actor: { alternateId: 'carol@corp.example' }, target: carol, client: { ipAddress: '198.51.100.7' },
    outcome: { result: 'SUCCESS' }, debugContext: { debugData: { factor: 'OKTA_VERIFY_PUSH' } } });
  sim.log.append({ eventType: 'user.account.reset_password', actor: admin, target: carol, outcome: { result: 'SUCCESS' } });
  sim.log.append({ eventType: 'user.account.update_password', actor: admin, target: carol, outcome: { result: 'SUCCESS' }, at: Date.now() - 2 * DAY });
  await connectors.pollNow();
  await settle();
  const mails = (await smtp.waitFor(before + 2)).slice(before);
  t.is(mails.length, 2);
  const enrolled = mails.find((m) => m.subject === 'A new sign-in factor was added to your account')!;
  t.deepEqual(enrolled.to, ['carol@corp.example']);
  t.regex(enrolled.body, /OKTA_VERIFY_PUSH/);
  t.regex(enrolled.body, /198\.51\.100\.7/);
  t.truthy(mails.find((m) => m.subject === 'Your password was changed'));
});

test.serial('a password changed through bindwall (ldappasswd, RFC 3062): the person is emailed', async (t) => {
  const before = smtp.mails.length;
  const r = await ldapTool('ldappasswd', ['-x', '-H', proxy.url, '-D', dn('bob'), '-w', PW.bob!, '-a', PW.bob!, '-s', 'Bob-Pass-2-new']);
  t.is(r.code, 0, r.stderr);
  PW.bob = 'Bob-Pass-2-new';
  await settle();
  const mail = (await smtp.waitFor(before + 1))[before]!;
  t.deepEqual(mail.to, ['bob@corp.example']);
  t.is(mail.subject, 'Your password was changed');
  t.regex(mail.body, /127\.0\.0\.1/);
  // A refused change (wrong old password) tells nobody.
  t.not((await ldapTool('ldappasswd', ['-x', '-H', proxy.url, '-D', dn('bob'), '-w', PW.bob, '-a', 'wrong-old', '-s', 'x-Other-1'])).code, 0);
  await settle();
  t.is(smtp.mails.length, before + 1);
});

test.serial('a password set by a modify through bindwall (unicodePwd / userPassword, as AD tools do): its owner is emailed', async (t) => {
  const before = smtp.mails.length;
  const r = await ldapTool('ldapmodify', ['-x', '-H', proxy.url, '-D', ADMIN_DN, '-w', ADMIN_PW],
    { input: `dn: ${dn('alice')}\nchangetype: modify\nreplace: userPassword\nuserPassword: Alice-Pass-1-new\n` });
  t.is(r.code, 0, r.stderr);
  PW.alice = 'Alice-Pass-1-new';
  await settle();
  const mail = (await smtp.waitFor(before + 1))[before]!;
  t.deepEqual(mail.to, ['alice@corp.example']);
  t.is(mail.subject, 'Your password was changed');
  // Another attribute changes nobody's password.
  t.is((await ldapTool('ldapmodify', ['-x', '-H', proxy.url, '-D', ADMIN_DN, '-w', ADMIN_PW], { input: `dn: ${dn('alice')}\nchangetype: modify\nreplace: title\ntitle: Accountant\n` })).code, 0);
  await settle();
  t.is(smtp.mails.length, before + 1);
});

test.serial('the SMTP server refusing: retried, then a dead letter that names the notice, not the email', async (t) => {
  mature('alice', '127.0.0.1');
  smtp.failNext(10);
  const dl = proxy.mfa!.incidents.deadLetters().length;
  t.is((await bindFrom(proxy.url, '127.0.0.51', dn('alice'), PW.alice!)).resultCode, 0);
  await settle();
  const letters = proxy.mfa!.incidents.deadLetters();
  t.is(letters.length, dl + 1);
  t.like(letters.at(-1), { kind: 'email', target: 'email' });
  t.regex(letters.at(-1)!.payload, /^\{"notice":"[A-Za-z0-9_-]{22}"\}$/);
  smtp.failNext(0);
});

test.serial('redaction: no password, token, key, routing key or link in the log or the database', async (t) => {
  await settle();
  const log = readFileSync(proxy.logFile, 'utf8');
  const db = proxy.db!;
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
  const dump = tables.map((n) => JSON.stringify(db.prepare(`SELECT * FROM "${n}"`).all())).join('\n');
  const links = smtp.mails.flatMap((m) => { const l = linksIn(m); return [l.report, ...(l.confirm ? [l.confirm] : [])]; });
  const macs = links.map((l) => l.split('.').at(-1)!);
  for (const secret of [...Object.values(PW), SMTP_PASSWORD, TOKEN, ROUTING_KEY, KEY, ADMIN_PW, ...links, ...macs]) {
    t.false(log.includes(secret), `log holds ${secret.slice(0, 6)}…`);
    t.false(dump.includes(secret), `database holds ${secret.slice(0, 6)}…`);
  }
});
