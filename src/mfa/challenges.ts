/**
 * Bookkeeping shared by every challenge: binds of one login (same account, endpoint and app)
 * share one pending challenge, so an app that binds twice or opens several connections
 * prompts once; a passed challenge is remembered for a while; and each account gets a
 * bounded number of prompts per window (push-bombing guard).
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../util/clock.js';
import type { ChallengeOutcome } from './outcome.js';

/** What a running challenge tells about itself, so another node can take it over (fleet/). */
export interface ChallengeProgress {
  /** The push is on the phone: another node can poll it to its end. */
  pushStarted(pollHref: string, cancelHref: string | undefined): void;
}

export type StartChallenge = (abandoned: AbortSignal, progress?: ChallengeProgress) => Promise<ChallengeOutcome>;
/** Polls a push another node started, to its end (that node died while it was pending). */
export type ResumeChallenge = (pollHref: string, deadline: number, abandoned: AbortSignal) => Promise<ChallengeOutcome>;

/** A pass another node saw counts like one seen here: within `forMs`, and (a quarantine began) not before `notBefore`. */
export interface RememberedPass {
  forMs: number;
  notBefore?: number | undefined;
}

/**
 * Runs each login's challenge once across several nodes (fleet/challenges.ts): here when this
 * node gets it, else waiting for the node that has it; taking it over when that node dies.
 */
export interface ChallengeCoordinator {
  run(c: { key: string; id: string; deadline: number; abandoned: AbortSignal; start: StartChallenge; resume?: ResumeChallenge; remember?: RememberedPass }): Promise<ChallengeOutcome>;
}

export interface ChallengesOptions {
  /** How long a passed challenge lets the same login through without a new prompt. */
  rememberMs: number;
  /** Prompts per account per window, at most. */
  maxPrompts: number;
  promptWindowMs: number;
  /** Prompts per source address per window, at most (so one source cannot exhaust Okta's rate limit); 0: no limit. */
  maxPromptsPerSource?: number;
}

export class Challenges {
  #o: ChallengesOptions;
  readonly #clock: Clock;
  readonly #pending = new Map<string, { outcome: Promise<ChallengeOutcome>; waiters: Waiters }>();
  /** Login key → when its challenge was passed (in time order). */
  readonly #passed = new Map<string, number>();
  readonly #prompts = new Map<string, number[]>();
  readonly #sourcePrompts = new Map<string, number[]>();
  /** Fleet mode: challenges are run once across the nodes. */
  coordinator: ChallengeCoordinator | undefined;

  constructor(o: ChallengesOptions, clock: Clock) {
    this.#o = o;
    this.#clock = clock;
  }

  /** New limits (a config reload); passes already remembered are judged by the new rememberMs. */
  setOptions(o: ChallengesOptions): void {
    this.#o = { ...o };
  }

  static key(account: string, endpoint: string, app: string): string {
    return `${account}\u0000${endpoint}\u0000${app}`;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** A pass remembered for the key; with `notBefore`, only one made since then (a quarantine began: what came before says nothing now). */
  rememberedPass(key: string, notBefore?: number): boolean {
    const at = this.#passed.get(key);
    if (at === undefined) return false;
    if (this.#clock.now() < at + this.#o.rememberMs) return notBefore === undefined || at >= notBefore;
    this.#passed.delete(key);
    return false;
  }

  /** Drops every remembered pass of an account (a response's revokeRemembered): its next bind is asked again. */
  forget(account: string): number {
    let n = 0;
    const prefix = `${account}\u0000`;
    for (const k of this.#passed.keys()) {
      if (k.startsWith(prefix)) {
        this.#passed.delete(k);
        n++;
      }
    }
    return n;
  }

  #remember(key: string): void {
    const now = this.#clock.now();
    // Passes are kept in time order; expired ones are dropped from the front as new ones come.
    this.#passed.delete(key);
    this.#passed.set(key, now);
    for (const [k, at] of this.#passed) {
      if (at + this.#o.rememberMs > now) break;
      this.#passed.delete(k);
    }
  }

  pending(key: string): boolean {
    return this.#pending.has(key);
  }

  /** Counts a prompt; false when the account has had its share in this window. */
  allowPrompt(account: string): boolean {
    return this.#count(this.#prompts, account, this.#o.maxPrompts);
  }

  /** Counts a prompt for a source address; false when it has had its share in this window. */
  allowSourcePrompt(source: string): boolean {
    const max = this.#o.maxPromptsPerSource ?? 0;
    return max <= 0 || this.#count(this.#sourcePrompts, source, max);
  }

  #count(table: Map<string, number[]>, key: string, max: number): boolean {
    const now = this.#clock.now();
    const recent = (table.get(key) ?? []).filter((t) => t > now - this.#o.promptWindowMs);
    if (recent.length >= max) {
      table.set(key, recent);
      return false;
    }
    recent.push(now);
    table.set(key, recent);
    // Bounded: forget keys whose prompts are all outside the window once the table is large.
    if (table.size > 50_000) for (const [k, times] of table) if (times.every((t) => t <= now - this.#o.promptWindowMs)) table.delete(k);
    return true;
  }

  /**
   * Runs `start` once for the key; concurrent callers get the same outcome. The challenge is
   * abandoned (the signal `start` gets aborts) only when every caller's client has gone.
   */
  share(key: string, signal: AbortSignal, start: StartChallenge, fleet?: { deadline: number; resume?: ResumeChallenge; fresh?: boolean; notBefore?: number | undefined }): Promise<ChallengeOutcome> {
    const existing = this.#pending.get(key);
    if (existing) {
      existing.waiters.add(signal);
      return existing.outcome;
    }
    const waiters = new Waiters();
    waiters.add(signal);
    const id = randomUUID();
    const abandoned = waiters.abort.signal;
    const run = this.coordinator && fleet
      ? this.coordinator.run({
        key, id, deadline: fleet.deadline, abandoned, start, ...(fleet.resume ? { resume: fleet.resume } : {}),
        // A rule that wants a fresh prompt takes no remembered pass, from here or elsewhere.
        ...(!fleet.fresh && this.#o.rememberMs > 0 ? { remember: { forMs: this.#o.rememberMs, notBefore: fleet.notBefore } } : {}),
      })
      : start(abandoned);
    const outcome = run.then((o) => {
      if (o.result === 'passed' && this.#o.rememberMs > 0) this.#remember(key);
      // Every bind that shared it gets the same id: one incident per challenge.
      return o.challengeId ? o : { ...o, challengeId: id };
    }).finally(() => this.#pending.delete(key));
    this.#pending.set(key, { outcome, waiters });
    return outcome;
  }
}

/** The clients waiting on one shared challenge. */
class Waiters {
  readonly abort = new AbortController();
  #count = 0;

  add(signal: AbortSignal): void {
    this.#count++;
    const leave = (): void => {
      if (--this.#count === 0) this.abort.abort();
    };
    if (signal.aborted) leave();
    else signal.addEventListener('abort', leave, { once: true });
  }
}
