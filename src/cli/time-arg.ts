/**
 * Time arguments: an ISO 8601 time with a zone ("2026-11-20T09:30:00Z"), or a duration —
 * ago for when something happened (`--since 7d`), from now for when something ends (`--until 24h`).
 */
import { UsageError } from './usage.js';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

export function parseTime(text: string, now: number): number {
  const ago = /^(\d+)([smhdw])$/.exec(text.trim());
  if (ago) return now - Number(ago[1]) * UNIT_MS[ago[2]!]!;
  if (text.trim() === 'now') return now;
  // A date without a zone would silently mean local time; require one.
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text.trim())) {
    throw new UsageError(`"${text}" has no time zone: add Z (UTC) or an offset such as +01:00`);
  }
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new UsageError(`"${text}" is not a time: use ISO 8601 (2026-11-20T09:30:00Z) or a duration ago (90m, 36h, 7d, 2w)`);
  return t;
}

/** When something ends: a duration from now ("24h", "7d"), or an ISO time. */
export function parseFuture(text: string, now: number): number {
  const ahead = /^(\d+)([smhdw])$/.exec(text.trim());
  if (ahead) return now + Number(ahead[1]) * UNIT_MS[ahead[2]!]!;
  return parseTime(text, now);
}
