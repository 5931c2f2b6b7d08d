/**
 * Directory facts through a real slapd: nested groups, department and title, privileged
 * accounts by group, unknown users, the TTL cache, a dead directory, and facts reaching
 * the decision through the proxy.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configFromObject } from '../../src/config/load.js';
import { DirectoryFacts, type FactsOptions } from '../../src/directory/facts.js';
import { LdapClient } from '../../src/ldap/client.js';
import { Secret } from '../../src/log/secret.js';
import { silentLogger } from '../../src/log/logger.js';
import type { BindAttempt } from '../../src/proxy/decision.js';
import { DirectoryPool } from '../../src/proxy/upstream.js';
import { ManualClock, systemClock, type Clock } from '../../src/util/clock.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/paths.js';
import { startProxy } from '../helpers/proxy.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd;
test.before(async () => {
  slapd = await startSlapd();
});
test.after.always(async () => {
  await slapd?.stop();
});

const options: FactsOptions = {
  bindDn: ADMIN_DN, password: new Secret(ADMIN_PW), baseDn: BASE_DN, userAttributes: ['uid'],
  departmentAttribute: 'departmentNumber', titleAttribute: 'title', siteAttribute: 'l', extraAttributes: ['mail'],
  privilegedGroups: ['admins'], cacheTtlMs: 60_000, negativeTtlMs: 10_000, timeoutMs: 5_000, maxGroupDepth: 8,
};

function facts(url: string, clock: Clock = systemClock): DirectoryFacts {
  const config = configFromObject('<t>', { listeners: [{ name: 'x', port: 0 }], directory: { urls: [url] } });
  return new DirectoryFacts(options, new DirectoryPool(config.directory, clock, silentLogger()), clock, silentLogger());
}

test('facts: nested groups, department, title, OU, privileged by group', async (t) => {
  const f = facts(slapd.url);
  t.teardown(() => f.close());
  const carol = await f.get('carol', `uid=carol,ou=people,${BASE_DN}`);
  t.truthy(carol);
  t.deepEqual(carol!.groupNames.sort(), ['admins', 'staff'], 'staff through admins (nested)');
  t.like(carol, { department: 'IT', title: 'Domain Administrator', privileged: true, ous: ['people'] });
  t.deepEqual(carol!.attributes.mail, ['carol@corp.example']);
  const alice = await f.get('alice', 'alice');
  t.deepEqual(alice!.groupNames, ['staff']);
  t.false(alice!.privileged);
  t.is(await f.get('nobody', 'nobody'), null);
});

test('facts are cached for their TTL, then refreshed in the background', async (t) => {
  const clock = new ManualClock(Date.now());
  const f = facts(slapd.url, clock);
  t.teardown(() => f.close());
  await f.get('bob', 'bob');
  const after = f.lookups;
  t.is(f.cached('bob')?.department, 'Engineering');
  await f.get('bob', 'bob');
  t.is(f.lookups, after, 'served from the cache');
  clock.advance(61_000);
  t.is(f.cached('bob')?.department, 'Engineering', 'stale facts are served while refreshing');
  await new Promise((r) => setTimeout(r, 200));
  t.is(f.lookups, after + 1);
});

test('a dead directory gives no facts, quickly, instead of an error', async (t) => {
  const f = facts(`ldap://127.0.0.1:${await freePort()}`);
  t.teardown(() => f.close());
  t.is(await f.get('alice', 'alice'), null);
  t.is(f.cached('alice'), undefined, 'a failed lookup is not cached');
});

test('through the proxy: the decision sees facts and score; privileged accounts are stored as such', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'lookup.pw'), `${ADMIN_PW}\n`);
  const seen: BindAttempt[] = [];
  const p = await startProxy({
    directory: {
      urls: [slapd.url],
      lookup: { bindDn: ADMIN_DN, passwordFile: join(dir, 'lookup.pw'), baseDn: BASE_DN, userAttributes: ['uid'], departmentAttribute: 'departmentNumber', privilegedGroups: [`cn=admins,ou=groups,${BASE_DN}`] },
    },
    storage: { path: join(dir, 'bindwall.db') },
  }, { behavior: true, decide: (a) => { seen.push(a); return { action: 'approve' }; } });
  t.teardown(() => p.stop());
  for (const [uid, pw] of [['carol', 'Carol-Pass-3'], ['alice', 'Alice-Pass-1']]) {
    const c = await LdapClient.connect(p.url);
    t.is((await c.bind(`uid=${uid},ou=people,${BASE_DN}`, pw!)).resultCode, 0);
    await c.unbind();
  }
  const carol = seen.find((a) => a.bindDn.startsWith('uid=carol'))!;
  t.is(carol.facts?.department, 'IT');
  t.true(carol.facts?.privileged);
  t.is(typeof carol.assessment?.score, 'number');
  t.is(p.behavior!.engine.account('carol')?.kind, 'privileged');
  t.is(p.behavior!.engine.account('carol')?.peerGroup, 'it', 'department from the directory, as a lower-case key');
  t.is(p.behavior!.engine.account('alice')?.kind, 'human');
});

test('a failing lookup account is loud (once, with the fix) and, by default, fails closed for accounts with no known facts', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'lookup.pw'), 'not-the-password\n');
  const codes: Record<string, number[]> = {};
  for (const onFailure of ['secure', 'facts-optional'] as const) {
    const p = await startProxy({
      directory: { urls: [slapd.url], lookup: { bindDn: ADMIN_DN, passwordFile: join(dir, 'lookup.pw'), baseDn: BASE_DN, userAttributes: ['uid'], onFailure } },
    }, { behavior: true });
    codes[onFailure] = [];
    for (const [uid, pw] of [['alice', 'Alice-Pass-1'], ['bob', 'Bob-Pass-2'], ['carol', 'Carol-Pass-3']]) {
      const c = await LdapClient.connect(p.url);
      const r = await c.bind(`uid=${uid},ou=people,${BASE_DN}`, pw!);
      codes[onFailure]!.push(r.resultCode);
      if (onFailure === 'secure') t.regex(r.diagnosticMessage, /^bindwall: the directory is unavailable \(ref conn-\d+-msg-\d+\)$/);
      c.destroy();
    }
    const loud = p.logLines().filter((l) => l.event === 'facts_lookup_failed');
    t.is(loud.length, 1, 'once a minute per kind of failure, not once per bind');
    t.like(loud[0], { level: 'error', code: 'BW_LOOKUP_BIND_FAILED', onFailure });
    t.regex(String(loud[0]!.fix), /directory\.lookup\.bindDn/);
    await p.stop();
  }
  t.deepEqual(codes, { secure: [52, 52, 52], 'facts-optional': [0, 0, 0] });
});
