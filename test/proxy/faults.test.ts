/**
 * Bad input and faults: malformed and oversized PDUs, a directory that dies, fails over,
 * hangs or talks garbage, connection limits and idle timeouts. Time-based behaviour runs
 * on a ManualClock; nothing here sleeps to wait for it.
 */
import test from 'ava';
import net from 'node:net';
import { LdapClient } from '../../src/ldap/client.js';
import { decodeResult, encodeSimpleBindRequest } from '../../src/ldap/messages.js';
import { Op } from '../../src/ldap/protocol.js';
import { ManualClock } from '../../src/util/clock.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { freePort, until } from '../helpers/ports.js';
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

async function rawExchange(url: string, bytes: Buffer, opts: { localAddress?: string } = {}): Promise<Buffer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: u.hostname, port: Number(u.port), ...opts });
    const chunks: Buffer[] = [];
    s.on('data', (d) => chunks.push(d));
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
    s.end(bytes); // half-close: an incomplete PDU then ends the session at once
    setTimeout(() => s.destroy(), 5_000).unref();
  });
}

/** The notice of disconnection (RFC 4511 §4.4.1) a closing server sends: msgId 0. */
function notice(bytes: Buffer): { resultCode: number; diagnosticMessage: string } {
  const r = decodeResult(bytes, Op.ExtendedResponse);
  if (r.msgId !== 0) throw new Error('not a notice of disconnection');
  return r;
}

test('malformed bytes close that connection with protocolError; the proxy keeps serving', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] } });
  t.teardown(() => p.stop());
  const garbage = await rawExchange(p.url, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  t.is(notice(garbage).resultCode, 2);
  t.regex(notice(garbage).diagnosticMessage, /malformed request/);
  // A response op sent by a client is a protocol violation too.
  const wrongDirection = await rawExchange(p.url, Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]));
  t.is(notice(wrongDirection).resultCode, 2);
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1'])).code, 0);
  t.true(p.logLines().filter((l) => l.event === 'protocol_violation').length >= 2);
});

test('an oversized PDU is refused from its header, before its body is read', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, limits: { maxPduBytes: 64 * 1024 } });
  t.teardown(() => p.stop());
  const reply = await rawExchange(p.url, Buffer.from([0x30, 0x84, 0x06, 0x00, 0x00, 0x00, 0x02, 0x01, 0x01, 0x63]));
  t.is(notice(reply).resultCode, 2);
  t.regex(notice(reply).diagnosticMessage, /exceeds the limit of 65536/);
});

test('random bytes never crash the proxy (bounded fuzz)', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] } });
  t.teardown(() => p.stop());
  let seed = 42;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const valid = encodeSimpleBindRequest(1, ALICE, 'Alice-Pass-1');
  for (let i = 0; i < 150; i++) {
    // Half pure noise, half a valid bind with a few bytes flipped (deeper in the decoder).
    const buf = i % 2 === 0 ? Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 64) }, () => Math.floor(rand() * 256))) : Buffer.from(valid);
    if (i % 2 === 1) for (let k = 0; k < 3; k++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
    await rawExchange(p.url, buf);
  }
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1'])).code, 0);
  await until(() => p.proxy.activeSessions === 0, 'fuzzed sessions to close');
  t.pass();
});

test('directory killed mid-session: notice to the client, 52 for new clients, back after restart and backoff', async (t) => {
  const dir = await startSlapd();
  t.teardown(() => dir.stop());
  const clock = new ManualClock(Date.now());
  const p = await startProxy({ directory: { urls: [dir.url], backoffInitialMs: 1_000, backoffMaxMs: 8_000 } }, { clock });
  t.teardown(() => p.stop());

  const c = await LdapClient.connect(p.url);
  t.is((await c.bind(ALICE, 'Alice-Pass-1')).resultCode, 0);
  await dir.kill();
  const n = await c.receive();
  t.is(n.msgId, 0);
  t.is(decodeResult(n.pdu, Op.ExtendedResponse).resultCode, 52);
  t.regex(decodeResult(n.pdu, Op.ExtendedResponse).diagnosticMessage, /connection to the directory was lost/);
  await c.closed;

  const down = await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1']);
  t.is(down.code, 52);
  // Clients get a reference, never the directory's address or the socket error (topology).
  t.regex(down.stderr, /bindwall: the directory is unavailable \(ref dir-\d+\)/);
  t.false(down.stderr.includes(String(dir.port)));
  const fast = await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1']);
  t.is(fast.code, 52);
  t.regex(fast.stderr, /\(ref dir-\d+\)/);
  t.is(p.proxy.pool.status()[0]!.consecutiveFailures, 1, 'no new connect attempt during backoff');
  t.true(p.logLines().some((l) => l.event === 'directory_down' && String(l.error).includes(String(dir.port))), 'the log has the detail');

  await dir.restart();
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1'])).code, 52, 'still backing off');
  clock.advance(2_000);
  const back = await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1']);
  t.is(back.code, 0, back.stderr);
  t.true(p.proxy.pool.status()[0]!.healthy);
  t.true(p.logLines().some((l) => l.event === 'directory_up'));
});

test('fails over to the next URL in order, skipping a failed one while it backs off', async (t) => {
  const dead = `ldap://127.0.0.1:${await freePort()}`;
  const clock = new ManualClock(Date.now());
  const p = await startProxy({ directory: { urls: [dead, slapd.url], backoffInitialMs: 1_000 } }, { clock });
  t.teardown(() => p.stop());
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1'])).code, 0);
  const [first, second] = p.proxy.pool.status();
  t.false(first!.healthy);
  t.true(second!.healthy);
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1'])).code, 0);
  t.is(p.proxy.pool.status()[0]!.consecutiveFailures, 1, 'not retried during backoff');
  clock.advance(5_000);
  t.is((await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1'])).code, 0);
  t.is(p.proxy.pool.status()[0]!.consecutiveFailures, 2, 'retried once the backoff expired');
});

test('a directory that never answers a bind: 52 after operationTimeoutMs', async (t) => {
  const sockets: net.Socket[] = [];
  const hole = net.createServer((s) => { sockets.push(s); s.on('data', () => undefined); });
  await new Promise<void>((r) => hole.listen(0, '127.0.0.1', r));
  t.teardown(() => { sockets.forEach((s) => s.destroy()); hole.close(); });
  const clock = new ManualClock(Date.now());
  const url = `ldap://127.0.0.1:${(hole.address() as net.AddressInfo).port}`;
  const p = await startProxy({ directory: { urls: [url], operationTimeoutMs: 4_000 } }, { clock });
  t.teardown(() => p.stop());
  const c = await LdapClient.connect(p.url);
  c.send(encodeSimpleBindRequest(1, ALICE, 'Alice-Pass-1'));
  await until(() => sockets.length === 1 && p.proxy.activeSessions === 1, 'the bind to reach the directory');
  await new Promise((r) => setImmediate(r));
  clock.advance(4_000);
  const r = await c.receive();
  t.is(decodeResult(r.pdu, Op.BindResponse).resultCode, 52);
  t.regex(decodeResult(r.pdu, Op.BindResponse).diagnosticMessage, /did not answer the bind in time/);
  await c.closed;
});

test('a directory that talks garbage: the client gets unavailable, not garbage', async (t) => {
  const liar = net.createServer((s) => s.on('data', () => s.write(Buffer.from('\x05\x00garbage'))));
  await new Promise<void>((r) => liar.listen(0, '127.0.0.1', r));
  t.teardown(() => liar.close());
  const p = await startProxy({ directory: { urls: [`ldap://127.0.0.1:${(liar.address() as net.AddressInfo).port}`] } });
  t.teardown(() => p.stop());
  const r = await ldapTool('ldapwhoami', ['-x', '-H', p.url, '-D', ALICE, '-w', 'Alice-Pass-1']);
  t.is(r.code, 52);
  t.regex(r.stderr, /malformed response/);
});

test('connection limits per source address and in total', async (t) => {
  const p = await startProxy({ directory: { urls: [slapd.url] }, limits: { maxConnectionsPerAddress: 2, maxConnections: 3 } });
  t.teardown(() => p.stop());
  const a1 = await LdapClient.connect(p.url, { localAddress: '127.0.0.11' });
  const a2 = await LdapClient.connect(p.url, { localAddress: '127.0.0.11' });
  t.teardown(() => { a1.destroy(); a2.destroy(); });
  await until(() => p.proxy.activeSessions === 2, 'two sessions');
  const a3 = await rawExchange(p.url, Buffer.alloc(0), { localAddress: '127.0.0.11' });
  t.is(notice(a3).resultCode, 51);
  t.regex(notice(a3).diagnosticMessage, /too many connections/);
  // Another endpoint still gets in, until the total is reached.
  const b1 = await LdapClient.connect(p.url, { localAddress: '127.0.0.12' });
  t.teardown(() => b1.destroy());
  t.is((await b1.bind(ALICE, 'Alice-Pass-1')).resultCode, 0);
  const b2 = await rawExchange(p.url, Buffer.alloc(0), { localAddress: '127.0.0.12' });
  t.is(notice(b2).resultCode, 51);
  t.true(p.logLines().some((l) => l.event === 'connection_refused' && l.client === '127.0.0.11'));
});

test('idle connections are closed after idleTimeoutMs of silence', async (t) => {
  const clock = new ManualClock(Date.now());
  const p = await startProxy({ directory: { urls: [slapd.url] }, limits: { idleTimeoutMs: 60_000 } }, { clock });
  t.teardown(() => p.stop());
  const c = await LdapClient.connect(p.url);
  t.is((await c.bind(ALICE, 'Alice-Pass-1')).resultCode, 0);
  clock.advance(30_000);
  t.is((await c.whoami()).authzId, `dn:${ALICE}`, 'activity resets the idle clock');
  clock.advance(59_000);
  t.is(p.proxy.activeSessions, 1);
  clock.advance(1_000);
  const n = await c.receive();
  t.regex(decodeResult(n.pdu, Op.ExtendedResponse).diagnosticMessage, /idle timeout/);
  await c.closed;
});
