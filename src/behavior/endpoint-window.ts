/**
 * What one endpoint did recently, kept incrementally so the bind path never rescans:
 * a time-ordered window of attempts with per-account counts (how many accounts failed
 * without succeeding, how many succeeded), and 24-hour maps of accounts that failed or
 * succeeded, kept in time order so expiry pops from the front.
 */
import { DAY_MS } from './decay.js';
import type { EndpointBaseline } from './baseline.js';
import { trimRole } from './endpoint-role.js';

/** Largest window kept per endpoint (an app server may bind thousands of accounts). */
const MAX_WINDOW = 4096;

/**
 * Accounts kept per endpoint in each 24-hour map: a spray of random names must not grow
 * them without bound; a count this high is past every threshold that reads it.
 */
const MAX_DAY_ACCOUNTS = 4096;

/** Inserts as the newest entry and drops the oldest past the cap (the maps stay in time order). */
function setNewest(map: Map<string, number>, account: string, now: number): void {
  map.delete(account);
  map.set(account, now);
  if (map.size > MAX_DAY_ACCOUNTS) map.delete(map.keys().next().value as string);
}

function add(ep: EndpointBaseline, account: string, failed: boolean, sign: 1 | -1): void {
  let c = ep.windowCounts.get(account);
  if (!c) {
    c = { failed: 0, ok: 0 };
    ep.windowCounts.set(account, c);
  }
  const wasFailedOnly = c.failed > 0 && c.ok === 0;
  const wasOk = c.ok > 0;
  if (failed) c.failed += sign;
  else c.ok += sign;
  const isFailedOnly = c.failed > 0 && c.ok === 0;
  const isOk = c.ok > 0;
  ep.windowFailedOnly += (isFailedOnly ? 1 : 0) - (wasFailedOnly ? 1 : 0);
  ep.windowSucceeded += (isOk ? 1 : 0) - (wasOk ? 1 : 0);
  if (c.failed === 0 && c.ok === 0) ep.windowCounts.delete(account);
}

/** Drops attempts older than the window (leaving room for one more within MAX_WINDOW) and 24-hour entries older than a day. */
export function expire(ep: EndpointBaseline, now: number, windowMs: number): void {
  const since = now - windowMs;
  const w = ep.window;
  const head = ep.windowHead ?? 0;
  let i = head;
  while (i < w.length && (w[i]!.time < since || w.length - i >= MAX_WINDOW)) {
    const a = w[i]!;
    add(ep, a.account, a.failed, -1);
    i++;
  }
  // Attempts before windowHead are dead; the array is compacted only now and then, so a
  // full window does not move 4,096 entries on every bind.
  if (i > head) {
    if (i >= 1024 || 2 * i >= w.length) {
      w.splice(0, i);
      ep.windowHead = 0;
    } else ep.windowHead = i;
  }
  // The 24-hour maps are trimmed at most once a minute: a minute's slack on a day is nothing.
  if (now - ep.dayTrimmedAt >= 60_000) {
    ep.dayTrimmedAt = now;
    trimOlderThan(ep.failedAccounts, now - DAY_MS);
    trimOlderThan(ep.succeededAccounts, now - DAY_MS);
    trimRole(ep, now);
  }
}

function trimOlderThan(map: Map<string, number>, cutoff: number): void {
  for (const [k, t] of map) {
    if (t >= cutoff) return;
    map.delete(k);
  }
}

export function record(ep: EndpointBaseline, account: string, failed: boolean, now: number): void {
  ep.window.push({ time: now, account, failed });
  add(ep, account, failed, 1);
  // Re-inserting moves the account to the end: the maps stay in time order.
  if (failed) setNewest(ep.failedAccounts, account, now);
  else {
    // A failure the same account corrects from the same source was a typo.
    ep.failedAccounts.delete(account);
    setNewest(ep.succeededAccounts, account, now);
  }
}
