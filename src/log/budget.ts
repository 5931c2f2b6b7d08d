/**
 * A log budget: at most `perWindow` lines per key (a client address) per window, so a
 * client that misbehaves on purpose cannot grow the log faster than the budget allows.
 * What is held back is counted and reported on the key's next line that gets through.
 * The table of keys is bounded too; when full, it starts over (a fresh budget for all).
 */
import type { Clock } from '../util/clock.js';

export class LogBudget {
  readonly #clock: Clock;
  readonly #perWindow: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #keys = new Map<string, { start: number; used: number; suppressed: number }>();

  constructor(clock: Clock, o: { perWindow: number; windowMs: number; maxKeys?: number }) {
    this.#clock = clock;
    this.#perWindow = o.perWindow;
    this.#windowMs = o.windowMs;
    this.#maxKeys = o.maxKeys ?? 10_000;
  }

  /**
   * Undefined when the line must be dropped; otherwise how many lines of this key were
   * dropped since the last one that got through (0 usually), to put on the line.
   */
  take(key: string): number | undefined {
    const now = this.#clock.now();
    let k = this.#keys.get(key);
    if (!k || now - k.start >= this.#windowMs) {
      if (!k && this.#keys.size >= this.#maxKeys) this.#keys.clear();
      const suppressed = k?.suppressed ?? 0;
      k = { start: now, used: 0, suppressed: 0 };
      this.#keys.set(key, k);
      k.used++;
      return suppressed;
    }
    if (k.used >= this.#perWindow) {
      k.suppressed++;
      return undefined;
    }
    k.used++;
    const suppressed = k.suppressed;
    k.suppressed = 0;
    return suppressed;
  }
}
