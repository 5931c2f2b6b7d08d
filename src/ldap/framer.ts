/**
 * Streaming LDAPMessage framer. It reads only the envelope of each PDU (SEQUENCE length,
 * messageID, protocolOp tag) and lets a handler decide per PDU whether its bytes pass
 * straight through (no copy, one write per chunk in the common case), are collected whole
 * for decoding, or are skipped. Handles partial and multiple PDUs per chunk, and can hold
 * its input while the handler waits on something (a bind decision, an upstream connect).
 */
import { BindwallError, ErrorCode } from '../errors.js';
import { malformed } from './ber.js';

export const Disposition = { Pass: 0, Collect: 1, Skip: 2 } as const;
export type Disposition = (typeof Disposition)[keyof typeof Disposition];

export interface FrameHandler {
  /** Decides what happens to the PDU whose envelope was just read. */
  classify(msgId: number, opTag: number, pduBytes: number): Disposition;
  /** Bytes of passing PDUs, in order, as views of the input chunks. */
  pass(bytes: Buffer): void;
  /** A whole collected PDU. Return false to hold further input until `resume()`. */
  collected(pdu: Buffer, msgId: number, opTag: number): boolean;
  /** A skipped PDU has been fully consumed. Return false to hold further input. */
  skipped(msgId: number, opTag: number): boolean;
  /** The stream is malformed; the framer is dead afterwards. */
  failed(err: BindwallError): void;
}

/** Longest envelope we need: tag, 5 length bytes, msgid TLV (2+4 bytes), op tag. */
const MAX_ENVELOPE = 1 + 5 + 6 + 1;

/** First allocation for a collected PDU whose bytes have not all arrived yet. */
const INITIAL_COLLECT = 16 * 1024;

export class PduFramer {
  readonly #handler: FrameHandler;
  readonly #maxPduBytes: number;
  #mode: Disposition = Disposition.Pass;
  #remaining = 0; // bytes of the current PDU still to come
  #msgId = 0;
  #opTag = 0;
  #collect: Buffer | null = null;
  #collected = 0;
  #collectSize = 0;
  #partial: Buffer | null = null; // an envelope cut by a chunk boundary
  #held = false;
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #dead = false;
  #completed = 0;

  constructor(handler: FrameHandler, maxPduBytes: number) {
    this.#handler = handler;
    this.#maxPduBytes = maxPduBytes;
  }

  get held(): boolean {
    return this.#held;
  }

  /** Input waiting while held; the owner pauses its socket past a threshold. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** True between PDUs: nothing of a PDU has been seen but not yet handled. */
  get atBoundary(): boolean {
    return this.#remaining === 0 && this.#partial === null && this.#queue.length === 0;
  }

  /** True while a PDU has begun arriving but not all its bytes are here (held input aside). */
  get inPdu(): boolean {
    return this.#remaining > 0 || this.#partial !== null;
  }

  /** PDUs whose last byte has been consumed so far (a cheap progress counter for deadlines). */
  get completed(): number {
    return this.#completed;
  }

  hold(): void {
    this.#held = true;
  }

  resume(): void {
    if (!this.#held || this.#dead) return;
    this.#held = false;
    while (!this.#held && !this.#dead && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      this.#queuedBytes -= next.length;
      this.#consume(next);
    }
  }

  kill(): void {
    this.#dead = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#collect = null;
    this.#partial = null;
  }

  push(chunk: Buffer): void {
    if (this.#dead) return;
    if (this.#held) {
      this.#queue.push(chunk);
      this.#queuedBytes += chunk.length;
    } else this.#consume(chunk);
  }

  #consume(input: Buffer): void {
    let buf = input;
    if (this.#partial !== null) {
      buf = Buffer.concat([this.#partial, input]);
      this.#partial = null;
    }
    const len = buf.length;
    let pos = 0;
    let passStart = 0; // start of the pending pass-through run
    const h = this.#handler;

    while (pos < len) {
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, len - pos);
        if (this.#mode === Disposition.Collect) {
          this.#reserve(this.#collected + n);
          buf.copy(this.#collect!, this.#collected, pos, pos + n);
          this.#collected += n;
        }
        pos += n;
        this.#remaining -= n;
        if (this.#remaining === 0) this.#completed++;
        if (this.#mode === Disposition.Pass) continue;
        passStart = pos;
        if (this.#remaining > 0) continue;
        const keepGoing = this.#mode === Disposition.Collect ? this.#finishCollect() : h.skipped(this.#msgId, this.#opTag);
        this.#mode = Disposition.Pass;
        if (this.#dead) return;
        if (!keepGoing || this.#held) {
          this.#held = true;
          if (pos < len) {
            this.#queue.unshift(buf.subarray(pos));
            this.#queuedBytes += len - pos;
          }
          return;
        }
        continue;
      }

      // At a PDU boundary: read the envelope.
      const env = this.#readEnvelope(buf, pos, len);
      if (env === null) {
        if (this.#dead) return;
        if (passStart < pos) h.pass(buf.subarray(passStart, pos));
        this.#partial = Buffer.from(buf.subarray(pos)); // copy: the chunk may be reused
        return;
      }
      const disposition = h.classify(this.#msgId, this.#opTag, env);
      if (this.#dead) return;
      this.#remaining = env;
      this.#mode = disposition;
      if (disposition !== Disposition.Pass) {
        if (passStart < pos) h.pass(buf.subarray(passStart, pos));
        if (disposition === Disposition.Collect) {
          // Memory follows the bytes that arrive, never the length a PDU declares: 14
          // bytes claiming 10 MiB must not reserve 10 MiB.
          this.#collectSize = env;
          this.#collect = Buffer.allocUnsafe(Math.min(env, Math.max(INITIAL_COLLECT, len - pos)));
          this.#collected = 0;
        }
      }
    }
    if (passStart < len && this.#mode === Disposition.Pass) {
      h.pass(passStart === 0 ? buf : buf.subarray(passStart));
    }
  }

  /** Grows the collect buffer (doubling, up to the PDU's declared size) to hold `needed` bytes. */
  #reserve(needed: number): void {
    const cur = this.#collect!;
    if (needed <= cur.length) return;
    const next = Buffer.allocUnsafe(Math.min(this.#collectSize, Math.max(needed, cur.length * 2)));
    cur.copy(next, 0, 0, this.#collected);
    this.#collect = next;
  }

  #finishCollect(): boolean {
    const pdu = this.#collect!.length === this.#collected ? this.#collect! : this.#collect!.subarray(0, this.#collected);
    this.#collect = null;
    return this.#handler.collected(pdu, this.#msgId, this.#opTag);
  }

  /**
   * Parses the envelope at `pos`. Returns the PDU's total size, or null when the chunk
   * ends inside the envelope (or the framer failed). Sets #msgId and #opTag.
   */
  #readEnvelope(buf: Buffer, pos: number, len: number): number | null {
    const avail = len - pos;
    if (buf[pos] !== 0x30) return this.#fail(malformed(`LDAPMessage must start with SEQUENCE (0x30), got 0x${buf[pos]!.toString(16)}`));
    if (avail < 2) return null;
    let p = pos + 1;
    const first = buf[p++]!;
    let contentLen: number;
    if (first < 0x80) {
      contentLen = first;
    } else {
      const n = first & 0x7f;
      if (n === 0) return this.#fail(malformed('indefinite length is not allowed in LDAP'));
      if (n > 4) return this.#fail(malformed(`length of length ${n} is too large`));
      if (avail < 2 + n) return null;
      contentLen = 0;
      for (let i = 0; i < n; i++) contentLen = contentLen * 256 + buf[p++]!;
    }
    if (contentLen > this.#maxPduBytes) {
      return this.#fail(new BindwallError(ErrorCode.PduTooLarge, `PDU of ${contentLen} bytes exceeds the limit of ${this.#maxPduBytes}`));
    }
    const headerLen = p - pos;
    // messageID INTEGER (1..4 bytes, non-negative) then the protocolOp tag.
    if (p + 2 > len) return avail >= MAX_ENVELOPE ? this.#fail(malformed('truncated envelope')) : null;
    if (buf[p] !== 0x02) return this.#fail(malformed('messageID must be an INTEGER'));
    const idLen = buf[p + 1]!;
    if (idLen < 1 || idLen > 4) return this.#fail(malformed(`messageID of ${idLen} bytes`));
    if (contentLen < 2 + idLen + 2) return this.#fail(malformed('LDAPMessage too short for a protocolOp'));
    if (p + 2 + idLen + 1 > len) return null;
    if (buf[p + 2]! & 0x80) return this.#fail(malformed('negative messageID'));
    let id = 0;
    for (let i = 0; i < idLen; i++) id = id * 256 + buf[p + 2 + i]!;
    const op = buf[p + 2 + idLen]!;
    if ((op & 0x1f) === 0x1f) return this.#fail(malformed('high tag numbers are not used in LDAP'));
    this.#msgId = id;
    this.#opTag = op;
    return headerLen + contentLen;
  }

  #fail(err: BindwallError): null {
    this.kill();
    this.#handler.failed(err);
    return null;
  }
}
