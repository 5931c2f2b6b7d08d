/**
 * A minimal LDAP client over raw sockets, built on the same framer and codec as the proxy.
 * Used where ldap-utils cannot go: several operations on one connection, a chosen source
 * address (simulated endpoints), pipelined or hand-crafted PDUs, and load generation.
 */
import net from 'node:net';
import tls from 'node:tls';
import { integer, octetString, sequence, tlv } from './ber.js';
import { Disposition, PduFramer } from './framer.js';
import { BerReader } from './ber.js';
import { decodeResult, decodeSearchEntry, encodeExtendedRequest, encodeSimpleBindRequest, encodeUnbindRequest, type LdapResult, type SearchEntry } from './messages.js';
import { Oid, Op, Tag } from './protocol.js';

export interface ReceivedPdu {
  msgId: number;
  opTag: number;
  pdu: Buffer;
}

export interface ClientOptions {
  /** Source address to connect from (e.g. 127.0.0.23 to simulate an endpoint). */
  localAddress?: string;
  ca?: Buffer;
  timeoutMs?: number;
}

export class LdapClient {
  readonly socket: net.Socket;
  #nextId = 1;
  #queue: ReceivedPdu[] = [];
  #waiters: { resolve: (p: ReceivedPdu) => void; reject: (e: Error) => void }[] = [];
  #closed: Error | null = null;
  readonly closed: Promise<void>;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    const framer = new PduFramer({
      classify: () => Disposition.Collect,
      pass: () => undefined,
      collected: (pdu, msgId, opTag) => {
        const item = { msgId, opTag, pdu };
        const w = this.#waiters.shift();
        if (w) w.resolve(item);
        else this.#queue.push(item);
        return true;
      },
      skipped: () => true,
      failed: (err) => socket.destroy(err),
    }, 0x7fffffff);
    socket.on('data', (d: Buffer) => framer.push(d));
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.#closed = new Error('connection closed');
        for (const w of this.#waiters.splice(0)) w.reject(this.#closed);
        resolve();
      });
    });
    socket.on('error', () => undefined);
  }

  /** Wraps an already connected socket (for example one from the directory pool). */
  static fromSocket(socket: net.Socket): LdapClient {
    socket.resume();
    return new LdapClient(socket);
  }

  static async connect(url: string, opts: ClientOptions = {}): Promise<LdapClient> {
    const u = new URL(url);
    const port = Number(u.port || (u.protocol === 'ldaps:' ? 636 : 389));
    const host = u.hostname;
    const base = { host, port, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) };
    const socket = u.protocol === 'ldaps:'
      ? tls.connect({ ...base, ...(opts.ca ? { ca: opts.ca } : {}), ...(net.isIP(host) ? {} : { servername: host }) })
      : net.connect(base);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`connect to ${url} timed out`)), opts.timeoutMs ?? 5_000);
      socket.once(u.protocol === 'ldaps:' ? 'secureConnect' : 'connect', () => { clearTimeout(timer); resolve(); });
      socket.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
    socket.setNoDelay(true);
    return new LdapClient(socket);
  }

  nextMessageId(): number {
    return this.#nextId++;
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The next PDU the server sends (in order). */
  receive(): Promise<ReceivedPdu> {
    const item = this.#queue.shift();
    if (item) return Promise.resolve(item);
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  async bind(dn: string, password: string | Buffer): Promise<LdapResult> {
    this.send(encodeSimpleBindRequest(this.nextMessageId(), dn, password));
    const r = await this.receive();
    return decodeResult(r.pdu, r.opTag);
  }

  /** WhoAmI (RFC 4532): "" when anonymous, else "dn:…" or "u:…". */
  async whoami(): Promise<{ result: LdapResult; authzId: string }> {
    this.send(encodeExtendedRequest(this.nextMessageId(), Oid.whoAmI));
    const r = await this.receive();
    return { result: decodeResult(r.pdu, Op.ExtendedResponse), authzId: extendedResponseValue(r.pdu) };
  }

  /** Runs a search and returns its entries (for small result sets: lookups, not bulk). */
  async searchEntries(base: string, filter: Buffer, opts: { scope?: 0 | 1 | 2; attributes?: string[]; sizeLimit?: number } = {}): Promise<{ entries: SearchEntry[]; done: LdapResult }> {
    this.send(encodeSearchRequest(this.nextMessageId(), base, opts.scope ?? 2, filter, opts.attributes ?? [], opts.sizeLimit ?? 0));
    const entries: SearchEntry[] = [];
    for (;;) {
      const r = await this.receive();
      if (r.opTag === Op.SearchResultEntry) entries.push(decodeSearchEntry(r.pdu));
      else if (r.opTag === Op.SearchResultDone) return { entries, done: decodeResult(r.pdu, r.opTag) };
    }
  }

  /** Runs a search and counts entries until SearchResultDone. */
  async search(base: string, filter: Buffer, opts: { scope?: 0 | 1 | 2; attributes?: string[] } = {}): Promise<{ entries: number; done: LdapResult }> {
    this.send(encodeSearchRequest(this.nextMessageId(), base, opts.scope ?? 2, filter, opts.attributes ?? []));
    let entries = 0;
    for (;;) {
      const r = await this.receive();
      if (r.opTag === Op.SearchResultEntry) entries++;
      else if (r.opTag === Op.SearchResultDone) return { entries, done: decodeResult(r.pdu, r.opTag) };
    }
  }

  async unbind(): Promise<void> {
    if (!this.#closed) this.send(encodeUnbindRequest(this.nextMessageId()));
    this.socket.end();
    await this.closed;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function encodeSearchRequest(msgId: number, base: string, scope: 0 | 1 | 2, filter: Buffer, attributes: string[], sizeLimit = 0): Buffer {
  return sequence(
    integer(msgId),
    tlv(Op.SearchRequest,
      octetString(base),
      integer(scope, Tag.enumerated),
      integer(0, Tag.enumerated), // derefAliases: never
      integer(sizeLimit),
      integer(0), // timeLimit
      Buffer.from([0x01, 0x01, 0x00]), // typesOnly FALSE
      filter,
      sequence(...attributes.map((a) => octetString(a)))),
  );
}

/**
 * Search filters encoded straight to BER. Values go in as raw bytes, so nothing a user
 * typed can change a filter's structure (no RFC 4515 string escaping to get wrong).
 */
export const Filter = {
  equality: (attribute: string, value: string): Buffer => tlv(0xa3, octetString(attribute), octetString(value)),
  present: (attribute: string): Buffer => octetString(attribute, 0x87),
  and: (...filters: Buffer[]): Buffer => tlv(0xa0, ...filters),
  or: (...filters: Buffer[]): Buffer => tlv(0xa1, ...filters),
} as const;

/** The responseValue [11] of an ExtendedResponse, as UTF-8 ('' when absent). */
export function extendedResponseValue(pdu: Buffer): string {
  const r = new BerReader(pdu);
  r.enter(Tag.sequence, 'LDAPMessage');
  r.readInteger('messageID');
  const end = r.enter(Op.ExtendedResponse, 'ExtendedResponse');
  r.readInteger('resultCode', Tag.enumerated);
  r.readOctetString('matchedDN');
  r.readOctetString('diagnosticMessage');
  while (r.pos < end) {
    if (r.peekTag() === Tag.extResponseValue) return r.readOctetString('responseValue', Tag.extResponseValue).toString('utf8');
    r.skip('extended response element');
  }
  return '';
}
