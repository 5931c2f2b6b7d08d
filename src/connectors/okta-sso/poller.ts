/**
 * The Okta SSO connector's poller: Okta's System Log with its polling semantics
 * (`../shared/okta-api.md` §5) — one `since` query the first time, then always the `next`
 * link Okta returns (present even on an empty page), saved after each page with the ids of
 * its events, so a restart resumes with no gap and no duplicate. It stays under half the
 * rate-limit bucket (Okta's advice for one token), waits out a 429 until its reset, backs off
 * on errors, and says what is wrong in words a person can act on.
 */
import { BindwallError, describeError, ErrorCode } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import type { LogPage } from '../../okta/client.js';
import type { ConnectorStore } from '../../store/connector-store.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { HealthState, type ConnectorHealth } from '../health.js';
import type { OktaLogEvent } from './mapping.js';

export interface LogSource {
  readonly orgUrl: string;
  logPage(url: string, deadline: number): Promise<LogPage>;
}

export interface PollerOptions {
  name: string;
  source: LogSource;
  store: ConnectorStore;
  clock: Clock;
  log: Logger;
  /** Each new event, in order (the behaviour engine learns it). */
  onEvent: (e: OktaLogEvent) => void;
  pollIntervalMs: number;
  lookbackMs: number;
  pageLimit: number;
  maxPagesPerPoll: number;
  requestTimeoutMs: number;
  staleAfterMs: number;
}

/** Longest wait between polls after repeated errors. */
const MAX_BACKOFF_MS = 15 * 60_000;

export class OktaLogPoller {
  readonly #o: PollerOptions;
  #health: ConnectorHealth;
  #running = false;
  #timer: TimerHandle | undefined;
  #stopped = false;
  /** No request before this (a rate-limit window's reset, or a backoff). */
  #notBefore = 0;
  #failures = 0;

  constructor(o: PollerOptions) {
    this.#o = o;
    this.#health = { name: o.name, state: HealthState.Starting, events: 0, updated: o.clock.now() };
    const prior = o.store.health().find((h) => h.name === o.name);
    if (prior) this.#health = { ...this.#health, events: prior.events, ...(prior.lastSuccess ? { lastSuccess: prior.lastSuccess } : {}), ...(prior.lastEvent ? { lastEvent: prior.lastEvent } : {}) };
  }

  get health(): ConnectorHealth {
    return this.#health;
  }

  /** Polls now, then every pollIntervalMs (longer while backing off), until stop(). */
  start(): void {
    this.#stopped = false;
    const loop = (): void => {
      void this.poll().finally(() => {
        if (this.#stopped) return;
        this.#timer = this.#o.clock.setTimer(Math.max(this.#o.pollIntervalMs, this.#notBefore - this.#o.clock.now()), loop);
      });
    };
    loop();
  }

  /** For a schedule run elsewhere (node-cron): stop() only records the state. */
  markStopped(): void {
    this.#stopped = true;
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#setHealth(HealthState.Stopped, 'stopped with bindwall');
  }

  /** One poll: pages until caught up (an empty page), maxPagesPerPoll, or half the bucket is used. */
  async poll(): Promise<void> {
    if (this.#running || this.#o.clock.now() < this.#notBefore) return;
    this.#running = true;
    const o = this.#o;
    const origin = new URL(o.source.orgUrl).origin;
    let rejected = 0;
    try {
      let url = o.store.cursor(o.name, origin) ?? this.#firstQuery();
      for (let page = 0; page < o.maxPagesPerPoll; page++) {
        const p = await o.source.logPage(url, o.clock.now() + o.requestTimeoutMs);
        const events = p.events.filter(isLogEvent);
        rejected += p.events.length - events.length;
        const fresh = this.#takeIn(events);
        const now = o.clock.now();
        const newest = events.reduce((t, e) => Math.max(t, Date.parse(e.published) || 0), this.#health.lastEvent ?? 0);
        this.#failures = 0;
        this.#health = { ...this.#health, events: this.#health.events + fresh.length, lastSuccess: now, ...(newest > 0 ? { lastEvent: newest } : {}) };
        this.#setHealth(HealthState.Ok, undefined, undefined, false);
        // Polling: the next link is always there; without one the query was bounded and is done.
        const next = p.next ?? url;
        o.store.savePage(o.name, origin, next, fresh.map((e) => ({ uuid: e.uuid, time: Date.parse(e.published) || now })), this.#health);
        url = next;
        if (p.rateLimit && p.rateLimit.remaining <= p.rateLimit.limit / 2) {
          // Half the bucket is ours at most: the rest is for everyone else using this token's org.
          this.#notBefore = p.rateLimit.resetMs;
          if (events.length > 0) this.#setHealth(HealthState.Degraded, `behind: pausing until the rate-limit window resets (half of ${p.rateLimit.limit} requests a minute is bindwall's)`, ErrorCode.OktaRateLimited);
          break;
        }
        if (events.length === 0 || !p.next) break;
      }
      if (rejected > 0) {
        o.log.warn({ event: 'connector_events_rejected', connector: o.name, rejected }, `connector ${o.name}: ${rejected} events from Okta could not be read (no uuid, published or eventType); skipped`);
        this.#setHealth(HealthState.Degraded, `${rejected} events Okta sent could not be read (no uuid, published or eventType) and were skipped`, ErrorCode.OktaProtocol);
      }
    } catch (err) {
      this.#failed(err);
    } finally {
      this.#running = false;
    }
  }

  /**
   * Events delivered another way (an event hook's batch): taken in once, whichever way they
   * arrive first; polling, the source of truth, skips them later. Returns how many were new.
   */
  receive(batch: readonly unknown[]): number {
    const o = this.#o;
    const fresh = this.#takeIn(batch.filter(isLogEvent));
    const now = o.clock.now();
    o.store.markSeen(o.name, fresh.map((e) => ({ uuid: e.uuid, time: Date.parse(e.published) || now })));
    this.#health = { ...this.#health, events: this.#health.events + fresh.length };
    return fresh.length;
  }

  /** The events not taken in before, each handed on (one that fails is said and skipped); returns them. */
  #takeIn(events: readonly OktaLogEvent[]): OktaLogEvent[] {
    const o = this.#o;
    const known = o.store.seen(o.name, events.map((e) => e.uuid));
    const fresh = events.filter((e) => !known.has(e.uuid));
    for (const e of fresh) {
      try {
        o.onEvent(e);
      } catch (err) {
        o.log.error({ event: 'connector_event_failed', connector: o.name, uuid: e.uuid, error: describeError(err) }, 'an Okta event could not be taken in; skipped');
      }
    }
    return fresh;
  }

  #firstQuery(): string {
    const o = this.#o;
    const since = new Date(o.clock.now() - o.lookbackMs).toISOString();
    return `${o.source.orgUrl}/api/v1/logs?since=${encodeURIComponent(since)}&sortOrder=ASCENDING&limit=${o.pageLimit}`;
  }

  #failed(err: unknown): void {
    const o = this.#o;
    const e = err instanceof BindwallError ? err : new BindwallError(ErrorCode.OktaUnavailable, describeError(err).message);
    this.#failures++;
    const now = o.clock.now();
    // Backing off: each failure in a row doubles the wait before the next request, up to 15 minutes.
    this.#notBefore = Math.max(this.#notBefore, now + Math.min(MAX_BACKOFF_MS, o.pollIntervalMs * 2 ** (this.#failures - 1)));
    const stale = now - (this.#health.lastSuccess ?? this.#health.updated) >= o.staleAfterMs;
    let state: HealthState;
    let reason: string;
    switch (e.code) {
      case ErrorCode.OktaAuth:
        state = HealthState.Failing;
        reason = e.details.scope ? `${e.message}: grant it to the service app` : `${e.message}: check connectors.oktaSso's API token (or the service app's okta.logs.read scope and admin role)`;
        break;
      case ErrorCode.OktaRateLimited: {
        const waitMs = typeof e.details.waitMs === 'number' ? e.details.waitMs : o.pollIntervalMs;
        this.#notBefore = Math.max(this.#notBefore, now + waitMs);
        state = stale ? HealthState.Failing : HealthState.Degraded;
        reason = `rate-limited by Okta; resuming in ${Math.ceil(waitMs / 1000)} s (another client may be using this token's share)`;
        break;
      }
      default:
        state = stale || this.#failures >= 5 ? HealthState.Failing : HealthState.Degraded;
        reason = `${e.message}: is ${o.source.orgUrl} reachable from here? (retrying with backoff)`;
    }
    this.#setHealth(state, reason, e.code);
  }

  #setHealth(state: HealthState, reason?: string, code?: string, save = true): void {
    const was = this.#health.state;
    const { reason: _r, code: _c, ...rest } = this.#health;
    this.#health = { ...rest, state, updated: this.#o.clock.now(), ...(reason ? { reason } : {}), ...(code ? { code } : {}) };
    if (save) {
      try {
        this.#o.store.saveHealth(this.#health);
      } catch (err) {
        this.#o.log.error({ event: 'storage_error', connector: this.#o.name, error: describeError(err) }, 'could not store the connector\'s health');
      }
    }
    if (was === state) return;
    const line = { event: 'connector_health', connector: this.#o.name, state, ...(reason ? { reason } : {}), ...(code ? { code } : {}) };
    const msg = `connector ${this.#o.name}: ${state}${reason ? ` — ${reason}` : ''}`;
    if (state === HealthState.Failing) this.#o.log.error(line, msg);
    else if (state === HealthState.Degraded) this.#o.log.warn(line, msg);
    else this.#o.log.info(line, msg);
  }
}

function isLogEvent(e: unknown): e is OktaLogEvent {
  const x = e as OktaLogEvent | null;
  return x !== null && typeof x === 'object' && typeof x.uuid === 'string' && typeof x.published === 'string' && typeof x.eventType === 'string';
}
