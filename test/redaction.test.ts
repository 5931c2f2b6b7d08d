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
