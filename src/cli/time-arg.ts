/**
 * Time arguments: an ISO 8601 time with a zone ("2026-11-20T09:30:00Z"), or a duration as the
 * config writes them (config/duration.ts) — ago for when something happened (`--since 7d`),
 * from now for when something ends (`--until 24h`).
 */
import { parseDuration } from '../config/duration.js';
import { UsageError } from './usage.js';

export function parseTime(text: string, now: number): number {
  const ago = parseDuration(text);
  if (ago !== undefined) return now - ago;
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
  const ahead = parseDuration(text);
  return ahead !== undefined ? now + ahead : parseTime(text, now);
}
