/**
 * One coarse timer for every pending bind's deadline, instead of a setTimeout and
 * clearTimeout per bind on the hot path. A deadline fires within one sweep interval of
 * its time, which is plenty for timeouts measured in seconds.
 */
import type { Clock, TimerHandle } from '../util/clock.js';

export interface HasDeadline {
  checkDeadline(now: number): void;
}

export class Deadlines {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #watched = new Set<HasDeadline>();
  #timer: TimerHandle | null = null;

  constructor(clock: Clock, intervalMs: number) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#timer = clock.setTimer(intervalMs, this.#tick);
  }

  watch(x: HasDeadline): void {
    this.#watched.add(x);
  }

  unwatch(x: HasDeadline): void {
    this.#watched.delete(x);
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#watched.clear();
  }

  readonly #tick = (): void => {
    const now = this.#clock.now();
    for (const x of [...this.#watched]) x.checkDeadline(now);
    if (this.#timer) this.#timer = this.#clock.setTimer(this.#intervalMs, this.#tick);
  };
}
