/**
 * bindwall behind a TCP load balancer: the PROXY protocol (v1 and v2) names the real client,
 * so events, behaviour and per-address limits see it; only the trusted balancer may send
 * the header, and from it a header is required.
 */
import test from 'ava';
import net from 'node:net';
import { parseProxyHeader } from '../../src/proxy/proxy-protocol.js';
import { LdapClient } from '../../src/ldap/client.js';
import { decodeResult } from '../../src/ldap/messages.js';
import { Op } from '../../src/ldap/protocol.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { until } from '../helpers/ports.js';
import { startProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

const ALICE = `uid=alice,ou=people,${BASE_DN}`;
const BALANCER = '127.0.0.61';
let slapd: Slapd;

test.before(async () => {
  slapd = await startSlapd();
});
test.after.always(async () => {
  await slapd?.stop();
});

function v2(client: string, port: number): Buffer {
  const h = Buffer.alloc(28);
  Buffer.from('0d0a0d0a000d0a515549540a', 'hex').copy(h);
  h[12] = 0x21; // v2, PROXY
  h[13] = 0x11; // TCP over IPv4
  h.writeUInt16BE(12, 14);
  client.split('.').forEach((o, i) => { h[16 + i] = Number(o); });
  [127, 0, 0, 1].forEach((o, i) => { h[20 + i] = o; });
  h.writeUInt16BE(port, 24);
  h.writeUInt16BE(389, 26);
  return h;
}

/** A load balancer on loopback: each client connection is forwarded from BALANCER with a header. */
async function balancer(target: string, version: 1 | 2): Promise<{ url: string; close(): void }> {
  const t = new URL(target);
  const server = net.createServer((client) => {
    const up = net.connect({ host: t.hostname, port: Number(t.port), localAddress: BALANCER }, () => {
      const src = client.remoteAddress!.replace('::ffff:', '');
      up.write(version === 1 ? `PROXY TCP4 ${src} 127.0.0.1 ${client.remotePort} 389\r\n` : v2(src, client.remotePort!));
      client.pipe(up).pipe(client);
    });
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `ldap://127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => server.close() };
}

test('the header is parsed, v1 and v2, LOCAL and partial', (t) => {
  t.deepEqual(parseProxyHeader(Buffer.from('PROXY TCP4 10.1.2.3 10.0.0.1 51000 389\r\nrest')), { length: 40, source: { address: '10.1.2.3', port: 51000 } });
  t.deepEqual(parseProxyHeader(Buffer.from('PROXY TCP6 ::ffff:10.1.2.3 ::1 51000 389\r\n'))?.source, { address: '10.1.2.3', port: 51000 });
  t.is(parseProxyHeader(Buffer.from('PROXY TCP4 10.1')), null, 'more bytes needed');
  t.deepEqual(parseProxyHeader(v2('10.9.8.7', 4242)), { length: 28, source: { address: '10.9.8.7', port: 4242 } });
  t.is(parseProxyHeader(v2('10.9.8.7', 4242).subarray(0, 10)), null);
  t.throws(() => parseProxyHeader(Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01])), { code: 'BW_PROTOCOL_MALFORMED' });
  t.throws(() => parseProxyHeader(Buffer.from('PROXY TCP4 999.1.2.3 10.0.0.1 1 2\r\n')), { code: 'BW_PROTOCOL_MALFORMED' });
});

for (const version of [1, 2] as const) {
  test(`through a balancer (PROXY v${version}): the real client is seen, and ldapwhoami works`, async (t) => {
    const p = await startProxy({ listeners: [{ name: 'lb', host: '127.0.0.1', port: 0, proxyProtocol: { trustedSources: [`${BALANCER}/32`] } }], directory: { urls: [slapd.url] } });
    t.teardown(() => p.stop());
    const lb = await balancer(p.url, version);
    t.teardown(() => lb.close());
    const c = await LdapClient.connect(lb.url, { localAddress: '127.0.0.23' });
    t.is((await c.bind(ALICE, 'Alice-Pass-1')).resultCode, 0);
    await c.unbind();
    t.like(p.events.at(-1), { clientAddress: '127.0.0.23', outcome: 'approved' });
    const r = await ldapTool('ldapwhoami', ['-x', '-H', lb.url, '-D', ALICE, '-w', 'Alice-Pass-1']);
    t.is(r.code, 0, r.stderr);
  });
}

test('anyone but the trusted balancer is refused; the balancer must send a header', async (t) => {
  const p = await startProxy({ listeners: [{ name: 'lb', host: '127.0.0.1', port: 0, proxyProtocol: { trustedSources: [BALANCER], headerTimeoutMs: 1_000 } }], directory: { urls: [slapd.url] } });
  t.teardown(() => p.stop());
  const direct = await LdapClient.connect(p.url, { localAddress: '127.0.0.24' });
  const n = await direct.receive();
  t.regex(decodeResult(n.pdu, Op.ExtendedResponse).diagnosticMessage, /only through the load balancer/);
  await direct.closed;
  t.true(p.logLines().some((l) => l.event === 'proxy_protocol_untrusted' && l.client === '127.0.0.24'));
  const noHeader = await LdapClient.connect(p.url, { localAddress: BALANCER });
  noHeader.send(Buffer.from([0x30, 0x05, 0x02, 0x01, 0x01, 0x42, 0x00]));
  await noHeader.closed;
  await until(() => p.logLines().some((l) => l.event === 'proxy_protocol_error'), 'the error line');
  t.is(p.events.length, 0);
});
