/**
 * Smart lockout's state outside the process and its threshold from the directory: a lockout
 * the running proxy wrote is listed by `bindwall lockouts`, and a release there lets the
 * identity in at the proxy's next sync; with a lookup account, the threshold comes from
 * slapd's ppolicy (pwdMaxFailure 5 → 2 per bucket, so both buckets together stay below 5),
 * and `config check --connect` says which applies.
 */
import test from 'ava';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnBindwall } from '../helpers/cli.js';
import { bindFrom } from '../helpers/bind-from.js';
import { startProxy } from '../helpers/proxy.js';
import { ADMIN_DN, ADMIN_PW, BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd;
test.before(async () => {
  slapd = await startSlapd({ ppolicyMaxFailure: 5 });
});
test.after.always(async () => {
  await slapd?.stop();
});

const dn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;

test.serial('lockouts list shows what the proxy locked; release lets the identity in at the next sync; bad usage is exit 2', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, threat: { lockout: { threshold: 2 } } }, { policy: true });
  t.teardown(() => p.stop());
  const db = p.config.storage.path;
  for (const pw of ['guess-1', 'guess-2']) t.is((await bindFrom(p.url, '127.0.0.61', dn('bob'), pw)).resultCode, 49);
  t.like(p.events.at(-1), { directoryResultCode: 49 });
  t.is((await bindFrom(p.url, '127.0.0.61', dn('bob'), 'Bob-Pass-2')).resultCode, 49, 'locked out at the proxy, even with the right password');
  t.like(p.events.at(-1), { outcome: 'locked_out' });
  const list = spawnBindwall(['lockouts', 'list', '--db', db, '--json']);
  t.is(await list.exited, 0, list.stderr());
  const rows = JSON.parse(list.stdout()) as { identity: string; bucket: string; lockedUntil: number }[];
  t.like(rows[0], { bucket: 'unfamiliar' });
  t.is(rows.length, 1);
  const show = spawnBindwall(['lockouts', 'show', 'bob', '--db', db]);
  t.is(await show.exited, 0, show.stderr());
  t.regex(show.stdout(), /from unfamiliar sources\s+locked until/);
  const release = spawnBindwall(['lockouts', 'release', rows[0]!.identity, '--db', db]);
  t.is(await release.exited, 0, release.stderr());
  p.proxy.syncThreats();
  t.is((await bindFrom(p.url, '127.0.0.61', dn('bob'), 'Bob-Pass-2')).resultCode, 0, 'released: the right password works again');
  const again = spawnBindwall(['lockouts', 'release', 'bob', '--db', db]);
  t.is(await again.exited, 1, 'nothing to release');
  const bad = spawnBindwall(['lockouts', 'purge', '--db', db]);
  t.is(await bad.exited, 2);
  t.regex(bad.stderr(), /usage: bindwall lockouts/);
  const help = spawnBindwall(['lockouts', '--help']);
  t.is(await help.exited, 0);
  t.regex(help.stdout(), /bindwall lockouts list/);
});

test.serial('the threshold comes from the directory\'s ppolicy through the lookup account, and config check --connect says so', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-lockpol-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'lookup.pw'), `${ADMIN_PW}\n`);
  const lookup = { bindDn: ADMIN_DN, passwordFile: join(dir, 'lookup.pw'), baseDn: BASE_DN, onFailure: 'facts-optional' as const };
  const p = await startProxy({ directory: { urls: [slapd.url], lookup } });
  t.teardown(() => p.stop());
  t.like(p.proxy.lockoutThreshold, { threshold: 2, budget: 4, windowMs: 0, source: 'directory', directory: { source: 'ppolicy', threshold: 5 } });
  t.is(p.proxy.lockout!.threshold, 2);
  // Two from the attacker's source; the owner keeps the rest of the directory's budget (4 < 5).
  for (const pw of ['a1', 'a2']) await bindFrom(p.url, '127.0.0.62', dn('carol'), pw);
  t.is((await bindFrom(p.url, '127.0.0.62', dn('carol'), 'a3')).resultCode, 49);
  t.like(p.events.at(-1), { outcome: 'locked_out' }, 'the third from there never reaches the directory');

  const file = join(dir, 'c.yaml');
  writeFileSync(file, `listeners:\n  - name: edge\n    port: 0\ndirectory:\n  urls: [${slapd.url}]\n  lookup:\n    bindDn: "${ADMIN_DN}"\n    passwordFile: lookup.pw\n    baseDn: "${BASE_DN}"\nstorage:\n  path: data/bindwall.db\n`);
  const check = spawnBindwall(['config', 'check', file, '--connect'], { cwd: dir });
  t.is(await check.exited, 0, check.stderr());
  t.regex(check.stdout(), /smart lockout after 2 wrong passwords per unfamiliar source or app server, at most 4 per identity reaching the directory between successes: the directory locks after 5 \(ppolicy pwdMaxFailure at cn=default,ou=policies/);
  writeFileSync(file, 'threat:\n  lockout:\n    threshold: 3\n', { flag: 'a' });
  const unsafe = spawnBindwall(['config', 'check', file, '--connect', '--json'], { cwd: dir });
  t.is(await unsafe.exited, 0, unsafe.stderr());
  const report = JSON.parse(unsafe.stdout()) as { lockout: { threshold: number; source: string; warning?: string } };
  t.like(report.lockout, { threshold: 3, source: 'configured' });
  t.regex(report.lockout.warning!, /spend 3 of the 4 wrong passwords the directory allows.*set it to 2/);
  t.regex(unsafe.stderr(), /warning: threat\.lockout\.threshold 3/);
  const offline = spawnBindwall(['config', 'check', file], { cwd: dir });
  t.is(await offline.exited, 0, offline.stderr());
  t.regex(offline.stdout(), /smart lockout after 3 wrong passwords per unfamiliar source or app server, at most 6 per identity .*\(threat\.lockout\.threshold\)/);
});
