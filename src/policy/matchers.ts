/**
 * Value matchers compiled once at load: case-insensitive names and patterns (exact values
 * in a Set, patterns as anchored regular expressions), DNs in a normal form, and address
 * ranges as integers, so evaluation on the bind path does no parsing.
 */
import net from 'node:net';
import { parseCidr, type Cidr } from '../util/cidr.js';
import { globPredicate } from '../util/glob.js';

const GLOB_CHARS = /[*?]/;

/** Matches one lower-cased value against exact names and * / ? patterns. */
export class NameMatcher {
  readonly exact: ReadonlySet<string>;
  /** Patterns as plain string tests where possible (prefix*, *suffix, *part*), else regexps. */
  readonly #globs: readonly ((v: string) => boolean)[];

  constructor(values: readonly string[], normalize: (v: string) => string = lower) {
    const exact = new Set<string>();
    const globs: ((v: string) => boolean)[] = [];
    for (const raw of values) {
      const v = normalize(raw);
      if (GLOB_CHARS.test(v)) globs.push(globPredicate(v));
      else exact.add(v);
    }
    this.exact = exact;
    this.#globs = globs;
  }

  /** `value` must already be normalized the same way. */
  test(value: string | undefined): boolean {
    if (value === undefined) return false;
    if (this.exact.has(value)) return true;
    const g = this.#globs;
    for (let i = 0; i < g.length; i++) if (g[i]!(value)) return true;
    return false;
  }

  /** Any of `values` matches (a user's groups, OUs, attribute values). */
  testAny(values: readonly string[] | ReadonlySet<string>): boolean {
    if (this.exact.size > 0) {
      if (values instanceof Set) {
        for (const e of this.exact) if (values.has(e)) return true;
      } else {
        const a = values as readonly string[];
        for (let i = 0; i < a.length; i++) if (this.exact.has(a[i]!)) return true;
      }
    }
    const g = this.#globs;
    if (g.length === 0) return false;
    for (const v of values) for (let i = 0; i < g.length; i++) if (g[i]!(v)) return true;
    return false;
  }
}

export const lower = (v: string): string => v.toLowerCase();



/** A parsed client address, computed once per decision. */
export interface Address {
  family: 0 | 4 | 6;
  v4: number;
  v6: bigint;
}

export function parseAddress(text: string): Address {
  if (net.isIPv4(text)) {
    const p = text.split('.');
    return { family: 4, v4: ((+p[0]! << 24) >>> 0) + (+p[1]! << 16) + (+p[2]! << 8) + +p[3]!, v6: 0n };
  }
  if (net.isIPv6(text)) {
    const c = parseCidr(text);
    if (!('error' in c)) return { family: 6, v4: 0, v6: c.network };
  }
  return { family: 0, v4: 0, v6: 0n };
}

/** Address ranges: IPv4 as [first, last] integer pairs, IPv6 as bigint networks. */
export class AddressMatcher {
  readonly #v4: number[] = [];
  readonly #v6: Cidr[] = [];

  constructor(cidrs: readonly Cidr[]) {
    for (const c of cidrs) {
      if (c.family === 4) {
        const first = Number(c.network);
        this.#v4.push(first, first + 2 ** (32 - c.prefix) - 1);
      } else {
        this.#v6.push(c);
      }
    }
  }

  test(a: Address): boolean {
    if (a.family === 4) {
      const r = this.#v4;
      for (let i = 0; i < r.length; i += 2) if (a.v4 >= r[i]! && a.v4 <= r[i + 1]!) return true;
      return false;
    }
    if (a.family === 6) {
      for (const c of this.#v6) {
        const shift = BigInt(128 - c.prefix);
        if ((a.v6 >> shift) << shift === c.network) return true;
      }
    }
    return false;
  }
}
