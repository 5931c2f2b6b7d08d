/**
 * Exponentially decayed quantities: a count or weight that halves every `halfLifeMs`.
 * Stored as (value, asOf) and brought forward lazily, so nothing rescans on the bind path.
 */
export interface Decayed {
  value: number;
  asOf: number;
}

/**
 * 2^(−elapsed/halfLife), as e^(−elapsed·ln2/halfLife): the same value to the last bit or two,
 * at about a seventh of the cost (V8's Math.exp against its general power function), and it is
 * called for every familiar thing of a baseline on every logon.
 */
export const decayFactor = (elapsedMs: number, halfLifeMs: number): number =>
  elapsedMs <= 0 ? 1 : Math.exp((-elapsedMs * Math.LN2) / halfLifeMs);

export function valueAt(d: Decayed, now: number, halfLifeMs: number): number {
  return d.value * decayFactor(now - d.asOf, halfLifeMs);
}

/** Decays to `now`, then adds `amount`. */
export function bump(d: Decayed, now: number, halfLifeMs: number, amount = 1): void {
  d.value = valueAt(d, now, halfLifeMs) + amount;
  d.asOf = Math.max(d.asOf, now);
}

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;
