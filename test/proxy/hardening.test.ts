/**
 * Regression tests for what anyone who can reach the port — logged in or not — could do to
 * bindwall: grow its memory, storage or logs, stall it, or read its topology. Each test
 * replays the bytes or the traffic that found the bug. Time-based limits run on a
 * ManualClock; the hung-directory test needs real time (a frozen slapd) and uses short
 * timeouts.
 */
import test from 'ava';
import net from 'node:net';
import { readFileSync, statSync } from 'node:fs';
import { LdapClient, Filter } from '../../src/ldap/client.js';
import { decodeResult, encodeSimpleBindRequest } from '../../src/ldap/messages.js';
import { Op } from '../../src/ldap/protocol.js';
import { ManualClock } from '../../src/util/clock.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { until } from '../helpers/ports.js';
import { startProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const ALICE = `uid=alice,ou=people,${BASE_DN}`;
let slapd: Slapd;

test.before(async () => {
  slapd = await startSlapd();
});
test.after.always(async () => {
  await slapd?.stop();
});

/** Connects, writes `bytes`, and collects everything until the server closes (bounded). */
function exchange(url: string, bytes: Buffer, opts: { end?: boolean } = {}): Promise<Buffer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port) });
    const chunks: Buffer[] = [];
    s.on('data', (d) => chunks.push(d));
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    if (opts.end === false) s.write(bytes);
    else s.end(bytes);
    setTimeout(() => s.destroy(), 10_000).unref();
  });
}

const notice = (bytes: Buffer): { resultCode: number; diagnosticMessage: string } => decodeResult(bytes, Op.ExtendedResponse);

test('a 3 MiB bind name is refused from the PDU header: nothing stored, logged or sent to the directory', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] } }, { behavior: true });
  t.teardown(() => p.stop());
  // The campaign's bytes: a BindRequest whose name is 3 MiB of "x".
  const bytes = Buffer.concat([Buffer.from('308330001f02010160833000170201030483300008756964', 'hex'), Buffer.alloc(3_145_728, 0x78), Buffer.from('800577726f6e67', 'hex')]);
  for (let i = 0; i < 3; i++) {
    const reply = await exchange(p.url, bytes);
    t.is(notice(reply).resultCode, 2);
    t.regex(notice(reply).diagnosticMessage, /BindRequest of \d+ bytes exceeds the limit of 65536/);
  }
  p.behavior!.flush();
  t.is(p.events.length, 0);
  t.is(p.behavior!.engine.size.accounts, 0);
  t.true(statSync(p.logFile).size < 10_000, 'the log does not grow with the name');
  t.false(readFileSync(p.logFile, 'utf8').includes('xxxxxxxxxxxxxxxx'));
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1'])).code, 0, 'others are served');
});

test('bind names and passwords over their limits get 49 without reaching the directory, storage or a baseline', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, limits: { maxBindNameBytes: 256, maxPasswordBytes: 128 } }, { behavior: true });
  t.teardown(() => p.stop());
  const c = await LdapClient.connect(p.url);
  t.teardown(() => c.destroy());
  const longName = `uid=${'n'.repeat(300)},ou=people,${BASE_DN}`;
  const r1 = await c.bind(longName, 'whatever');
  t.is(r1.resultCode, 49);
  t.is(r1.diagnosticMessage, 'bindwall: bind name too long');
  const r2 = await c.bind(ALICE, 'p'.repeat(129));
  t.is(r2.resultCode, 49);
  t.is(r2.diagnosticMessage, 'bindwall: password too long');
  // The connection is still usable, and the limits do not touch normal binds.
  t.is((await c.bind(ALICE, 'Alice-Pass-1')).resultCode, 0);
  t.deepEqual(p.events.map((e) => [e.outcome, e.resultCode]), [['refused', 49], ['approved', 0]], 'the over-long name leaves no event');
  t.false(readFileSync(p.logFile, 'utf8').includes('nnnnnnnnnn'));
  const limitLines = p.logLines().filter((l) => l.event === 'bind_limit');
  t.deepEqual(limitLines.map((l) => l.code), ['BW_BIND_NAME_TOO_LONG', 'BW_PASSWORD_TOO_LONG']);
});

test('a password put in the SASL mechanism field never reaches the log or an event', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, binds: { sasl: 'forward' } });
  t.teardown(() => p.stop());
  // The campaign's bytes: mechanism "\0user00107\0pass00107" (PLAIN credentials in the wrong field).
  const bytes = Buffer.from('3022020101601d0201030400a31604140075736572303031303700706173733030313037', 'hex');
  const c = await LdapClient.connect(p.url);
  t.teardown(() => c.destroy());
  c.send(bytes);
  const r = decodeResult((await c.receive()).pdu, Op.BindResponse);
  t.is(r.resultCode, 7);
  t.is(r.diagnosticMessage, 'bindwall: invalid SASL mechanism name');
  await until(() => p.events.length === 1, 'the event');
  t.is(p.events[0]!.saslMechanism, '(invalid)');
  t.false(readFileSync(p.logFile, 'utf8').includes('pass00107'));
  t.false(JSON.stringify(p.events).includes('pass00107'));
});

test('memory follows the bytes received, not the length a PDU declares', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] } });
  t.teardown(() => p.stop());
  // The campaign's 14 bytes declare a 10 MB BindRequest; a BindRequest that size is now
  // refused from its header, so the same envelope as an ExtendedRequest (also collected
  // whole for decoding), from 100 connections that then stay silent.
  const head = Buffer.from('3084009ffd080201017784009ffcff', 'hex');
  const before = process.memoryUsage().arrayBuffers;
  const sockets = await Promise.all(Array.from({ length: 100 }, () => new Promise<net.Socket>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: Number(new URL(p.url).port) }, () => { s.write(head); resolve(s); });
    s.on('error', () => undefined);
  })));
  t.teardown(() => sockets.forEach((s) => s.destroy()));
  await until(() => p.proxy.activeSessions === 100, '100 sessions');
  await new Promise((r) => setTimeout(r, 100));
  const grown = process.memoryUsage().arrayBuffers - before;
  t.true(grown < 20 * 1024 * 1024, `grew ${grown} bytes`);
  // A declared length of 4 GB is refused from the header.
  const reply = await exchange(p.url, Buffer.from('3084ffffffff020101', 'hex'));
  t.is(notice(reply).resultCode, 2);
  t.regex(notice(reply).diagnosticMessage, /exceeds the limit/);
});

test('slowloris: a byte every 10 s does not keep a connection (and its upstream) open', async (t) => {
  const bind = encodeSimpleBindRequest(1, ALICE, 'Alice-Pass-1');
  // Trickled bytes do not count as activity (idle timeout), and a PDU must arrive whole in
  // time even on a connection whose idle timeout is long.
  for (const [limits, code] of [[{ idleTimeoutMs: 15_000 }, 'idle_timeout'], [{ idleTimeoutMs: 3_600_000, pduTimeoutMs: 20_000 }, 'BW_PDU_TIMEOUT']] as const) {
    const clock = new ManualClock(Date.now());
    const p = await startProxy({ directory: { urls: [slapd.url] }, limits }, { clock });
    const sockets: net.Socket[] = [];
    for (let i = 0; i < 10; i++) {
      const s = net.connect({ host: '127.0.0.1', port: Number(new URL(p.url).port) });
      s.on('error', () => undefined);
      s.resume(); // read, so the server's FIN is seen
      sockets.push(s);
    }
    await until(() => p.proxy.activeSessions === 10, 'ten sessions');
    const closed = sockets.map((s) => new Promise<void>((r) => s.once('close', () => r())));
    for (let step = 0; step < 4 && p.proxy.activeSessions > 0; step++) {
      for (const s of sockets) if (!s.destroyed) s.write(bind.subarray(step, step + 1));
      await new Promise((r) => setTimeout(r, 20));
      clock.advance(10_000);
    }
    // Within 40 s of trickling (the bind is far from complete), every connection is gone.
    await Promise.all(closed);
    t.is(p.proxy.activeSessions, 0);
    await p.stop();
    t.pass(code);
  }
});

test('a connection that never binds is closed after firstBindTimeoutMs, whatever idleTimeoutMs says', async (t) => {
  const clock = new ManualClock(Date.now());
  const p = await startProxy({ directory: { urls: [slapd.url] }, binds: { anonymous: 'refuse' }, limits: { idleTimeoutMs: 3_600_000, firstBindTimeoutMs: 30_000 } }, { clock });
  t.teardown(() => p.stop());
  const c = await LdapClient.connect(p.url);
  t.teardown(() => c.destroy());
  t.is((await c.whoami()).authzId, '', 'anonymous requests do not count as a bind');
  clock.advance(29_000);
  t.is(p.proxy.activeSessions, 1);
  clock.advance(2_000);
  const n = await c.receive();
  t.is(decodeResult(n.pdu, Op.ExtendedResponse).diagnosticMessage, 'bindwall: no bind received in time');
  await c.closed;
  // A connection that binds in time is not affected.
  const d = await LdapClient.connect(p.url);
  t.teardown(() => d.destroy());
  const ok = await d.bind(ALICE, 'Alice-Pass-1');
  t.is(ok.resultCode, 0, ok.diagnosticMessage);
  clock.advance(60_000);
  t.is((await d.whoami()).authzId, `dn:${ALICE}`);
});

test('a hung directory is failed over: binds and searches move to the healthy one', async (t) => {
  const frozen = await startSlapd();
  t.teardown(() => frozen.stop());
  const p = await startProxy({
    directory: { urls: [frozen.url, slapd.url], operationTimeoutMs: 1_000, searchTimeoutMs: 1_000, probeTimeoutMs: 500, connectTimeoutMs: 500, backoffInitialMs: 60_000 },
  });
  t.teardown(() => p.stop());
  // A search on a session already open to the directory when it hangs.
  const early = await LdapClient.connect(p.url);
  t.teardown(() => early.destroy());
  t.is((await early.bind(ALICE, 'Alice-Pass-1')).resultCode, 0);
  frozen.freeze();
  const search = await early.search(BASE_DN, Filter.present('objectClass'));
  t.is(search.done.resultCode, 52, 'the search is answered, not left hanging');
  t.regex(search.done.diagnosticMessage, /^bindwall: the directory did not answer in time \(ref conn-\d+\)$/);
  await until(() => p.proxy.pool.status()[0]!.healthy === false, 'the hung URL to be marked down');

  let ok = 0;
  for (let i = 0; i < 40; i++) {
    const c = await LdapClient.connect(p.url);
    if ((await c.bind(ALICE, 'Alice-Pass-1')).resultCode === 0) ok++;
    c.destroy();
  }
  t.is(ok, 40);
  const down = p.logLines().find((l) => l.event === 'directory_down');
  t.regex(String(down?.error), /BW_UPSTREAM_TIMEOUT: root DSE read/);
});

test('a bind to a directory that hangs mid-way is answered 52 and the directory is probed and marked down', async (t) => {
  const frozen = await startSlapd();
  t.teardown(() => frozen.stop());
  const p = await startProxy({
    directory: { urls: [frozen.url, slapd.url], operationTimeoutMs: 1_000, probeTimeoutMs: 500, connectTimeoutMs: 500, backoffInitialMs: 60_000 },
  });
  t.teardown(() => p.stop());
  const c = await LdapClient.connect(p.url);
  t.teardown(() => c.destroy());
  frozen.freeze();
  t.is((await c.bind(ALICE, 'Alice-Pass-1')).resultCode, 52);
  await until(() => p.proxy.pool.status()[0]!.healthy === false, 'the hung URL to be marked down');
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1'])).code, 0);
  // When it comes back, the probe lets it serve again after its backoff.
  frozen.thaw();
});
