/**
 * The threat pool and smart lockout, replayed over a simulation as enforce mode would run
 * them in front of a directory that locks accounts (AD's lockoutThreshold with its 30-minute
 * observation window; a success resets the count): per attack type, how many attacker binds
 * reached the directory, how many accounts the directory would have locked — with bindwall in
 * front and without it — and how many legitimate binds the pool or lockout refused or slowed.
 */
import type { Assessment } from '../behavior/engine.js';
import { isRelayingRole } from '../behavior/endpoint-role.js';
import type { LogonEvent } from '../behavior/logon-event.js';
import type { BehaviorEngine } from '../behavior/engine.js';
import { SmartLockout, viaBucket, type Bucket } from '../threat/lockout.js';
import { derivedThreshold } from '../threat/lockout-threshold.js';
import { ThreatPool } from '../threat/pool.js';
import { ManualClock } from '../util/clock.js';

export interface ThreatReplayReport {
  /** The directory's own lockout threshold assumed, and smart lockout's threshold derived from it. */
  directoryThreshold: number;
  proxyThreshold: number;
  byType: { type: string; events: number; reachedDirectory: number; lockedWithBindwall: number; lockedWithout: number }[];
  benign: {
    binds: number; refusedByPool: number; refusedByLockout: number;
    /** Of those refused by smart lockout: on an account an attack had targeted within the hour (Entra's trade: the owner at an unfamiliar device waits). */
    refusedUnderAttack: number;
    answeredAsRetry: number; slowed: number; lockedWithBindwall: number; lockedWithout: number;
  };
}

const WINDOW_MS = 30 * 60_000;

/** The directory's failure counter per account (reset by a success or after the window). */
class DirectoryCounter {
  readonly #n: number;
  readonly #counts = new Map<string, { n: number; since: number }>();
  readonly locked = new Map<string, string>();

  constructor(threshold: number) {
    this.#n = threshold;
  }

  /** One bind the directory saw; `by`: the campaign type or "benign". */
  saw(account: string, time: number, failed: boolean, by: string): void {
    if (!failed) {
      this.#counts.delete(account);
      return;
    }
    let c = this.#counts.get(account);
    if (!c || time - c.since > WINDOW_MS) this.#counts.set(account, (c = { n: 0, since: time }));
    if (++c.n >= this.#n && !this.locked.has(account)) this.locked.set(account, by);
  }
}

export class ThreatReplay {
  readonly #clock = new ManualClock(0);
  readonly #pool: ThreatPool;
  readonly #lockout: SmartLockout;
  readonly #with: DirectoryCounter;
  readonly #without: DirectoryCounter;
  readonly #directoryThreshold: number;
  readonly #byType = new Map<string, { events: number; reachedDirectory: number }>();
  readonly #benign = { binds: 0, refusedByPool: 0, refusedByLockout: 0, refusedUnderAttack: 0, answeredAsRetry: 0, slowed: 0 };
  /** When an attack last targeted each account. */
  readonly #attacked = new Map<string, number>();
  #guess = 0;

  constructor(directoryThreshold = 5) {
    this.#directoryThreshold = directoryThreshold;
    this.#pool = new ThreatPool({ mode: 'enforce' }, this.#clock);
    this.#lockout = new SmartLockout({ threshold: derivedThreshold(directoryThreshold), budget: directoryThreshold - 1 }, this.#clock);
    this.#with = new DirectoryCounter(directoryThreshold);
    this.#without = new DirectoryCounter(directoryThreshold);
  }

  /**
   * One bind, before the engine learns it. `attackType` is set for a campaign's events;
   * `measured` is false in the warm-up (state is built, nothing counted).
   */
  step(ev: LogonEvent, a: Assessment, engine: BehaviorEngine, o: { attackType?: string; password?: string; measured: boolean }): void {
    if (ev.time > this.#clock.now()) this.#clock.advance(ev.time - this.#clock.now());
    const failed = ev.result === 'bad_password';
    const by = o.attackType ?? 'benign';
    const t = o.attackType ? this.#type(o.attackType) : undefined;
    if (t) this.#attacked.set(ev.account, ev.time);
    if (o.measured) {
      if (t) t.events++;
      else this.#benign.binds++;
      this.#without.saw(ev.account, ev.time, failed, by);
    }
    // As the proxy tells them (behavior/service.ts relays, lockoutKey).
    const relays = engine.relays(ev.endpoint, ev.declaredRole) || ev.relayed === true;
    const bucket: Bucket = relays ? viaBucket(ev.endpoint) : engine.knowsDevice(ev.account, ev.endpoint, ev.time, ev.endpointName) ? 'familiar' : 'unfamiliar';
    const tag = o.password !== undefined ? `${ev.account}:${o.password}` : `guess-${this.#guess++}`;
    const verdict = this.#pool.verdict(ev.endpoint, relays);
    const account = ev.bindName.trim().toLowerCase();
    if (verdict.action === 'block') {
      this.#pool.observe({ time: ev.time, address: ev.endpoint, account, failed: true, blocked: true });
      if (o.measured && !t) this.#benign.refusedByPool++;
      return;
    }
    if (this.#lockout.lockedUntil(ev.account, bucket) > 0) {
      this.#pool.observe({ time: ev.time, address: ev.endpoint, account, failed: true });
      if (o.measured && !t) {
        this.#benign.refusedByLockout++;
        if (ev.time - (this.#attacked.get(ev.account) ?? -Infinity) < 3_600_000) this.#benign.refusedUnderAttack++;
      }
      return;
    }
    if (failed && this.#lockout.repeated(ev.account, bucket, tag)) {
      if (o.measured && !t) this.#benign.answeredAsRetry++;
      return;
    }
    if (verdict.action === 'slow' && o.measured && !t) this.#benign.slowed++;
    // It reaches the directory.
    if (o.measured) {
      if (t) t.reachedDirectory++;
      this.#with.saw(ev.account, ev.time, failed, by);
    }
    if (failed) this.#lockout.failed(ev.account, bucket, tag);
    else if (ev.result === 'success') this.#lockout.succeeded(ev.account, bucket);
    if (ev.result === 'success' || failed) {
      this.#pool.observe({
        time: ev.time, address: ev.endpoint, account, failed,
        relaying: relays || (a.endpointRole !== undefined && isRelayingRole(a.endpointRole)),
        sprayingPoints: a.signals.find((s) => s.code === 'spraying_source')?.points ?? 0,
      });
    }
  }

  #type(type: string): { events: number; reachedDirectory: number } {
    let t = this.#byType.get(type);
    if (!t) this.#byType.set(type, (t = { events: 0, reachedDirectory: 0 }));
    return t;
  }

  report(): ThreatReplayReport {
    const lockedBy = (c: DirectoryCounter, by: string): number => [...c.locked.values()].filter((x) => x === by).length;
    return {
      directoryThreshold: this.#directoryThreshold, proxyThreshold: derivedThreshold(this.#directoryThreshold),
      byType: [...this.#byType].map(([type, t]) => ({ type, ...t, lockedWithBindwall: lockedBy(this.#with, type), lockedWithout: lockedBy(this.#without, type) })),
      benign: { ...this.#benign, lockedWithBindwall: lockedBy(this.#with, 'benign'), lockedWithout: lockedBy(this.#without, 'benign') },
    };
  }
}

export function formatThreatReplay(r: ThreatReplayReport): string {
  const lines = [`threat pool and smart lockout in enforce mode (the directory locks after ${r.directoryThreshold} in 30 minutes; smart lockout after ${r.proxyThreshold} per bucket):`];
  lines.push(`  ${'attack type'.padEnd(26)}${'binds'.padStart(7)}${'reached directory'.padStart(19)}${'accounts locked: with bindwall'.padStart(32)}${'without'.padStart(9)}`);
  for (const t of r.byType) {
    lines.push(`  ${t.type.padEnd(26)}${String(t.events).padStart(7)}${`${t.reachedDirectory} (${t.events ? Math.round((100 * t.reachedDirectory) / t.events) : 0}%)`.padStart(19)}${String(t.lockedWithBindwall).padStart(32)}${String(t.lockedWithout).padStart(9)}`);
  }
  const b = r.benign;
  lines.push(`  legitimate binds: ${b.binds}; refused by the pool ${b.refusedByPool} (target 0); by smart lockout ${b.refusedByLockout}, ${b.refusedUnderAttack} of them on accounts attacked within the hour; a stale password answered by bindwall ${b.answeredAsRetry}; slowed ${b.slowed}`);
  lines.push(`  accounts the directory would lock through legitimate failures: ${b.lockedWithBindwall} with bindwall, ${b.lockedWithout} without`);
  return lines.join('\n');
}
