/**
 * Report links: `/r/<ref>.<answer>.<mac>` — an opaque random reference (no account name or
 * address), the answer it gives (n: this wasn't me, y: this was me), and an HMAC-SHA256 of
 * both under the key in userInsight.links.keyFile. Storage keeps the reference only, so a copy
 * of the database cannot make a working link; expiry and single use are checked there.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../log/secret.js';
import type { NoticeAnswer } from '../store/notice-store.js';

const SHAPE = /^([A-Za-z0-9_-]{22})\.([ny])\.([A-Za-z0-9_-]{43})$/;

export const newReference = (): string => randomBytes(16).toString('base64url');

export class LinkSigner {
  constructor(private readonly key: Secret<Buffer>) {}

  #mac(ref: string, a: 'n' | 'y'): Buffer {
    return createHmac('sha256', this.key.reveal()).update(`bindwall/report-link/v1|${ref}|${a}`).digest();
  }

  /** The path for one answer to a notice. */
  path(ref: string, answer: NoticeAnswer): string {
    const a = answer === 'denied' ? 'n' : 'y';
    return `/r/${ref}.${a}.${this.#mac(ref, a).toString('base64url')}`;
  }

  /** The reference and answer a token carries, or undefined when it is not one of ours (malformed or tampered). */
  verify(token: string): { ref: string; answer: NoticeAnswer } | undefined {
    const m = SHAPE.exec(token);
    if (!m) return undefined;
    const given = Buffer.from(m[3]!, 'base64url');
    const want = this.#mac(m[1]!, m[2] as 'n' | 'y');
    if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
    return { ref: m[1]!, answer: m[2] === 'n' ? 'denied' : 'confirmed' };
  }
}
