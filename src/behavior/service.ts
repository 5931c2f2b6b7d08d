/**
 * Behaviour inside the proxy: scores a successful bind before the decision (so policy can
 * use the score and reasons), learns from every bind event afterwards, and persists events
 * and baselines write-behind. node-cron runs the upkeep (retention, WAL checkpoint).
 */
import cron, { type ScheduledTask } from 'node-cron';
import { BindwallError, describeError, ErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { BindEvent, ConnectionContext } from '../proxy/bind-event.js';
import type { BindAttempt } from '../proxy/decision.js';
import type { BehaviorStore, StoredEvent, ThreatNote } from '../store/behavior-store.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { DAY_MS } from './decay.js';
import { viaBucket, type Bucket } from '../threat/lockout.js';
import type { Assessment, BehaviorEngine } from './engine.js';
import { canonicalAccount, relayedVia, type EventMapper, type LogonEvent } from './logon-event.js';
import type { DirectoryFacts, UserFacts } from '../directory/facts.js';

export interface BehaviorServiceOptions {
  engine: BehaviorEngine;
  mapper: EventMapper;
  store?: BehaviorStore;
  /** Directory facts (groups, department, …) when a lookup account is configured. */
  facts?: DirectoryFacts;
  /** directory.lookup.onFailure (default secure). */
  factsOnFailure?: 'secure' | 'facts-optional';
  clock: Clock;
  log: Logger;
  /** How often queued events and a slice of changed baselines are written. */
  flushIntervalMs?: number;
  /** Changed baselines written per tick, at most (bounds the time one tick takes). */
  baselinesPerTick?: number;
  eventRetentionMs?: number;
  /** Events kept at most; checked about once a minute. */
  maxStoredEvents?: number;
  /** Cron expression for the daily upkeep (retention, checkpoint); none disables it. */
  upkeepCron?: string | null;
}

export class BehaviorService {
  readonly engine: BehaviorEngine;
  readonly #o: Required<Omit<BehaviorServiceOptions, 'store' | 'facts' | 'factsOnFailure'>> & { store?: BehaviorStore; facts?: DirectoryFacts; factsOnFailure: 'secure' | 'facts-optional' };
  #queue: StoredEvent[] = [];
  /** Facts objects already queued for storage (the cache hands out the same object until it refreshes). */
  #factsSeen = new WeakSet<UserFacts>();
  #factsQueue: { account: string; facts: UserFacts }[] = [];
  #timer: TimerHandle | null = null;
  #ticks = 0;
  #upkeep: ScheduledTask | null = null;

  /** Has the identity behind this bind name logged on from the device at this address (smart lockout's familiar bucket)? */
  knowsDevice(bindName: string, address: string): boolean {
    return this.engine.knowsDevice(this.identityOf(bindName), address, this.#o.clock.now(), this.#o.mapper.nameOf(address));
  }

  /**
   * Smart lockout's identity and bucket for a bind: an app server or pool binding for its
   * users is its own bucket (via ADDRESS); otherwise the identity's own device (familiar) or
   * not (unfamiliar).
   */
  lockoutKey(bindName: string, address: string, connection?: ConnectionContext): { identity: string; bucket: Bucket } {
    const identity = this.identityOf(bindName);
    if (this.relays(address, bindName, connection)) return { identity, bucket: viaBucket(address) };
    const known = this.engine.knowsDevice(identity, address, this.#o.clock.now(), this.#o.mapper.nameOf(address));
    return { identity, bucket: known ? 'familiar' : 'unfamiliar' };
  }

  /**
   * Does this bind come through something that binds for many people — an app server or pool
   * (declared or learned), or a connection that bound as a service account and searched first?
   */
  relays(address: string, bindName: string, connection?: ConnectionContext): boolean {
    return this.engine.relays(address, this.#o.mapper.declaredRole(address)) || relayedVia(() => canonicalAccount(bindName), connection).relayed;
  }

  /** The identity behind a bind name: the directory's login name when its facts are cached, else the name inside the bind name. */
  identityOf(bindName: string): string {
    const account = canonicalAccount(bindName);
    return this.#o.facts?.cached(account)?.login ?? account;
  }

  /** Directory facts, when a lookup account is configured. */
  get facts(): DirectoryFacts | undefined {
    return this.#o.facts;
  }

  /** How binds map to logon events here (with the device names behaviour knows). */
  get mapper(): EventMapper {
    return this.#o.mapper;
  }

  constructor(opts: BehaviorServiceOptions) {
    this.engine = opts.engine;
    // Every half second: the queued events, and a bounded slice of changed baselines (a
    // flush of thousands at once would stall the event loop for most of a second).
    this.#o = { flushIntervalMs: 500, baselinesPerTick: 200, eventRetentionMs: 90 * DAY_MS, maxStoredEvents: 5_000_000, upkeepCron: '17 3 * * *', factsOnFailure: 'secure', ...opts };
    if (opts.store) {
      this.#timer = this.#o.clock.setTimer(this.#o.flushIntervalMs, this.#tick);
      if (this.#o.upkeepCron) this.#upkeep = cron.schedule(this.#o.upkeepCron, () => this.upkeep(), { name: 'bindwall-upkeep', noOverlap: true });
    }
  }

  /**
   * Scores a bind the directory accepted, before the decision. With directory facts
   * configured, the first bind of a user waits for the lookup (bounded); later ones use
   * the cache. The facts are handed on to the decision with the attempt.
   */
  assessAttempt(attempt: BindAttempt): Assessment | Promise<Assessment> {
    const facts = this.#o.facts;
    const okta = this.cloudFacts?.(this.identityOf(attempt.bindDn));
    if (okta) attempt.okta = okta;
    if (!facts) return this.engine.assess((attempt.logon = this.#o.mapper.fromAttempt(attempt)));
    const account = canonicalAccount(attempt.bindDn);
    const cached = facts.cached(account);
    const finish = (f: UserFacts | null): Assessment => {
      if (f) attempt.facts = f;
      return this.engine.assess((attempt.logon = this.#o.mapper.fromAttempt(attempt, f)));
    };
    if (cached !== undefined) return finish(cached);
    return facts.lookup(account, attempt.bindDn).then(({ facts: f, error }) => {
      // Nothing known and the lookup failing: whether the account is privileged (or in a
      // group a rule names) cannot be told, so by default the bind is refused, loudly.
      if (error && !f && this.#o.factsOnFailure === 'secure') {
        throw new BindwallError(ErrorCode.FactsUnavailable, `no directory facts for ${account}: ${error.message}`, { cause: error.code });
      }
      return finish(f);
    });
  }

  /** Told of each sign-in recorded from elsewhere (a connector), not of remote ones: the fleet shares them. */
  onLogonRecorded: ((logon: LogonEvent, outcome: string) => void) | undefined;

  /** What Okta says of an identity (the SSO connector's cache, connectors/setup.ts), handed to decisions. */
  cloudFacts: ((account: string) => { status: string; factors: readonly string[]; apps: readonly string[] } | undefined) | undefined;

  /** Told, before learning, of a successful sign-in with something new to a mature identity (UserInsight); must not throw. */
  onNovelty: ((logon: LogonEvent, novelty: { device?: string; app?: string }) => void) | undefined;

  #tellNovelty(logon: LogonEvent): void {
    if (!this.onNovelty) return;
    const n = this.engine.novelty(logon);
    if (!n) return;
    try {
      this.onNovelty(logon, n);
    } catch (err) {
      this.#o.log.error({ event: 'novelty_observer_failed', error: describeError(err) }, 'telling UserInsight of a new device failed');
    }
  }

  /**
   * Learns from one bind event (every attempt but anonymous ones) and queues it for storage.
   * `remote`: another fleet node's bind, whose node told the person of anything new already.
   */
  record(ev: BindEvent, remote = false): Assessment | undefined {
    if (ev.method === 'anonymous' || ev.bindDn === '') return undefined;
    const facts = this.#o.facts?.cached(canonicalAccount(ev.bindDn));
    const logon = this.#o.mapper.fromBind(ev, facts);
    const assessment = ev.assessment ?? this.engine.assess(logon);
    if (!remote && (ev.outcome === 'approved' || ev.outcome === 'demoted' || ev.outcome === 'challenge_passed')) this.#tellNovelty(logon);
    this.engine.learn(logon, assessment);
    if (ev.outcome === 'challenge_passed') this.engine.confirm(logon);
    if (this.#o.store) {
      const note = threatNoteOf(ev);
      this.#queue.push({
        logon, assessment, outcome: ev.outcome, listener: ev.listener, tls: ev.tls,
        ...(ev.action ? { decision: { action: ev.action, ...(ev.ruleId ? { ruleId: ev.ruleId } : {}), ...(ev.policyHash ? { policyHash: ev.policyHash } : {}), ...(ev.audit ? { audit: ev.audit } : {}) } } : {}),
        ...(note ? { threat: note } : {}),
      });
      if (facts && !this.#factsSeen.has(facts)) {
        this.#factsSeen.add(facts);
        this.#factsQueue.push({ account: logon.account, facts });
      }
    }
    return assessment;
  }

  /**
   * Learns from a sign-in seen elsewhere (a connector: Okta's System Log) and queues it for
   * storage: the same identity as the person's binds (the directory's login when its facts are
   * cached), scored by the same signals, one baseline for on-prem and cloud.
   */
  recordLogon(logon: LogonEvent, outcome = logon.result === 'success' ? 'cloud_success' : 'cloud_failure', remote = false): Assessment {
    if (!remote) this.onLogonRecorded?.(logon, outcome);
    const facts = this.#o.facts?.cached(logon.account);
    const ev: LogonEvent = facts?.login ? { ...logon, account: facts.login } : logon;
    const assessment = this.engine.assess(ev);
    if (!remote && ev.result === 'success') this.#tellNovelty(ev);
    this.engine.learn(ev, assessment);
    if (this.#o.store) this.#queue.push({ logon: ev, assessment, outcome, listener: ev.source ?? 'external' });
    return assessment;
  }

  readonly #tick = (): void => {
    try {
      this.flush(this.#o.baselinesPerTick);
      if (++this.#ticks % Math.max(1, Math.round(60_000 / this.#o.flushIntervalMs)) === 0) {
        const removed = this.#o.store?.capEvents(this.#o.maxStoredEvents) ?? 0;
        if (removed > 0) this.#o.log.warn({ event: 'events_capped', removed, maxStoredEvents: this.#o.maxStoredEvents }, 'oldest logon events removed to stay within behavior.maxStoredEvents');
      }
    } catch (err) {
      this.#o.log.error({ event: 'storage_error', error: describeError(err) }, 'writing behaviour data failed; will retry');
    }
    if (this.#timer) this.#timer = this.#o.clock.setTimer(this.#o.flushIntervalMs, this.#tick);
  };

  /** Writes queued events and up to `baselineLimit` changed baselines of each kind. */
  flush(baselineLimit = Infinity): void {
    const store = this.#o.store;
    if (!store) return;
    const events = this.#queue;
    this.#queue = [];
    const facts = this.#factsQueue;
    this.#factsQueue = [];
    const dirty = this.engine.takeDirty(baselineLimit);
    if (events.length === 0 && facts.length === 0 && dirty.accounts.length === 0 && dirty.endpoints.length === 0 && dirty.peers.length === 0) return;
    store.write(events, dirty, dirty.risks, this.#o.clock.now(), facts);
  }

  upkeep(): void {
    const store = this.#o.store;
    if (!store) return;
    try {
      const before = this.#o.clock.now() - this.#o.eventRetentionMs;
      const removed = store.pruneEvents(before) + store.capEvents(this.#o.maxStoredEvents);
      const endpoints = store.pruneEndpoints(before);
      const neverLoggedOn = store.pruneNeverLoggedOn();
      store.checkpoint();
      this.#o.log.info({ event: 'upkeep', removedEvents: removed, removedEndpoints: endpoints, removedNeverLoggedOn: neverLoggedOn }, 'behaviour upkeep done');
    } catch (err) {
      this.#o.log.error({ event: 'upkeep_error', error: describeError(err) }, 'behaviour upkeep failed');
    }
  }

  /** Writes everything and stops the timers. */
  close(): void {
    this.#timer?.cancel();
    this.#timer = null;
    void this.#upkeep?.destroy();
    this.#upkeep = null;
    this.#o.facts?.close();
    this.flush();
  }
}

/** What the threat pool and smart lockout said of a bind, for storage (undefined: nothing). */
function threatNoteOf(ev: BindEvent): ThreatNote | undefined {
  if (!ev.threat && !ev.lockout && !ev.repeatedPassword && !ev.honeytoken) return undefined;
  return {
    ...(ev.threat ? { pool: { level: ev.threat.level, action: ev.threat.action, enforced: ev.threat.enforced } } : {}),
    ...(ev.lockout ? { lockout: { bucket: ev.lockout.bucket, enforced: ev.lockout.enforced } } : {}),
    ...(ev.repeatedPassword ? { repeatedPassword: true as const } : {}),
    ...(ev.honeytoken ? { honeytoken: true as const } : {}),
  };
}
