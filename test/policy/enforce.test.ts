/**
 * The policy engine in the proxy, against a real slapd with the real ldap-utils: approve,
 * block, demote (writes refused, attributes stripped, a subtree hidden, filters and compares
 * on what is hidden refused), MFA failing closed until a connector exists, decisions
 * recorded with rule id and policy hash, and hot reload that survives a bad edit.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReloadResult } from '../../src/policy/watch.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { tempDir } from '../helpers/paths.js';
import { startProxy, type TestProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const ALICE = `uid=alice,ou=people,${BASE_DN}`;
const BOB = `uid=bob,ou=people,${BASE_DN}`;
const CAROL = `uid=carol,ou=people,${BASE_DN}`;
const SVC = `uid=svc-backup,ou=services,${BASE_DN}`;
const PW: Record<string, string> = { [ALICE]: 'Alice-Pass-1', [BOB]: 'Bob-Pass-2', [CAROL]: 'Carol-Pass-3', [SVC]: 'Svc-Backup-Pass-4' };

const POLICY = `version: 1
demoteProfiles:
  restricted:
    stripAttributes:
      - attribute: title
      - attribute: mail
        values: ["bob@*"]
    hideSubtrees: ["ou=services,${BASE_DN}"]
rules:
  - id: bob-demoted
    when: { user: bob }
    action: demote
    profile: restricted
  - id: carol-blocked
    when: { user: carol }
    action: block
  - id: service-mfa
    when: { kind: service }
    action: mfa
    method: otp
default: { action: approve }
`;

let slapd: Slapd;
let proxy: TestProxy;
let policyDir: string;

test.before(async () => {
  slapd = await startSlapd();
  const dir = (policyDir = mkdtempSync(join(tmpdir(), 'bindwall-policy-')));
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  proxy = await startProxy({ directory: { urls: [slapd.url] }, policy: { dir, watch: false } }, { policy: true });
});

test.after.always(async () => {
  await proxy?.stop();
  await slapd?.stop();
  rmSync(policyDir, { recursive: true, force: true });
});

const as = (dn: string): string[] => ['-x', '-H', proxy.url, '-D', dn, '-w', PW[dn]!];

test('approve and block by rule; every decision carries the rule id and the policy hash', async (t) => {
  t.is((await ldapTool('ldapwhoami', as(ALICE))).code, 0);
  const carol = await ldapTool('ldapwhoami', as(CAROL));
  t.is(carol.code, 49);
  t.regex(carol.stderr, /Invalid credentials \(49\)/);
  const hash = proxy.policy!.decider.policy.hash;
  const ev = (dn: string) => proxy.events.filter((e) => e.bindDn === dn).at(-1)!;
  t.like(ev(ALICE), { outcome: 'approved', ruleId: 'default', policyHash: hash, action: 'approve' });
  t.like(ev(CAROL), { outcome: 'blocked', ruleId: 'carol-blocked', policyHash: hash, action: 'block' });
  await new Promise((r) => setImmediate(r));
  const line = proxy.logLines().filter((l) => l.event === 'bind' && l.dn === CAROL).at(-1)!;
  t.like(line, { outcome: 'blocked', ruleId: 'carol-blocked', policy: hash });
});

test('mfa without a connector fails closed: 49 to the client and a log line saying why', async (t) => {
  const r = await ldapTool('ldapwhoami', as(SVC));
  t.is(r.code, 49);
  const ev = proxy.events.filter((e) => e.bindDn === SVC).at(-1)!;
  t.like(ev, { outcome: 'challenge_failed', ruleId: 'service-mfa', detail: 'no MFA connector configured' });
  const warn = proxy.logLines().find((l) => l.event === 'mfa_unavailable');
  t.truthy(warn);
  t.like(warn, { ruleId: 'service-mfa', method: 'otp' });
  t.regex(String(warn!.msg), /asks for MFA \(otp\) but no MFA connector is configured; refusing the bind/);
});

test('demote: the bind succeeds, writes are refused, stripped attributes and the hidden subtree are gone', async (t) => {
  t.is((await ldapTool('ldapwhoami', as(BOB))).code, 0);
  const search = ['-LLL', '-b', BASE_DN, '(objectClass=*)', 'title', 'mail'];
  const full = await ldapTool('ldapsearch', [...as(ALICE), ...search]);
  const demoted = await ldapTool('ldapsearch', [...as(BOB), ...search]);
  t.is(full.code, 0);
  t.is(demoted.code, 0);
  t.regex(full.stdout, /ou=services/);
  t.regex(full.stdout, /title: Engineer/);
  t.regex(full.stdout, /mail: bob@corp\.example/);
  t.notRegex(demoted.stdout, /ou=services/i, 'the hidden subtree is not listed');
  t.notRegex(demoted.stdout, /svc-backup/);
  t.notRegex(demoted.stdout, /^title:/m, 'title is stripped everywhere');
  t.notRegex(demoted.stdout, /mail: bob@/, 'the matching mail value is stripped');
  t.regex(demoted.stdout, /mail: alice@corp\.example/, 'other values stay');
  // Everything else is byte for byte what the directory said, minus what was removed.
  const strip = (s: string): string => s.split('\n\n').filter((e) => !/ou=services/i.test(e))
    .map((e) => e.split('\n').filter((l) => !/^title:/.test(l) && !/^mail: bob@/.test(l)).join('\n')).join('\n\n');
  t.is(demoted.stdout, strip(full.stdout));

  const typesOnly = await ldapTool('ldapsearch', [...as(BOB), '-LLL', '-A', '-b', ALICE, '-s', 'base', '(objectClass=*)', 'title', 'cn']);
  t.is(typesOnly.code, 0);
  t.regex(typesOnly.stdout, /^cn:/m);
  t.notRegex(typesOnly.stdout, /^title/m, 'a stripped attribute does not show even by name');
  const hiddenBase = await ldapTool('ldapsearch', [...as(BOB), '-LLL', '-b', `ou=services,${BASE_DN}`, '(objectClass=*)']);
  const missingBase = await ldapTool('ldapsearch', [...as(BOB), '-LLL', '-b', `ou=nothing,${BASE_DN}`, '(objectClass=*)']);
  t.is(hiddenBase.code, 32, 'a hidden subtree answers like one that does not exist');
  t.is(missingBase.code, 32);
  const filter = await ldapTool('ldapsearch', [...as(BOB), '-LLL', '-b', BASE_DN, '(title=Engineer)', 'cn']);
  t.is(filter.code, 50, 'a filter on a stripped attribute would reveal it');
  t.regex(filter.stderr, /restricted attribute/);
  t.is((await ldapTool('ldapcompare', [...as(BOB), SVC, 'cn:Backup Service'])).code, 32, 'a compare in a hidden subtree finds nothing');
  t.is((await ldapTool('ldapcompare', [...as(BOB), ALICE, 'title:Accountant'])).code, 50);
  t.is((await ldapTool('ldapcompare', [...as(BOB), ALICE, 'cn:Alice Archer'])).code, 6, 'other compares pass through (compareTrue)');
  const modify = await ldapTool('ldapmodify', as(BOB), { input: `dn: ${BOB}\nchangetype: modify\nreplace: description\ndescription: demoted\n` });
  t.is(modify.code, 50);
  t.regex(modify.stderr, /Insufficient access/);
  t.like(proxy.events.filter((e) => e.bindDn === BOB).at(-1), { outcome: 'demoted', ruleId: 'bob-demoted' });
  t.like(proxy.logLines().filter((l) => l.event === 'demoted_write_refused').at(-1), { level: 'info', dn: BOB, client: '127.0.0.1' });
  // Connections open and close at debug (the test proxy logs at debug).
  t.true(proxy.logLines().some((l) => l.event === 'connection_opened' && l.level === 'debug'));
  t.true(proxy.logLines().some((l) => l.event === 'connection_closed' && typeof l.durationMs === 'number'));
});

test('hot reload: a valid edit applies without restart, a bad edit is refused and the running policy stays', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, 'version: 1\ndefault: { action: approve }\n');
  const p = await startProxy({ directory: { urls: [slapd.url] }, policy: { dir, watch: true } }, { policy: true });
  t.teardown(() => p.stop());
  const watcher = p.policy!.watcher!;
  const nextReload = (want: (r: ReloadResult) => boolean): Promise<ReloadResult> => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { off(); reject(new Error('no reload within 10 s')); }, 10_000);
    const off = watcher.onReload((r) => {
      if (!want(r)) return;
      clearTimeout(timer);
      off();
      resolve(r);
    });
  });
  const whoami = async (): Promise<number> => (await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', PW[ALICE]!])).code;
  const first = p.policy!.decider.policy.hash;
  t.is(await whoami(), 0);

  let reloaded = nextReload((r) => r.applied);
  writeFileSync(file, 'version: 1\nrules:\n  - id: alice-out\n    when: { user: alice }\n    action: block\ndefault: { action: approve }\n');
  const applied = await reloaded;
  t.not(applied.hash, first);
  t.is(await whoami(), 49);
  t.is(p.events.at(-1)!.ruleId, 'alice-out');

  reloaded = nextReload((r) => !r.applied && r.diagnostics.length > 0);
  writeFileSync(file, 'version: 1\nrules:\n  - id: alice-out\n    when: { usr: alice }\n    action: block\ndefault: { action: approve }\n');
  const refused = await reloaded;
  t.is(refused.hash, applied.hash, 'still running the last good policy');
  t.is(await whoami(), 49, 'the bad edit did not open the door');
  await new Promise((r) => setImmediate(r));
  const failed = p.logLines().find((l) => l.event === 'policy_reload_failed')!;
  t.truthy(failed);
  t.deepEqual(failed.problems, [`${file}:4:13: error: unknown key "usr" in rules[0].when (hint: did you mean "user"?)`]);

  reloaded = nextReload((r) => r.applied);
  writeFileSync(file, 'version: 1\ndefault: { action: approve }\n');
  t.is((await reloaded).hash, first);
  t.is(await whoami(), 0);
});
