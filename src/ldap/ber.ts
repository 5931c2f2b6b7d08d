/**
 * The small subset of BER that LDAP uses (RFC 4511 §5.1): definite lengths only,
 * primitive strings only. Strict on purpose: whatever we decode must be read the same
 * way by the directory, or a crafted PDU could mean one thing to us and another to it.
 */
import { BindwallError, ErrorCode } from '../errors.js';

export function malformed(message: string): BindwallError {
  return new BindwallError(ErrorCode.ProtocolMalformed, message);
}

/** Sequential reader over one complete TLV structure. */
export class BerReader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  peekTag(): number {
    if (this.pos >= this.end) throw malformed('unexpected end of element');
    return this.buf[this.pos]!;
  }

  /** Reads a tag and length; returns the content's [start, end) and leaves pos at start. */
  enter(expectedTag: number, what: string): number {
    const tag = this.peekTag();
    if (tag !== expectedTag) throw malformed(`${what}: expected tag 0x${expectedTag.toString(16)}, got 0x${tag.toString(16)}`);
    this.pos++;
    const len = this.readLength(what);
    const contentEnd = this.pos + len;
    if (contentEnd > this.end) throw malformed(`${what}: length runs past its container`);
    return contentEnd;
  }

  readLength(what: string): number {
    if (this.pos >= this.end) throw malformed(`${what}: missing length`);
    const first = this.buf[this.pos++]!;
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n === 0) throw malformed(`${what}: indefinite length is not allowed in LDAP`);
    if (n > 4) throw malformed(`${what}: length of length ${n} is too large`);
    if (this.pos + n > this.end) throw malformed(`${what}: truncated length`);
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + this.buf[this.pos++]!;
    return len;
  }

  /** Reads a whole element of the given tag and returns its content bytes (a view). */
  readTagged(tag: number, what: string): Buffer {
    const end = this.enter(tag, what);
    const out = this.buf.subarray(this.pos, end);
    this.pos = end;
    return out;
  }

  readInteger(what: string, tag: number = 0x02): number {
    const bytes = this.readTagged(tag, what);
    if (bytes.length === 0 || bytes.length > 4) throw malformed(`${what}: integer of ${bytes.length} bytes`);
    let v = bytes[0]! & 0x80 ? -1 : 0;
    // Starting from -1 for a set sign bit makes the loop produce two's-complement values.
    for (const b of bytes) v = v * 256 + b;
    return v;
  }

  readOctetString(what: string, tag: number = 0x04): Buffer {
    return this.readTagged(tag, what);
  }

  /** Skips one element of any tag. */
  skip(what: string): void {
    const tag = this.peekTag();
    if ((tag & 0x1f) === 0x1f) throw malformed(`${what}: high tag numbers are not used in LDAP`);
    this.pos++;
    const len = this.readLength(what);
    if (this.pos + len > this.end) throw malformed(`${what}: length runs past its container`);
    this.pos += len;
  }
}

/** Encodes a BER length. */
export function encodeLength(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  for (let v = len; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = content.length === 1 ? content[0]! : Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

/** Minimal two's-complement encoding of a non-negative integer (message IDs, codes). */
export function encodeIntegerContent(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new RangeError(`integer out of range: ${value}`);
  const bytes: number[] = [];
  let v = value;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return Buffer.from(bytes);
}

export const integer = (value: number, tag = 0x02): Buffer => tlv(tag, encodeIntegerContent(value));
export const octetString = (value: string | Buffer, tag = 0x04): Buffer =>
  tlv(tag, typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
export const sequence = (...parts: Buffer[]): Buffer => tlv(0x30, ...parts);

// ---- single-buffer writers (for the hot responses; same bytes as tlv/integer) ----

/** Bytes the encoding of a length takes (short or long form). */
export function lengthLength(len: number): number {
  return len < 0x80 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : len < 0x1000000 ? 4 : 5;
}

/** Content bytes of a non-negative integer in minimal two's complement. */
export function integerLength(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0x7fffffff) throw new RangeError(`integer out of range: ${value}`);
  let n = 1;
  for (let v = value; v > 0x7f; v = Math.floor(v / 256)) n++;
  return n;
}

/** Writes a tag and a length at `pos`; returns the position after them. */
export function writeHeader(out: Buffer, pos: number, tag: number, len: number): number {
  out[pos++] = tag;
  const n = lengthLength(len);
  if (n === 1) {
    out[pos++] = len;
    return pos;
  }
  out[pos++] = 0x80 | (n - 1);
  for (let i = n - 2; i >= 0; i--) out[pos++] = (len >>> (8 * i)) & 0xff;
  return pos;
}

/** Writes an integer element whose content is `len` bytes (integerLength); returns the position after it. */
export function writeInteger(out: Buffer, pos: number, tag: number, value: number, len: number): number {
  out[pos++] = tag;
  out[pos++] = len;
  for (let i = len - 1; i >= 0; i--) out[pos++] = i >= 4 ? 0 : (value >>> (8 * i)) & 0xff;
  return pos;
}
