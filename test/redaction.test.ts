/**
 * No password ever reaches a log, an error text or a stored file. Every bind path is
 * driven with distinctive secrets at trace log level, then everything the run wrote
 * (stdout, stderr, the data folder, the in-process log file, what clients were told) is
 * searched for them, in plain, base64 and hex form.
 */
import test from 'ava';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LdapClient } from '../src/ldap/client.js';
import { encodeSimpleBindRequest } from '../src/ldap/messages.js';
import { spawnBindwall } from './helpers/cli.js';
import { ldapTool } from './helpers/ldap-utils.js';
import { tempDir } from './helpers/paths.js';
import { startProxy } from './helpers/proxy.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd } from './helpers/slapd.js';

const ALICE = `uid=alice,ou=people,${BASE_DN}`;
const BOB = `uid=bob,ou=people,${BASE_DN}`;
const SECRETS = ['Alice-Pass-1', 'Bob-Pass-2', ADMIN_PW, 'Zq9-Wrong-Secret-77', 'Rotated-Secret-55', 'Sasl-Secret-66', 'Modify-Secret-44', 'Pipelined-Secret-33'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function leaks(haystack: Buffer, where: string): string[] {
  const found: string[] = [];
  for (const s of SECRETS) {
    for (const form of [s, Buffer.from(s).toString('base64'), Buffer.from(s).toString('hex')]) {
      if (haystack.includes(Buffer.from(form))) found.push(`${where} contains ${form === s ? 'a password' : 'an encoded password'} (${s.slice(0, 3)}…)`);
    }
  }
  return found;
}

test('no password reaches stdout, stderr, logs, stored files or client-facing errors', async (t) => {
  const slapd = await startSlapd();
  t.teardown(() => slapd.stop());
  const dir = tempDir(t);
  const config = join(dir, 'bindwall.yaml');
  writeFileSync(config, `listeners:\n  - name: edge\n    port: 0\ndirectory:\n  urls: [${slapd.url}]\nstorage:\n  path: data/bindwall.db\nlog:\n  level: trace\n`);
  const bw = spawnBindwall(['start', '--config', config], { cwd: dir });
  t.teardown(() => bw.child.kill('SIGKILL'));
  const [, url] = (await bw.waitFor(/"url":"(ldap:\/\/127\.0\.0\.1:\d+)"/)) as unknown as [string, string];
  const told: string[] = [];
  const run = async (tool: string, args: string[], input?: string): Promise<void> => {
    const r = await ldapTool(tool, ['-H', url, ...args], input === undefined ? {} : { input });
    told.push(r.stdout, r.stderr);
  };
  await run('ldapwhoami', ['-x', '-D', ALICE, '-w', 'Alice-Pass-1']);
  await run('ldapwhoami', ['-x', '-D', ALICE, '-w', 'Zq9-Wrong-Secret-77']);
  await run('ldapwhoami', ['-x', '-D', `uid=nobody,${BASE_DN}`, '-w', 'Zq9-Wrong-Secret-77']);
  await run('ldapwhoami', ['-Y', 'DIGEST-MD5', '-U', 'alice', '-w', 'Sasl-Secret-66']);
  await run('ldappasswd', ['-x', '-D', BOB, '-w', 'Bob-Pass-2', '-a', 'Bob-Pass-2', '-s', 'Rotated-Secret-55']);
  await run('ldapmodify', ['-x', '-D', ADMIN_DN, '-w', ADMIN_PW], `dn: ${ALICE}\nchangetype: modify\nreplace: userPassword\nuserPassword: Modify-Secret-44\n`);
  // A malformed bind that carries a password: the protocol error must not echo it.
  const raw = encodeSimpleBindRequest(9, ALICE, 'Pipelined-Secret-33');
  const broken = Buffer.concat([raw.subarray(0, raw.length - 1), Buffer.from([0xff])]);
  const c = await LdapClient.connect(url);
  c.send(Buffer.concat([broken, Buffer.from([0x04, 0x00])]));
  told.push((await c.receive().then((m) => m.pdu, () => Buffer.alloc(0))).toString('latin1'));
  c.destroy();
  bw.child.kill('SIGTERM');
  t.is(await bw.exited, 0);

  // In-process as well, through block, challenge and fail-closed paths.
  const p = await startProxy({ directory: { urls: [slapd.url] }, log: { level: 'trace' } }, {
    decide: (a) => {
      if (a.bindDn === BOB) throw new Error('boom');
      return a.bindDn === ALICE ? { action: 'block' } : { action: 'challenge' };
    },
  });
  await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Modify-Secret-44']);
  await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', BOB, '-w', 'Rotated-Secret-55']);
  await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ADMIN_DN, '-w', ADMIN_PW]);
  const inProcessLog = readFileSync(p.logFile);
  const events = Buffer.from(JSON.stringify(p.events));
  await p.stop();

  const found = [
    ...leaks(Buffer.from(bw.stdout()), 'stdout'),
    ...leaks(Buffer.from(bw.stderr()), 'stderr'),
    ...filesUnder(dir).flatMap((f) => leaks(readFileSync(f), f)),
    ...leaks(inProcessLog, 'in-process log'),
    ...leaks(events, 'bind events'),
    ...leaks(Buffer.from(told.join('\n')), 'what clients were told'),
  ];
  t.deepEqual(found, []);
  // The run really did exercise the paths (so the search above means something).
  const lines = bw.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { event?: string; outcome?: string });
  t.true(lines.some((l) => l.outcome === 'approved'));
  t.true(lines.some((l) => l.outcome === 'failed'));
  t.true(lines.some((l) => l.event === 'protocol_violation'));
  t.true(inProcessLog.includes('"outcome":"blocked"') && inProcessLog.includes('"outcome":"error"') && inProcessLog.includes('"outcome":"challenge_failed"'));
});

test('step-up: no password, password+OTP or Okta API token reaches logs, storage, incidents or clients', async (t) => {
  const { OktaSimulator } = await import('../src/okta/simulator/server.js');
  const slapd = await startSlapd();
  t.teardown(() => slapd.stop());
  const OKTA_TOKEN = 'Okta-Token-Secret-88';
  const sim = new OktaSimulator({ apiTokens: [OKTA_TOKEN] });
  await sim.start();
  t.teardown(() => sim.stop());
  sim.state.addUser({ login: 'alice@corp.example' });
  sim.state.addUser({ login: 'bob@corp.example' });
  const dir = tempDir(t);
  writeFileSync(join(dir, 'token'), `${OKTA_TOKEN}\n`);
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'p.yaml'), 'version: 1\nrules:\n  - { id: otp, when: { user: alice }, action: mfa, method: otp }\n  - { id: push, when: { user: bob }, action: mfa }\ndefault: { action: approve }\n');
  const config = join(dir, 'bindwall.yaml');
  writeFileSync(config, `listeners:\n  - name: edge\n    port: 0\ndirectory:\n  urls: [${slapd.url}]\nstorage:\n  path: data/bindwall.db\nlog:\n  level: trace\npolicy:\n  dir: policies\n` +
    `mfa:\n  okta:\n    orgUrl: ${sim.url}\n    apiTokenFile: token\n    loginTemplate: "{account}@corp.example"\n  otpDelimiter: ","\n  pollIntervalMs: 20\n  challengeTimeoutMs: 3000\n`);
  const bw = spawnBindwall(['start', '--config', config], { cwd: dir });
  t.teardown(() => bw.child.kill('SIGKILL'));
  const [, url] = (await bw.waitFor(/"url":"(ldap:\/\/127\.0\.0\.1:\d+)"/)) as unknown as [string, string];
  const told: string[] = [];
  const bind = async (dn: string, pw: string): Promise<number> => {
    const r = await ldapTool('ldapwhoami', ['-x', '-H', url, '-D', dn, '-w', pw]);
    told.push(r.stdout, r.stderr);
    return r.code;
  };
  t.is(await bind(ALICE, 'Alice-Pass-1,000000'), 49, 'a wrong code');
  t.is(await bind(ALICE, 'Zq9-Wrong-Secret-77,123456'), 49, 'a wrong password with a code');
  const denied = bind(BOB, 'Bob-Pass-2');
  for (let i = 0; i < 300 && !sim.state.latestPending('bob@corp.example'); i++) await new Promise((r) => setTimeout(r, 10));
  sim.state.answer(sim.state.latestPending('bob@corp.example')!.id, false);
  t.is(await denied, 49);
  bw.child.kill('SIGTERM');
  t.is(await bw.exited, 0);
  const secrets = ['Alice-Pass-1', 'Bob-Pass-2', 'Zq9-Wrong-Secret-77', OKTA_TOKEN, 'Alice-Pass-1,000000'];
  const found: string[] = [];
  const check = (hay: Buffer, where: string): void => {
    for (const s of secrets) for (const form of [s, Buffer.from(s).toString('base64'), Buffer.from(s).toString('hex')]) if (hay.includes(Buffer.from(form))) found.push(`${where}: ${s.slice(0, 4)}…`);
  };
  check(Buffer.from(bw.stdout()), 'stdout');
  check(Buffer.from(bw.stderr()), 'stderr');
  for (const f of filesUnder(join(dir, 'data'))) check(readFileSync(f), f);
  check(Buffer.from(told.join('\n')), 'clients');
  t.deepEqual(found, []);
  const out = bw.stdout();
  t.regex(out, /"event":"incident".*"failure":"wrong_code"/);
  t.regex(out, /"event":"incident".*"failure":"denied"/);
  t.true(sim.requests.some((r) => r.path.endsWith('/verify')), 'Okta was really asked');
});
