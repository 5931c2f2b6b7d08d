/**
 * Which accounts are quarantined. Policies read it on every bind (`quarantined: true`), so
 * it is an in-memory set, reloaded from storage periodically: the CLI or another process
 * may change the table while the proxy runs.
 */
import { canonicalAccount } from '../behavior/logon-event.js';
import type { Logger } from '../log/logger.js';
import { describeError } from '../errors.js';
import type { QuarantineRow, QuarantineStore } from '../store/quarantine-store.js';
import type { Clock, TimerHandle } from '../util/clock.js';

export interface QuarantineView {
  isQuarantined(account: string, now: number): boolean;
  /** How a quarantine in force ends: by an analyst only, or also by the person passing a step-up. */
  releaseOf(account: string, now: number): 'analyst' | 'verified' | undefined;
  /** When the quarantine in force began. */
  sinceOf(account: string, now: number): number | undefined;
}

interface InForce {
  since: number;
  until: number;
  releaseOn: 'analyst' | 'verified';
}

export class Quarantine implements QuarantineView {
  readonly #store: QuarantineStore | undefined;
  readonly #clock: Clock;
  readonly #log: Logger | undefined;
  #until = new Map<string, InForce>();
  #timer: TimerHandle | null = null;

  constructor(opts: { store?: QuarantineStore; clock: Clock; log?: Logger; refreshMs?: number }) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#log = opts.log;
    this.refresh();
    if (opts.store && opts.refreshMs) {
      const tick = (): void => {
        this.refresh();
        this.#timer = this.#clock.setTimer(opts.refreshMs!, tick);
      };
      this.#timer = this.#clock.setTimer(opts.refreshMs, tick);
    }
  }

  isQuarantined(account: string, now: number): boolean {
    const q = this.#until.get(account);
    return q !== undefined && now < q.until;
  }

  releaseOf(account: string, now: number): 'analyst' | 'verified' | undefined {
    const q = this.#until.get(account);
    return q !== undefined && now < q.until ? q.releaseOn : undefined;
  }

  sinceOf(account: string, now: number): number | undefined {
    const q = this.#until.get(account);
    return q !== undefined && now < q.until ? q.since : undefined;
  }

  /** The quarantine row in force for an account (with the incident that caused it). */
  get(accountOrDn: string): QuarantineRow | undefined {
    const account = canonicalAccount(accountOrDn);
    const row = this.#store?.get(account);
    return row && (row.until === null || row.until > this.#clock.now()) ? row : undefined;
  }

  /** Quarantines an account (any bind-name form) until `untilMs`, or until released. */
  add(accountOrDn: string, opts: { reason: string; source: string; untilMs?: number; releaseOn?: 'analyst' | 'verified'; incidentId?: number }): QuarantineRow {
    const row: QuarantineRow = {
      account: canonicalAccount(accountOrDn), since: this.#clock.now(), until: opts.untilMs ?? null, reason: opts.reason, source: opts.source,
      releaseOn: opts.releaseOn ?? 'analyst', incidentId: opts.incidentId ?? null,
    };
    this.#store?.put(row);
    this.#until.set(row.account, { since: row.since, until: row.until ?? Infinity, releaseOn: row.releaseOn! });
    return row;
  }

  release(accountOrDn: string): boolean {
    const account = canonicalAccount(accountOrDn);
    const had = this.#until.delete(account);
    return (this.#store?.remove(account, this.#clock.now()) ?? false) || had;
  }

  list(): QuarantineRow[] {
    return this.#store?.active(this.#clock.now()) ?? [];
  }

  refresh(): void {
    if (!this.#store) return;
    try {
      this.#until = new Map(this.#store.active(this.#clock.now()).map((r) => [r.account, { since: r.since, until: r.until ?? Infinity, releaseOn: r.releaseOn ?? 'analyst' }]));
    } catch (err) {
      // Keep the last known set: forgetting quarantines on a read error would fail open.
      this.#log?.error({ event: 'quarantine_refresh_failed', error: describeError(err) }, 'could not reload quarantined accounts; keeping the last known list');
    }
  }

  close(): void {
    this.#timer?.cancel();
    this.#timer = null;
  }
}
