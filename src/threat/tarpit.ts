/**
 * The tarpit: in enforce mode a bind from a low- or medium-threat source waits `delayMs`
 * before it goes to the directory, which slows a spray that has not yet earned a block
 * without refusing the people behind a shared address. It holds at most `maxHeld` binds at
 * once across the proxy; past that a bind is answered busy (51) at once, so an attacker
 * cannot turn the tarpit into a way to pin connections and memory.
 */
/** What a session asks of the tarpit. */
export interface Tarpit {
  readonly delayMs: number;
  /** false: every slot is taken (the bind is answered busy). */
  acquire(): boolean;
  release(): void;
}

export interface TarpitOptions {
  delayMs: number;
  maxHeld: number;
}

export class BoundedTarpit implements Tarpit {
  readonly delayMs: number;
  readonly #max: number;
  #held = 0;
  /** Binds answered busy because every slot was taken (for the stats line and tests). */
  overflowed = 0;

  constructor(o: TarpitOptions) {
    this.delayMs = o.delayMs;
    this.#max = o.maxHeld;
  }

  get held(): number {
    return this.#held;
  }

  acquire(): boolean {
    if (this.#held >= this.#max) {
      this.overflowed++;
      return false;
    }
    this.#held++;
    return true;
  }

  release(): void {
    if (this.#held > 0) this.#held--;
  }
}
