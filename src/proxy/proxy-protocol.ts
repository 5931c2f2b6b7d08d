/**
 * The PROXY protocol (HAProxy, v1 text and v2 binary) on a listener behind a TCP load
 * balancer: the balancer prefixes each connection with the real client's address, so
 * behaviour, limits and logs see the client, not the balancer. Only trusted sources may send
 * it (anyone else could claim any address); from them a header is required, within a deadline.
 * https://www.haproxy.org/download/2.8/doc/proxy-protocol.txt
 */
import net from 'node:net';
import { BindwallError, ErrorCode } from '../errors.js';
import type { Clock } from '../util/clock.js';

const V2_SIGNATURE = Buffer.from('0d0a0d0a000d0a515549540a', 'hex');
/** v1 headers are at most 107 bytes; v2 headers carry a 16-bit length (capped here). */
const V1_MAX = 107;
const V2_MAX = 16 + 536;

export interface ProxiedAddress {
  address: string;
  port: number;
}

const bad = (message: string): BindwallError => new BindwallError(ErrorCode.ProtocolMalformed, `PROXY protocol: ${message}`);

/**
 * Parses a complete header at the start of `buf`. Returns the header's length and the
 * source it names (undefined for LOCAL / UNKNOWN: the balancer's own connection, e.g. a
 * health check), null when more bytes are needed, or throws on a malformed header.
 */
export function parseProxyHeader(buf: Buffer): { length: number; source?: ProxiedAddress } | null {
  if (buf.length >= 1 && buf[0] === 0x0d) {
    if (buf.length < 16) return V2_SIGNATURE.subarray(0, buf.length).equals(buf) ? null : (() => { throw bad('bad v2 signature'); })();
    if (!buf.subarray(0, 12).equals(V2_SIGNATURE)) throw bad('bad v2 signature');
    const verCmd = buf[12]!;
    if (verCmd >> 4 !== 2) throw bad(`unsupported version ${verCmd >> 4}`);
    const len = buf.readUInt16BE(14);
    if (16 + len > V2_MAX) throw bad('v2 header too long');
    if (buf.length < 16 + len) return null;
    const cmd = verCmd & 0x0f;
    if (cmd === 0) return { length: 16 + len }; // LOCAL
    if (cmd !== 1) throw bad(`unknown v2 command ${cmd}`);
    const fam = buf[13]!;
    const body = buf.subarray(16, 16 + len);
    if (fam === 0x11 && len >= 12) {
      return { length: 16 + len, source: { address: [...body.subarray(0, 4)].join('.'), port: body.readUInt16BE(8) } };
    }
    if (fam === 0x21 && len >= 36) {
      const words: string[] = [];
      for (let i = 0; i < 16; i += 2) words.push(body.readUInt16BE(i).toString(16));
      return { length: 16 + len, source: { address: normalizeV6(words.join(':')), port: body.readUInt16BE(32) } };
    }
    if (fam === 0x00) return { length: 16 + len }; // UNSPEC
    throw bad(`unsupported v2 address family 0x${fam.toString(16)}`);
  }
  const probe = buf.subarray(0, Math.min(buf.length, 6)).toString('latin1');
  if (!'PROXY '.startsWith(probe)) throw bad('no PROXY header');
  const end = buf.indexOf('\r\n');
  if (end < 0) {
    if (buf.length >= V1_MAX) throw bad('v1 header too long');
    return null;
  }
  const parts = buf.subarray(0, end).toString('latin1').split(' ');
  if (parts[1] === 'UNKNOWN') return { length: end + 2 };
  if (parts.length !== 6 || (parts[1] !== 'TCP4' && parts[1] !== 'TCP6')) throw bad('malformed v1 header');
  const [, proto, src, , sport] = parts as [string, string, string, string, string, string];
  if (net.isIP(src) !== (proto === 'TCP4' ? 4 : 6) || !/^\d{1,5}$/.test(sport) || Number(sport) > 65535) throw bad('malformed v1 address');
  return { length: end + 2, source: { address: proto === 'TCP6' ? normalizeV6(src) : src, port: Number(sport) } };
}

function normalizeV6(a: string): string {
  // "::ffff:10.1.2.3" is an IPv4 client; keep the same form as sessions use.
  const m = /^(?:0:){5}ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(a) ?? /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(a);
  if (m) {
    const hi = parseInt(m[1]!, 16);
    const lo = parseInt(m[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  if (a.toLowerCase().startsWith('::ffff:') && a.includes('.')) return a.slice(7);
  return a;
}

/**
 * Reads the header off a new connection, within `timeoutMs`; the bytes after it are put
 * back for the session. Rejects (and the caller closes) on a missing or malformed header.
 */
export function readProxyHeader(sock: net.Socket, clock: Clock, timeoutMs: number): Promise<ProxiedAddress | undefined> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = clock.setTimer(timeoutMs, () => finish(bad(`no header within ${timeoutMs} ms`)));
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      let parsed;
      try {
        parsed = parseProxyHeader(buf);
      } catch (err) {
        finish(err as Error);
        return;
      }
      if (!parsed) return;
      finish(null, parsed.source, buf.subarray(parsed.length));
    };
    const onClose = (): void => finish(bad('connection closed before the header'));
    function finish(err: Error | null, source?: ProxiedAddress, rest?: Buffer): void {
      timer.cancel();
      sock.off('data', onData).off('close', onClose).off('error', onClose);
      sock.pause();
      if (err) return reject(err);
      if (rest && rest.length > 0) sock.unshift(rest);
      resolve(source);
    }
    sock.on('data', onData).once('close', onClose).once('error', onClose);
  });
}
