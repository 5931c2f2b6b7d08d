/**
 * TLS on both sides: an LDAPS listener, StartTLS offered and required on a plain
 * listener, and ldaps:// or StartTLS to the directory with certificate verification.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { testCerts } from '../helpers/certs.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { tempDir } from '../helpers/paths.js';
import { startProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const ALICE = `uid=alice,ou=people,${BASE_DN}`;
let slapd: Slapd;

test.before(async () => {
  slapd = await startSlapd({ certs: testCerts() });
});
test.after.always(async () => {
  await slapd?.stop();
});

test('an LDAPS listener serves ldapwhoami and ldapsearch', async (t) => {
  const certs = testCerts();
  const p = await startProxy({
    listeners: [{ name: 'ldaps', host: '127.0.0.1', port: 0, tls: { certFile: certs.certFile, keyFile: certs.keyFile } }],
    directory: { urls: [slapd.url] },
  });
  t.teardown(() => p.stop());
  t.regex(p.url, /^ldaps:\/\//);
  const who = await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1'], { caFile: certs.caFile });
  t.is(who.code, 0, who.stderr);
  const search = await ldapTool('ldapsearch', ['-x', '-LLL', '-H', p.url, '-b', BASE_DN, '(uid=bob)', 'cn'], { caFile: certs.caFile });
  t.regex(search.stdout, /cn: Bob Baker/);
  t.true(p.events.some((e) => e.tls && e.outcome === 'approved'));
});

test('requireTls refuses a cleartext simple bind with confidentialityRequired, then allows it after StartTLS', async (t) => {
  const certs = testCerts();
  const p = await startProxy({
    listeners: [{ name: 'strict', host: '127.0.0.1', port: 0, startTls: { certFile: certs.certFile, keyFile: certs.keyFile }, requireTls: true }],
    directory: { urls: [slapd.url] },
  });
  t.teardown(() => p.stop());
  const clear = await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1']);
  t.is(clear.code, 13);
  t.regex(clear.stderr, /requires TLS/);
  const upgraded = await ldapTool('ldapwhoami', ['-x', '-ZZ', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1'], { caFile: certs.caFile });
  t.is(upgraded.code, 0, upgraded.stderr);
});

test('StartTLS on a listener without certificates is refused (protocolError), so -ZZ fails and -Z continues', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] } });
  t.teardown(() => p.stop());
  const must = await ldapTool('ldapwhoami', ['-x', '-ZZ', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1']);
  t.not(must.code, 0);
  t.regex(must.stderr, /StartTLS is not offered/);
  const may = await ldapTool('ldapwhoami', ['-x', '-Z', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1']);
  t.is(may.code, 0);
});

test('upstream ldaps:// with the CA file configured', async (t) => {
  const certs = testCerts();
  const p = await startProxy({ directory: { urls: [slapd.ldapsUrl!], caFile: certs.caFile } });
  t.teardown(() => p.stop());
  const r = await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1']);
  t.is(r.code, 0, r.stderr);
});

test('upstream StartTLS before any client traffic', async (t) => {
  const certs = testCerts();
  const p = await startProxy({ directory: { urls: [slapd.url], startTls: true, caFile: certs.caFile } });
  t.teardown(() => p.stop());
  const r = await ldapTool('ldapsearch', ['-x', '-LLL', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1', '-b', ALICE, '-s', 'base', 'mail']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /mail: alice@corp.example/);
});

test('a directory certificate from an unknown CA is refused: 52, never a silent downgrade', async (t) => {
  const dir = tempDir(t);
  // A CA bundle that does not contain our test CA (a self-signed cert of its own).
  const other = join(dir, 'other-ca.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=other', '-keyout', join(dir, 'k'), '-out', other], { stdio: 'pipe' });
  const p = await startProxy({ directory: { urls: [slapd.ldapsUrl!], caFile: other } });
  t.teardown(() => p.stop());
  const r = await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1']);
  t.is(r.code, 52);
  t.regex(r.stderr, /the directory is unavailable \(ref (dir-\d+)\)/);
  t.false(r.stderr.includes('127.0.0.1'), 'no topology for clients');
  const ref = /\(ref (dir-\d+)\)/.exec(r.stderr)![1];
  t.true(p.logLines().some((l) => l.event === 'directory_down' && l.ref === ref && String(l.error).startsWith('BW_UPSTREAM_TLS')), 'the reference finds the detail in the log');
});
