/**
 * A small real DNS server on a loopback UDP port, answering PTR queries from a table (the
 * rest NXDOMAIN), as a site's DNS with DHCP-registered names would; `silent` stops answering.
 */
import dgram from 'node:dgram';

export interface DnsServer {
  server: string;
  ptr: Map<string, string>;
  queries: number;
  silent: boolean;
  stop(): Promise<void>;
}

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').map((l) => Buffer.concat([Buffer.from([Buffer.byteLength(l)]), Buffer.from(l)]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

/** "4.3.2.1.in-addr.arpa" → "1.2.3.4" */
function addressOf(q: Buffer, offset: number): { address: string; end: number } {
  const labels: string[] = [];
  let i = offset;
  while (q[i]! > 0) {
    labels.push(q.subarray(i + 1, i + 1 + q[i]!).toString());
    i += q[i]! + 1;
  }
  return { address: labels.slice(0, 4).reverse().join('.'), end: i + 1 };
}

export async function startDns(ptr: Record<string, string> = {}): Promise<DnsServer> {
  const socket = dgram.createSocket('udp4');
  const s: DnsServer = { server: '', ptr: new Map(Object.entries(ptr)), queries: 0, silent: false, stop: () => new Promise((r) => socket.close(() => r())) };
  socket.on('message', (q, rinfo) => {
    s.queries++;
    if (s.silent || q.length < 17) return;
    const { address, end } = addressOf(q, 12);
    const question = q.subarray(12, end + 4);
    const name = s.ptr.get(address);
    const header = Buffer.alloc(12);
    q.copy(header, 0, 0, 2);
    header.writeUInt16BE(name ? 0x8180 : 0x8183, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(name ? 1 : 0, 6);
    const parts: Buffer[] = [header, Buffer.from(question)];
    if (name) {
      const rdata = encodeName(name);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(12, 2); // PTR
      rr.writeUInt16BE(1, 4); // IN
      rr.writeUInt32BE(300, 6);
      rr.writeUInt16BE(rdata.length, 10);
      parts.push(rr, rdata);
    }
    socket.send(Buffer.concat(parts), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  s.server = `127.0.0.1:${socket.address().port}`;
  return s;
}
