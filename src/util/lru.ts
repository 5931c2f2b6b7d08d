/**
 * A map with a size cap that forgets its least recently used entry: a Map's insertion order
 * is the recency order, and `use` moves an entry to the end. Memory is bounded by the cap,
 * whatever keys the traffic brings.
 */
export class LruMap<V> {
  readonly cap: number;
  readonly #map = new Map<string, V>();

  constructor(cap: number) {
    if (!(cap >= 1)) throw new RangeError(`LRU cap must be at least 1, got ${cap}`);
    this.cap = cap;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): V | undefined {
    return this.#map.get(key);
  }

  has(key: string): boolean {
    return this.#map.has(key);
  }

  /** Marks `key` as just used. */
  use(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
  }

  /** Inserts or replaces (as just used); returns the entry forgotten to stay within the cap. */
  set(key: string, value: V): [string, V] | undefined {
    this.use(key, value);
    if (this.#map.size <= this.cap) return undefined;
    const oldest = this.#map.entries().next().value as [string, V];
    this.#map.delete(oldest[0]);
    return oldest;
  }

  delete(key: string): boolean {
    return this.#map.delete(key);
  }

  keys(): IterableIterator<string> {
    return this.#map.keys();
  }

  values(): IterableIterator<V> {
    return this.#map.values();
  }

  entries(): IterableIterator<[string, V]> {
    return this.#map.entries();
  }
}
