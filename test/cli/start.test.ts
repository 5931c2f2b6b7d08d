/**
 * The real binary: `bindwall start --config FILE` against slapd, graceful SIGTERM while a
 * search is streaming, an invalid config that starts nothing, and usage errors.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { LdapClient, encodeSearchRequest, Filter } from '../../src/ldap/client.js';
import { Op } from '../../src/ldap/protocol.js';
import { spawnBindwall } from '../helpers/cli.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const ALICE = `uid=alice,ou=people,${BASE_DN}`;
let slapd: Slapd;

test.before(async () => {
  slapd = await startSlapd({ bulkUsers: 5_000 });
});
test.after.always(async () => {
  await slapd?.stop();
});

function writeConfig(dir: string, extra = ''): string {
  const file = join(dir, 'bindwall.yaml');
  writeFileSync(file, `listeners:\n  - name: edge\n    port: 0\ndirectory:\n  urls: [${slapd.url}]\nstorage:\n  path: data/bindwall.db\n${extra}`);
  return file;
}

test('start --config runs the proxy; SIGTERM lets a streaming search finish, then exits 0', async (t) => {
  const dir = tempDir(t);
  const bw = spawnBindwall(['start', '--config', writeConfig(dir, 'limits:\n  shutdownGraceMs: 20000\n')]);
  t.teardown(() => bw.child.kill('SIGKILL'));
  const [, url] = (await bw.waitFor(/"url":"(ldap:\/\/127\.0\.0\.1:\d+)"/)) as unknown as [string, string];
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', url, '-D', ALICE, '-w', 'Alice-Pass-1'])).code, 0);

  // A slow reader starts a 5,000-entry search, then the proxy is told to stop.
  const c = await LdapClient.connect(url);
  c.send(encodeSearchRequest(c.nextMessageId(), `ou=bulk,${BASE_DN}`, 1, Filter.present('objectClass'), ['cn']));
  const first = await c.receive();
  t.is(first.opTag, Op.SearchResultEntry);
  c.socket.pause();
  bw.child.kill('SIGTERM');
  await bw.waitFor(/"event":"stopping"/);
  // New connections are no longer accepted.
  const refused = await new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: Number(new URL(url).port) });
    s.once('error', () => resolve(true));
    s.once('connect', () => { s.destroy(); resolve(false); });
  });
  t.true(refused, 'listener closed');
  c.socket.resume();
  let entries = 1;
  for (;;) {
    const m = await c.receive();
    if (m.opTag === Op.SearchResultEntry) entries++;
    else break;
  }
  t.is(entries, 5_000, 'the in-flight search completed');
  t.is(await bw.exited, 0);
  t.regex(bw.stdout(), /"event":"stopped"/);
});

test('an invalid config lists every problem with file:line:col, exits 1 and starts nothing', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'listeners:\n  - name: x\n    port: 1389\n    hots: 0.0.0.0\ndirectory:\n  urls: [ftp://nope]\nlog:\n  level: loud\n');
  const bw = spawnBindwall(['start', '--config', file]);
  t.is(await bw.exited, 1);
  const lines = bw.stderr().trim().split('\n');
  t.true(lines.some((l) => l.startsWith(`${file}:4:5: error: unknown key "hots"`) && l.includes('did you mean "host"')));
  t.true(lines.some((l) => l.startsWith(`${file}:6:10: error: unsupported scheme "ftp"`)));
  t.true(lines.some((l) => l.startsWith(`${file}:8:10: error: log.level must be one of`)));
  t.regex(bw.stderr(), /configuration invalid, nothing started/);
  t.is(bw.stdout(), '');
});

test('config check: ok for the example, non-zero with diagnostics for a bad file', async (t) => {
  const ok = spawnBindwall(['config', 'check', join(repoRoot, 'bindwall.example.yaml')]);
  t.is(await ok.exited, 0);
  t.regex(ok.stdout(), /bindwall\.example\.yaml: ok/);
  const bad = spawnBindwall(['config', 'check', join(repoRoot, 'fixtures', 'config', 'invalid.yaml')]);
  t.is(await bad.exited, 1);
  t.regex(bad.stderr(), /invalid\.yaml:5:5: error: unknown key "prot"/);
  t.regex(bad.stderr(), /\d+ error\(s\) in/);
});

test('a port already in use is a clear error', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => blocker.close());
  const dir = tempDir(t);
  const file = join(dir, 'c.yaml');
  writeFileSync(file, `listeners:\n  - name: edge\n    port: ${(blocker.address() as net.AddressInfo).port}\ndirectory:\n  urls: [${slapd.url}]\n`);
  const bw = spawnBindwall(['start', '--config', file]);
  t.is(await bw.exited, 1);
  t.regex(bw.stderr(), /cannot listen on 127\.0\.0\.1:\d+ \(edge\): EADDRINUSE \[BW_LISTEN_FAILED\]/);
});

test('usage: --help, --version, unknown commands and options', async (t) => {
  const help = spawnBindwall(['--help']);
  t.is(await help.exited, 0);
  t.regex(help.stdout(), /bindwall start --config FILE/);
  const version = spawnBindwall(['--version']);
  t.is(await version.exited, 0);
  t.regex(version.stdout(), /^\d+\.\d+\.\d+\n$/);
  const unknown = spawnBindwall(['frobnicate']);
  t.is(await unknown.exited, 2);
  t.regex(unknown.stderr(), /unknown command "frobnicate"/);
  const noConfig = spawnBindwall(['start']);
  t.is(await noConfig.exited, 2);
  t.regex(noConfig.stderr(), /start needs --config FILE/);
  const badOption = spawnBindwall(['start', '--confg', 'x']);
  t.is(await badOption.exited, 2);
});

test('an invalid policy starts nothing: every problem with file:line:col, exit 1; config check reports it too', async (t) => {
  const dir = tempDir(t);
  const policies = join(dir, 'policies');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(policies);
  writeFileSync(join(policies, 'p.yaml'), 'version: 1\nrules:\n  - id: x\n    when: { endpoint: 10.0.0.0/40 }\n    action: block\n');
  const config = writeConfig(dir, 'policy:\n  dir: policies\n');
  const bw = spawnBindwall(['start', '--config', config], { cwd: dir });
  t.is(await bw.exited, 1);
  t.regex(bw.stderr(), /p\.yaml:4:23: error: "10\.0\.0\.0\/40" has an invalid prefix length/);
  t.regex(bw.stderr(), /p\.yaml:1:1: error: no default action/);
  t.regex(bw.stderr(), /policy invalid \(2 error\(s\)\)/);
  const check = spawnBindwall(['config', 'check', config], { cwd: dir });
  t.is(await check.exited, 1);
  t.regex(check.stderr(), /p\.yaml:4:23: error/);
});

test('config check --connect reaches every directory URL and binds the lookup account; a wrong password is an error with its code and fix, never echoed', async (t) => {
  const dir = tempDir(t);
  const { freePort } = await import('../helpers/ports.js');
  const dead = `ldap://127.0.0.1:${await freePort()}`;
  const lookup = (pw: string, urls: string): string => {
    writeFileSync(join(dir, 'lookup.pw'), `${pw}\n`);
    const file = join(dir, 'connect.yaml');
    writeFileSync(file, `listeners:\n  - name: edge\n    port: 0\ndirectory:\n  urls: [${urls}]\n  lookup:\n    bindDn: "${ADMIN_DN}"\n    passwordFile: lookup.pw\n    baseDn: "${BASE_DN}"\nstorage:\n  path: data/bindwall.db\n`);
    return file;
  };
  const ok = spawnBindwall(['config', 'check', lookup(ADMIN_PW, slapd.url), '--connect'], { cwd: dir });
  t.is(await ok.exited, 0, ok.stderr());
  t.regex(ok.stdout(), new RegExp(`directory ${slapd.url.replace(/[.]/g, '\\.')}: ok`));
  t.regex(ok.stdout(), /lookup account .*: ok/);
  const wrong = spawnBindwall(['config', 'check', lookup('not-the-password-x9', `${slapd.url}, ${dead}`), '--connect', '--json'], { cwd: dir });
  t.is(await wrong.exited, 1);
  const report = JSON.parse(wrong.stdout()) as { ok: boolean; connections: { what: string; ok: boolean; code?: string }[] };
  t.false(report.ok);
  t.like(report.connections.find((c) => c.what.startsWith('lookup')), { ok: false, code: 'BW_LOOKUP_BIND_FAILED' });
  t.like(report.connections.find((c) => c.what === `directory ${dead}`), { ok: false });
  t.regex(wrong.stderr(), /fix: check directory\.lookup\.bindDn/);
  t.false(`${wrong.stdout()}${wrong.stderr()}`.includes('not-the-password-x9'), 'the password is never echoed');
});
