/**
 * A map with a size cap that forgets its least recently used entry: a Map's insertion order
 * is the recency order, and `use` moves an entry to the end. Memory is bounded by the cap,
 * whatever keys the traffic brings.
 *
 * Moving costs a delete and an insert, on every bind for the baselines. An entry moved within
 * the last quarter of the cap's worth of uses is left where it is: it is among the newest
 * already, and cannot be the next to go. The order is therefore LRU to within a quarter of
 * the cap, and the bound is exact.
 */
interface Slot<V> {
  v: V;
  /** The use count when the entry was last moved to the end. */
  t: number;
}

export class LruMap<V> {
  readonly cap: number;
  readonly #map = new Map<string, Slot<V>>();
  readonly #young: number;
  #uses = 0;

  constructor(cap: number) {
    if (!(cap >= 1)) throw new RangeError(`LRU cap must be at least 1, got ${cap}`);
    this.cap = cap;
    this.#young = Math.floor(cap / 4);
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): V | undefined {
    return this.#map.get(key)?.v;
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  /** Marks `key` as just used. */
  use(key: string, value: V): void {
    const now = ++this.#uses;
    const s = this.#map.get(key);
    if (s !== undefined) {
      s.v = value;
      if (now - s.t <= this.#young) return;
      this.#map.delete(key);
      s.t = now;
      this.#map.set(key, s);
      return;
    }
    this.#map.set(key, { v: value, t: now });
  }

  /** Inserts or replaces (as just used); returns the entry forgotten to stay within the cap. */
  set(key: string, value: V): [string, V] | undefined {
    this.use(key, value);
    if (this.#map.size <= this.cap) return undefined;
    const oldest = this.#map.entries().next().value as [string, Slot<V>];
    this.#map.delete(oldest[0]);
    return [oldest[0], oldest[1].v];
  }

  delete(key: string): boolean {
    return this.#map.delete(key);
  }

  keys(): IterableIterator<string> {
    return this.#map.keys();
  }

  *values(): IterableIterator<V> {
    for (const s of this.#map.values()) yield s.v;
  }

  *entries(): IterableIterator<[string, V]> {
    for (const [k, s] of this.#map) yield [k, s.v];
  }
}
