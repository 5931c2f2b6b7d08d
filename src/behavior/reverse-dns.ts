/**
 * Device names from reverse DNS, off the bind path: a bind asks the cache and never waits; a
 * miss starts one lookup in the background (bounded in flight, with a deadline), whose answer
 * names the device for the binds after it. Only addresses in configured internal networks
 * are looked up: whoever controls an address's PTR record outside them could name their
 * machine after someone's workstation. A failing resolver is said once a minute; without an
 * answer the address itself stands for the device, as without reverse DNS.
 */
import { promises as dns } from 'node:dns';
import type { Logger } from '../log/logger.js';
import { cidrContains, parseCidr, type Cidr } from '../util/cidr.js';
import type { Clock } from '../util/clock.js';
import { LruMap } from '../util/lru.js';

export interface ReverseDnsOptions {
  /** DNS servers ("10.0.0.53" or "10.0.0.53:5353"); empty: the system's. */
  servers: readonly string[];
  /** Only these networks are looked up. */
  networks: readonly string[];
  timeoutMs: number;
  cacheTtlMs: number;
  /** Addresses without a name are asked again after this long. */
  negativeTtlMs: number;
  maxEntries: number;
  maxInFlight: number;
}

interface Entry {
  name: string | null;
  at: number;
  /** The resolver did not answer: asked again sooner, and what was known before stays. */
  failed?: boolean;
}

/** Errors that mean "no name", not "the resolver is failing". */
const NO_NAME = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);
/** After a failed lookup, the address is asked again after this long at most. */
const RETRY_FAILED_MS = 60_000;

export class ReverseDns {
  readonly #o: ReverseDnsOptions;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #resolver: dns.Resolver;
  readonly #networks: Cidr[];
  readonly #cache: LruMap<Entry>;
  readonly #pending = new Map<string, Promise<void>>();
  #lastWarned = -Infinity;
  #failures = 0;
  lookups = 0;

  constructor(o: ReverseDnsOptions, clock: Clock, log: Logger) {
    this.#o = o;
    this.#clock = clock;
    this.#log = log;
    this.#resolver = new dns.Resolver({ timeout: o.timeoutMs, tries: 1 });
    if (o.servers.length > 0) this.#resolver.setServers([...o.servers]);
    this.#networks = o.networks.map((n) => parseCidr(n)).filter((c): c is Cidr => !('error' in c));
    this.#cache = new LruMap(o.maxEntries);
  }

  /** The device name cached for an address (its host name, lower case), never waiting. */
  name(address: string): string | undefined {
    if (!this.#networks.some((c) => cidrContains(c, address))) return undefined;
    const e = this.#cache.get(address);
    const now = this.#clock.now();
    const ttl = e?.failed ? Math.min(RETRY_FAILED_MS, this.#o.negativeTtlMs) : e?.name ? this.#o.cacheTtlMs : this.#o.negativeTtlMs;
    if (!e || now - e.at >= ttl) this.#start(address);
    return e?.name ?? undefined;
  }

  /** Lookups still out (tests and shutdown wait for them). */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending.values()]);
  }

  get inFlight(): number {
    return this.#pending.size;
  }

  #start(address: string): void {
    if (this.#pending.has(address) || this.#pending.size >= this.#o.maxInFlight) return;
    this.lookups++;
    // Latency is measured on the monotonic clock: c-ares reports a server that never answers
    // as ENOTFOUND, so "no name" that took the whole timeout is a failing resolver.
    const t0 = process.hrtime.bigint();
    const timedOut = (): boolean => Number(process.hrtime.bigint() - t0) / 1e6 >= 0.9 * this.#o.timeoutMs;
    const p = this.#resolver.reverse(address)
      .then((names) => this.#store(address, hostName(names[0])))
      .catch((err: NodeJS.ErrnoException) => {
        if (NO_NAME.has(err.code ?? '') && !timedOut()) return this.#store(address, null);
        this.#failed(address, err.code === 'ENOTFOUND' ? 'ETIMEOUT' : err.code);
      })
      .finally(() => this.#pending.delete(address));
    this.#pending.set(address, p);
  }

  #store(address: string, name: string | null): void {
    this.#cache.set(address, { name, at: this.#clock.now() });
  }

  #failed(address: string, code: string | undefined): void {
    this.#failures++;
    const now = this.#clock.now();
    const before = this.#cache.get(address);
    this.#cache.set(address, { name: before?.name ?? null, at: now, failed: true });
    if (now - this.#lastWarned < 60_000) return;
    this.#lastWarned = now;
    this.#log.warn({ event: 'reverse_dns_failing', code: code ?? 'EUNKNOWN', failures: this.#failures,
      fix: 'check behavior.reverseDns.servers; until it answers, addresses stand for devices' }, 'reverse DNS lookups are failing');
  }
}

/** "WS-LON-1001.corp.example." → "ws-lon-1001": the name a computer account carries too. */
function hostName(fqdn: string | undefined): string | null {
  if (!fqdn) return null;
  const first = fqdn.replace(/\.$/, '').split('.')[0]!.toLowerCase();
  return /^[a-z0-9][a-z0-9-]{0,62}$/.test(first) ? first : null;
}
