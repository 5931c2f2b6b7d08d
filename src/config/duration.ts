/**
 * Durations in the config: milliseconds as a number (900000), or a duration an admin reads
 * (`15m`, `90s`, `1h30m`, `7d`, `500ms`). Keys keep their unit in the name (`idleTimeoutMs`):
 * whatever is written, the value is milliseconds.
 */
import { z } from 'zod';

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gy;

/** Milliseconds for "15m", "1h30m", "2.5s"; undefined for anything else (or a fraction of a millisecond). */
export function parseDuration(text: string): number | undefined {
  const s = text.trim().toLowerCase();
  if (s === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  let at = 0;
  for (let m = PART.exec(s); m; m = PART.exec(s)) {
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
    at = PART.lastIndex;
    while (s[at] === ' ') at++;
    PART.lastIndex = at;
  }
  if (at !== s.length || !Number.isFinite(total) || !Number.isInteger(total)) return undefined;
  return total;
}

/** The hint for a duration written wrong. */
export const DURATION_HINT = 'write milliseconds (900000) or a duration such as 90s, 15m, 1h30m or 7d';

/** A duration in milliseconds: a number, or a string parseDuration reads (an unreadable string stays a string, and the schema says so). */
export const duration = (min = 1, max?: number) => {
  const n = max === undefined ? z.int().min(min) : z.int().min(min).max(max);
  return z.preprocess((v) => (typeof v === 'string' ? (parseDuration(v) ?? v) : v), n);
};

/** A duration with its default. */
export const ms = (def: number, min = 1) => duration(min).default(def);
