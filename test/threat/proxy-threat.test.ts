/**
 * The threat pool through the proxy, against a real slapd: in enforce mode a spraying
 * source is answered by bindwall itself once it is high — a wrong password's answer, and the
 * directory never sees the guess — while everyone else binds as usual; log mode changes no
 * answer and records the would-be block; an exempt zone is never blocked as a whole.
 */
import test from 'ava';
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

const dn = (uid: string): string => `uid=${uid},ou=people,${BASE_DN}`;

const bind = (url: string, from: string, uid: string, pw: string): ReturnType<typeof bindFrom> => bindFrom(url, from, dn(uid), pw);

test('enforce: a spraying source is answered 49 by bindwall once high, the directory never sees it; others are unaffected', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, threat: { mode: 'enforce', tarpit: { delayMs: 0 } } });
  t.teardown(() => p.stop());
  const normal = await bind(p.url, '127.0.0.31', 'alice', 'wrong-once');
  t.is(normal.resultCode, 49);
  for (let i = 1; i <= 10; i++) t.is((await bind(p.url, '127.0.0.66', `nobody${i}`, 'Summer2026!')).resultCode, 49);
  t.like(p.events.at(-1), { outcome: 'failed', directoryResultCode: 49 }, 'the tenth still reached the directory');
  // Now high: even the right password from there is answered by bindwall, like a wrong one.
  const blocked = await bind(p.url, '127.0.0.66', 'alice', 'Alice-Pass-1');
  t.deepEqual(blocked, { ...normal, msgId: blocked.msgId }, "the same answer as a wrong password");
  const ev = p.events.at(-1)!;
  t.like(ev, { outcome: 'threat_blocked', resultCode: 49, threat: { level: 'high', action: 'block', enforced: true } });
  t.is(ev.directoryResultCode, undefined, 'the directory was not asked');
  t.is((await bind(p.url, '127.0.0.31', 'alice', 'Alice-Pass-1')).resultCode, 0, 'alice from elsewhere is unaffected');
  const line = p.logLines().filter((l) => l.event === 'bind').at(-2)!;
  t.like(line, { outcome: 'threat_blocked', threat: { level: 'high', enforced: true } });
  t.false(JSON.stringify(p.logLines()).includes('Alice-Pass-1'), 'no password in the log');
});

test('log mode answers as the directory does and records the would-be block; an exempt zone is never blocked', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, threat: { mode: 'log', exempt: [{ name: 'conference', addresses: ['127.0.0.77'] }] } });
  t.teardown(() => p.stop());
  for (let i = 1; i <= 10; i++) await bind(p.url, '127.0.0.67', `nobody${i}`, 'x');
  t.is((await bind(p.url, '127.0.0.67', 'alice', 'Alice-Pass-1')).resultCode, 0, 'log mode refuses nothing');
  t.like(p.events.at(-1), { outcome: 'approved', directoryResultCode: 0, threat: { level: 'high', action: 'block', enforced: false } });
  const q = await startProxy({ directory: { urls: [slapd.url] }, threat: { mode: 'enforce', exempt: [{ name: 'conference', addresses: ['127.0.0.77'] }] } });
  t.teardown(() => q.stop());
  for (let i = 1; i <= 12; i++) await bind(q.url, '127.0.0.77', `nobody${i}`, 'x');
  t.is((await bind(q.url, '127.0.0.77', 'alice', 'Alice-Pass-1')).resultCode, 0, 'the conference NAT is not blocked as a whole');
  t.like(q.events.at(-1), { threat: { level: 'high', action: 'allow', enforced: false } });
  t.like(q.proxy.threat!.list()[0], { key: '127.0.0.77', exempt: 'conference' });
});
