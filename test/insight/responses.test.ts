/**
 * Response workflows on real sockets: a denied push runs the rule's workflow — a signed
 * webhook to a receiver that is down (retried with backoff, then a dead letter), Okta's
 * suspend on the simulator; `bindwall dead-letters list | retry` (the real binary) delivers
 * it once the receiver is back and says so on the timeline; a honeytoken runs its workflow.
 */
import test from 'ava';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { OktaSimulator } from '../../src/okta/simulator/server.js';
import { startProxy, type TestProxy, type ProxyConfigInput } from '../helpers/proxy.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';
import { bindFrom } from '../helpers/bind-from.js';
import { runBindwall } from '../helpers/cli.js';
import { pendingPush } from '../helpers/okta-push.js';

const dn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;
const TOKEN = 'okta-sim-token-0099';
const SECRET = 'soar-webhook-secret-0123456789';

let slapd: Slapd;
let sim: OktaSimulator;
let soar: http.Server;
let soarUp = false;
const delivered: { body: string; signature: string; timestamp: string }[] = [];
let tried = 0;
let proxy: TestProxy;
let dir: string;
let configFile: string;

const pushFor = (login: string): Promise<string> => pendingPush(sim, login);

test.before(async () => {
  slapd = await startSlapd();
  sim = new OktaSimulator({ apiTokens: [TOKEN], pushLifetimeMs: 5_000 });
  await sim.start();
  sim.state.addUser({ login: 'alice@corp.example' });
  soar = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      tried++;
      if (!soarUp) return void res.writeHead(503).end();
      delivered.push({ body, signature: String(req.headers['x-bindwall-signature']), timestamp: String(req.headers['x-bindwall-timestamp']) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => soar.listen(0, '127.0.0.1', r));
  dir = mkdtempSync(join(tmpdir(), 'bindwall-responses-'));
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'policy.yaml'), `version: 1
rules:
  - id: alice-push
    when: { user: alice }
    action: mfa
    severity: high
    onFailure: contain-account
default: { action: approve }
`);
  writeFileSync(join(dir, 'soar.key'), SECRET);
  const input: ProxyConfigInput = {
    listeners: [{ name: 'test', host: '127.0.0.1', port: 0 }],
    directory: { urls: [slapd.url] },
    storage: { path: join(dir, 'bindwall.db') },
    threat: { honeytokens: { accounts: ['carol'], respond: 'contain-account' } },
    policy: { dir: join(dir, 'policies'), watch: false },
    mfa: { okta: { orgUrl: sim.url, apiToken: TOKEN, loginTemplate: '{account}@corp.example' }, pollIntervalMs: 25, challengeTimeoutMs: 10_000 },
    incidents: { responseRetry: { attempts: 3, backoffMs: 20, maxBackoffMs: 100 } },
    responses: {
      'contain-account': ['quarantine', 'okta.suspend', { webhook: { url: `http://127.0.0.1:${(soar.address() as AddressInfo).port}/hooks/bindwall`, secretFile: join(dir, 'soar.key') } }],
    },
  };
  configFile = join(dir, 'bindwall.yaml');
  writeFileSync(configFile, stringify(input));
  proxy = await startProxy(input, { policy: true, behavior: true });
});

test.after.always(async () => {
  await proxy?.stop();
  await sim?.stop();
  soar?.close();
  await slapd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test.serial('a denied push runs the rule\'s workflow: quarantine, Okta suspend, a webhook that is down becomes a dead letter', async (t) => {
  const bind = bindFrom(proxy.url, '127.0.0.1', dn('alice'), 'Alice-Pass-1');
  sim.state.answer(await pushFor('alice@corp.example'), false);
  t.is((await bind).resultCode, 49);
  await proxy.mfa!.runner.drain();
  const incident = proxy.mfa!.incidents.list()[0]!;
  const timeline = proxy.mfa!.incidents.get(incident.id)!.timeline.map((e) => e.what);
  t.true(proxy.quarantine!.isQuarantined('alice', Date.now()));
  t.is(sim.state.user('alice@corp.example')!.status, 'SUSPENDED');
  t.true(timeline.some((w) => /step 2\/3 \(okta\.suspend\): Okta user alice@corp\.example suspended/.test(w)), timeline.join('\n'));
  t.is(tried, 3);
  t.is(timeline.filter((w) => /step 3\/3 \(webhook 127\.0\.0\.1:\d+\): attempt \d failed \(webhook 127\.0\.0\.1:\d+ answered HTTP 503\)/.test(w)).length, 3);
  t.true(timeline.some((w) => /gave up after 3 attempt\(s\); dead letter #\d+ kept/.test(w)));
  const list = await runBindwall(['dead-letters', 'list', '--json', '--db', join(dir, 'bindwall.db')]);
  t.is(list.status, 0, list.stderr);
  const letters = JSON.parse(list.stdout) as { id: number; kind: string; target: string; incidentId: number; payload?: string }[];
  t.like(letters[0], { kind: 'step', target: 'webhook', incidentId: incident.id });
  t.is(letters[0]!.payload, undefined, 'list does not print payloads');
});

test.serial('dead-letters retry: delivered once the receiver is back, signed, and recorded on the timeline', async (t) => {
  soarUp = true;
  const [letter] = proxy.mfa!.incidents.deadLetters();
  const r = await runBindwall(['dead-letters', 'retry', String(letter!.id), '--config', configFile]);
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, new RegExp(`^#${letter!.id}  delivered: webhook 127\\.0\\.0\\.1:\\d+ answered 200`));
  const d = delivered.at(-1)!;
  t.is(d.signature, `sha256=${createHmac('sha256', SECRET).update(`${d.timestamp}.${d.body}`).digest('hex')}`);
  t.like(JSON.parse(d.body), { type: 'bindwall.response', workflow: 'contain-account', step: 'webhook', incident: { id: letter!.incidentId, account: 'alice', failure: 'denied' } });
  t.deepEqual(proxy.mfa!.incidents.deadLetters(), []);
  t.true(proxy.mfa!.incidents.get(letter!.incidentId!)!.timeline.some((e) => new RegExp(`^dead letter #${letter!.id} \\(webhook\\) retried: delivered`).test(e.what)));
  const again = await runBindwall(['dead-letters', 'retry', '--all', '--config', configFile]);
  t.is(again.status, 0);
  t.regex(again.stdout, /no dead letters waiting/);
  const usage = await runBindwall(['dead-letters', 'retry', '--config', configFile]);
  t.is(usage.status, 2);
  t.regex(usage.stderr, /retry takes dead-letter IDs or --all/);
  t.is((await runBindwall(['dead-letters', 'retry', '999', '--config', configFile])).status, 1);
});

test.serial('a honeytoken bind runs threat.honeytokens.respond on its critical incident', async (t) => {
  t.is((await bindFrom(proxy.url, '127.0.0.77', dn('carol'), 'whatever')).resultCode, 49);
  await proxy.mfa!.runner.drain();
  const incident = proxy.mfa!.incidents.list().find((i) => i.failure === 'honeytoken')!;
  t.like(incident, { account: 'carol', severity: 'critical' });
  t.true(proxy.quarantine!.isQuarantined('carol', Date.now()));
  t.true(proxy.mfa!.incidents.get(incident.id)!.timeline.some((e) => /response contain-account step 1\/3 \(quarantine\): account carol quarantined/.test(e.what)));
});
