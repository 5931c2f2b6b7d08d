/**
 * `bindwall threats`: entries the running proxy wrote are listed; an administrator's entry is
 * enforced by a running proxy at its next sync, and a release lifts it; bad input is a usage
 * error (exit 2) that changes nothing.
 */
import test from 'ava';
import { join } from 'node:path';
import { spawnBindwall } from '../helpers/cli.js';
import { bindFrom } from '../helpers/bind-from.js';
import { startProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd;
test.before(async () => {
  slapd = await startSlapd();
});
test.after.always(async () => {
  await slapd?.stop();
});

const bindAs = async (url: string, from: string, uid: string, pw: string): Promise<number> => (await bindFrom(url, from, `uid=${uid},ou=people,${BASE_DN}`, pw)).resultCode;

test('list what the proxy stored, add an entry it enforces, release it; usage errors change nothing', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, threat: { mode: 'enforce', tarpit: { delayMs: 0 } } }, { policy: true });
  t.teardown(() => p.stop());
  const db = p.config.storage.path;
  for (let i = 1; i <= 10; i++) await bindAs(p.url, '127.0.0.91', `nobody${i}`, 'x');
  const list = spawnBindwall(['threats', 'list', '--db', db, '--json']);
  t.is(await list.exited, 0, list.stderr());
  const rows = JSON.parse(list.stdout()) as { key: string; level: string; reasons: string[] }[];
  t.like(rows.find((r) => r.key === '127.0.0.91'), { level: 'high' });
  t.regex(rows.find((r) => r.key === '127.0.0.91')!.reasons[0]!, /password spraying/);

  const add = spawnBindwall(['threats', 'add', '127.0.0.92', '--level', 'high', '--until', '2h', '--reason', 'seen in the SOC', '--db', db]);
  t.is(await add.exited, 0, add.stderr());
  t.regex(add.stdout(), /127\.0\.0\.92 added at high until /);
  // The running proxy takes it in at its next sync (every 5 s); here, now.
  p.proxy.syncThreats();
  t.is(await bindAs(p.url, '127.0.0.92', 'alice', 'Alice-Pass-1'), 49, 'enforced by the running proxy');
  t.like(p.events.at(-1), { outcome: 'threat_blocked', threat: { reasons: ['seen in the SOC'] } });

  const show = spawnBindwall(['threats', 'show', '127.0.0.92', '--db', db]);
  t.is(await show.exited, 0);
  t.regex(show.stdout(), /127\.0\.0\.92 {2}high \(added by an administrator\)/);
  const release = spawnBindwall(['threats', 'release', '127.0.0.92', '--db', db]);
  t.is(await release.exited, 0);
  p.proxy.syncThreats();
  t.is(await bindAs(p.url, '127.0.0.92', 'alice', 'Alice-Pass-1'), 0, 'released');

  for (const bad of [['threats', 'add', '127.0.0.93', '--db', db], ['threats', 'add', '10.0.0.0/16', '--level', 'high', '--db', db], ['threats', 'show', 'not-an-address', '--db', db], ['threats', 'nuke']]) {
    const r = spawnBindwall(bad);
    t.is(await r.exited, 2, bad.join(' '));
    t.regex(r.stderr(), /usage|level|did you mean|not a valid|invalid/i);
  }
  const after = spawnBindwall(['threats', 'list', '--db', join(db), '--json']);
  await after.exited;
  t.false((JSON.parse(after.stdout()) as { key: string }[]).some((r) => r.key === '127.0.0.93'), 'nothing added by a refused command');
});
