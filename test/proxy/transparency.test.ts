/**
 * Through the proxy, the real OpenLDAP clients print exactly what they print against the
 * directory itself: binds, wrong passwords, big and paged and sorted searches, compare,
 * writes, password changes, and StartTLS.
 */
import test from 'ava';
import { testCerts } from '../helpers/certs.js';
import { ldapTool, type ToolResult } from '../helpers/ldap-utils.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const ALICE = `uid=alice,ou=people,${BASE_DN}`;
const BULK = 10_000;
let slapd: Slapd;
let proxy: TestProxy;

test.before(async () => {
  const certs = testCerts();
  slapd = await startSlapd({ bulkUsers: BULK, certs });
  proxy = await startProxy({
    listeners: [{ name: 'plain', host: '127.0.0.1', port: 0, startTls: { certFile: certs.certFile, keyFile: certs.keyFile } }],
    directory: { urls: [slapd.url] },
  });
});
test.after.always(async () => {
  await proxy?.stop();
  await slapd?.stop();
});

/** Runs the same tool with the same arguments against the directory and the proxy. */
async function both(tool: string, args: string[], opts: { caFile?: string; input?: string } = {}): Promise<{ direct: ToolResult; proxied: ToolResult }> {
  const direct = await ldapTool(tool, ['-H', slapd.url, ...args], opts);
  const proxied = await ldapTool(tool, ['-H', proxy.url, ...args], opts);
  return { direct, proxied };
}

test('ldapwhoami: same identity', async (t) => {
  const { direct, proxied } = await both('ldapwhoami', ['-x', '-D', ALICE, '-w', 'Alice-Pass-1']);
  t.is(direct.code, 0);
  t.deepEqual(proxied, direct);
  t.is(proxied.stdout.trim(), `dn:${ALICE}`);
});

test('a wrong password gives 49, exactly as directly', async (t) => {
  const { direct, proxied } = await both('ldapwhoami', ['-x', '-D', ALICE, '-w', 'not-her-password']);
  t.is(direct.code, 49);
  t.deepEqual(proxied, direct);
});

test('a full-subtree search of more than 10,000 entries streams through unchanged', async (t) => {
  const args = ['-x', '-LLL', '-b', BASE_DN, '(objectClass=*)', 'cn', 'mail'];
  const { direct, proxied } = await both('ldapsearch', args);
  t.is(direct.code, 0);
  const entries = (proxied.stdout.match(/^dn: /gm) ?? []).length;
  t.true(entries >= BULK, `${entries} entries`);
  t.is(proxied.code, direct.code);
  t.is(proxied.stdout, direct.stdout);
});

test('paged results (RFC 2696) page the same way', async (t) => {
  const args = ['-x', '-b', `ou=bulk,${BASE_DN}`, '-E', 'pr=700/noprompt', '(uid=user0*)', 'uid'];
  const { direct, proxied } = await both('ldapsearch', args);
  t.is(direct.code, 0);
  t.regex(direct.stdout, /pagedresults: cookie=/);
  t.deepEqual(proxied, direct);
});

test('server-side sort (RFC 2891) and a size limit behave the same', async (t) => {
  const sorted = await both('ldapsearch', ['-x', '-LLL', '-b', `ou=bulk,${BASE_DN}`, '-E', 'sss=-uidNumber', '(uid=user000*)', 'uidNumber']);
  t.is(sorted.direct.code, 0, sorted.direct.stderr);
  t.regex(sorted.direct.stdout, /uidNumber: 10099[\s\S]*uidNumber: 10098/, 'descending order');
  t.deepEqual(sorted.proxied, sorted.direct);
  const limited = await both('ldapsearch', ['-x', '-LLL', '-z', '5', '-b', `ou=bulk,${BASE_DN}`, '(uid=*)', 'uid']);
  t.is(limited.direct.code, 4, 'sizeLimitExceeded');
  t.deepEqual(limited.proxied, limited.direct);
});

test('ldapcompare: TRUE, FALSE and no such object', async (t) => {
  for (const assertion of [[ALICE, 'departmentNumber:Finance'], [ALICE, 'departmentNumber:IT'], [`uid=nobody,${BASE_DN}`, 'cn:x']]) {
    const { direct, proxied } = await both('ldapcompare', ['-x', ...assertion]);
    t.deepEqual(proxied, direct, assertion.join(' '));
  }
});

// Tests that change the directory run serially, before the concurrent read comparisons
// (ava runs serial tests first), so "directly" and "through the proxy" see the same tree.
test.serial('ldapmodify: add, modify, rename and delete go through; errors match', async (t) => {
  const dn = `uid=newhire,ou=people,${BASE_DN}`;
  const add = `dn: ${dn}\nchangetype: add\nobjectClass: inetOrgPerson\nuid: newhire\ncn: New Hire\nsn: Hire\n`;
  const bindArgs = ['-x', '-D', ADMIN_DN, '-w', ADMIN_PW];
  const added = await ldapTool('ldapmodify', ['-H', proxy.url, ...bindArgs], { input: add });
  t.is(added.code, 0, added.stderr);
  // The same add again fails with "Already exists (68)", identically through both paths.
  const again = await both('ldapmodify', bindArgs, { input: add });
  t.is(again.direct.code, 68);
  t.deepEqual(again.proxied, again.direct);

  const modify = `dn: ${dn}\nchangetype: modify\nreplace: title\ntitle: Intern\n`;
  t.is((await ldapTool('ldapmodify', ['-H', proxy.url, ...bindArgs], { input: modify })).code, 0);
  const rename = `dn: ${dn}\nchangetype: modrdn\nnewrdn: uid=newhire2\ndeleteoldrdn: 1\n`;
  t.is((await ldapTool('ldapmodify', ['-H', proxy.url, ...bindArgs], { input: rename })).code, 0);
  const renamed = `uid=newhire2,ou=people,${BASE_DN}`;
  const seen = await ldapTool('ldapsearch', ['-x', '-LLL', '-H', slapd.url, '-b', renamed, '-s', 'base', 'title']);
  t.regex(seen.stdout, /title: Intern/);
  t.is((await ldapTool('ldapmodify', ['-H', proxy.url, ...bindArgs], { input: `dn: ${renamed}\nchangetype: delete\n` })).code, 0);
  const gone = await ldapTool('ldapsearch', ['-x', '-H', slapd.url, '-b', renamed, '-s', 'base']);
  t.is(gone.code, 32);
});

test.serial('ldappasswd: a password change through the proxy takes effect', async (t) => {
  const dn = `uid=user00042,ou=bulk,${BASE_DN}`;
  const r = await ldapTool('ldappasswd', ['-x', '-H', proxy.url, '-D', dn, '-w', 'Bulk-Pass-42', '-a', 'Bulk-Pass-42', '-s', 'Changed-Pass-42']);
  t.is(r.code, 0, r.stderr);
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', slapd.url, '-D', dn, '-w', 'Changed-Pass-42'])).code, 0);
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', proxy.url, '-D', dn, '-w', 'Bulk-Pass-42'])).code, 49);
});

test('StartTLS (-ZZ) on the listener: same output as StartTLS directly', async (t) => {
  const { caFile } = testCerts();
  const { direct, proxied } = await both('ldapwhoami', ['-x', '-ZZ', '-D', ALICE, '-w', 'Alice-Pass-1'], { caFile });
  t.is(direct.code, 0, direct.stderr);
  t.deepEqual(proxied, direct);
  const search = await both('ldapsearch', ['-x', '-ZZ', '-LLL', '-b', `ou=people,${BASE_DN}`, '(uid=*)', 'uid'], { caFile });
  t.deepEqual(search.proxied, search.direct);
  const bind = proxy.events.find((e) => e.bindDn === ALICE && e.tls);
  t.truthy(bind, 'the bind is recorded as encrypted');
});

test('every bind attempt reaches the event sink with its outcome', async (t) => {
  const dn = `uid=user00077,ou=bulk,${BASE_DN}`;
  await ldapTool('ldapwhoami', ['-x', '-H', proxy.url, '-D', dn, '-w', 'Bulk-Pass-77']);
  await ldapTool('ldapwhoami', ['-x', '-H', proxy.url, '-D', dn, '-w', 'wrong']);
  const mine = proxy.events.filter((e) => e.bindDn === dn);
  t.deepEqual(mine.map((e) => [e.outcome, e.resultCode, e.method]), [['approved', 0, 'simple'], ['failed', 49, 'simple']]);
  t.true(mine.every((e) => e.clientAddress === '127.0.0.1' && e.listener === 'plain' && e.latencyMs >= 0));
});
