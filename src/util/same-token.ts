/** Compares a secret someone sent with the one expected in constant time (for equal lengths); absent never matches. */
import { timingSafeEqual } from 'node:crypto';

export function sameToken(given: string | undefined, expected: string | undefined): boolean {
  if (!given || !expected) return false;
  const x = Buffer.from(given);
  const y = Buffer.from(expected);
  return x.length === y.length && timingSafeEqual(x, y);
}
