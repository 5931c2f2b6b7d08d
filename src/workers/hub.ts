/**
 * The hub: the process that keeps bindwall's state — behaviour baselines, the threat pool,
 * smart lockout, the policy, challenges, incidents, quarantine — and answers its workers'
 * questions about binds from it. A user's binds on different workers therefore meet one
 * baseline, one lockout counter and one challenge; the workers only carry bytes.
 */
import type { Assessment } from '../behavior/engine.js';
import { BindwallError, describeError, ErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { BindEvent } from '../proxy/bind-event.js';
import type { BindAttempt, ChallengeDecision, Challenger, DecideFn } from '../proxy/decision.js';
import type { LockoutKey, ScreenInput } from '../proxy/guard.js';
import type { Proxy } from '../proxy/server.js';
import type { OracleAttempt, OracleKind } from '../threat/oracles.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { Channel, type Endpoint } from './channel.js';
import { Ask, assessmentToWire, decisionToWire, HubAttempt, Tell, type Decided, type WireAttempt } from './wire.js';

export interface HubParts {
  proxy: Proxy;
  /** Behaviour's scoring of an accepted bind (absent: behaviour is off). */
  assess?: (attempt: BindAttempt) => Assessment | Promise<Assessment>;
  decide: DecideFn;
  challenge: Challenger;
  onPasswordChanged?: (change: { bindName: string; address: string; listener: string }) => void;
  /** Smart lockout's tag key, so workers' tags match the hub's (absent: threat mode off everywhere). */
  tagKey?: Buffer;
  log: Logger;
  clock: Clock;
  /** How long a started challenge waits for its worker to ask for the outcome. */
  claimTimeoutMs: number;
}

interface Started {
  outcome: ReturnType<Challenger>;
  attempt: HubAttempt;
  timer: TimerHandle;
}

/** Scored binds awaiting their event (the assessment learning needs, kept here rather than sent back). */
const MAX_SCORED = 65_536;

export class Hub {
  readonly #p: HubParts;
  readonly #channels = new Map<number, Channel>();
  /** Challenges started by a Decide, until their worker asks for the outcome: `worker/ref`. */
  readonly #started = new Map<string, Started>();
  /** Full assessments of decided binds, by `worker/ref`, until the worker reports the bind's event. */
  readonly #scored = new Map<string, Assessment>();
  /** Each worker's open client connections, as it last said. */
  readonly #sessions = new Map<number, number>();

  constructor(parts: HubParts) {
    this.#p = parts;
  }

  /** Client connections open on all workers (each says so once a second). */
  get sessions(): number {
    let n = 0;
    for (const s of this.#sessions.values()) n += s;
    return n;
  }

  /** A worker's channel: its questions are answered from here. */
  attach(worker: number, endpoint: Endpoint, onReport?: (kind: string, body: unknown) => void): void {
    const ch = new Channel(endpoint, this.#p.clock);
    ch.serve((kind, body) => this.#question(worker, kind, body), (kind, body) => {
      this.#report(worker, kind, body);
      onReport?.(kind, body);
    });
    this.#channels.set(worker, ch);
  }

  /** The worker is gone: its challenges are abandoned (their clients went with it). */
  detach(worker: number): void {
    this.#channels.get(worker)?.close('the worker exited');
    this.#channels.delete(worker);
    this.#sessions.delete(worker);
    const prefix = `${worker}/`;
    for (const key of this.#scored.keys()) if (key.startsWith(prefix)) this.#scored.delete(key);
    for (const [key, s] of this.#started) {
      if (!key.startsWith(prefix)) continue;
      s.attempt.abort();
      s.timer.cancel();
      this.#started.delete(key);
    }
  }

  #guard(listener: string) {
    const g = this.#p.proxy.hubGuard(listener);
    if (!g) throw new BindwallError(ErrorCode.HubUnavailable, `listener "${listener}" has no guard here (is its threat mode off in the hub's configuration?)`);
    return g;
  }

  #question(worker: number, kind: string, body: unknown): unknown {
    switch (kind) {
      case Ask.Hello:
        return { worker, ...(this.#p.tagKey ? { tagKey: this.#p.tagKey.toString('base64') } : {}) };
      case Ask.Screen: {
        const b = body as { listener: string; input: ScreenInput };
        return this.#guard(b.listener).screen(b.input);
      }
      case Ask.Oracle: {
        const b = body as { listener: string; kind: OracleKind; name: string; address: string; tag: string };
        const g = this.#guard(b.listener);
        if (!g.oracleCheck) throw new BindwallError(ErrorCode.HubUnavailable, 'password tests are not guarded here');
        return g.oracleCheck(b.kind, b.name, b.address, b.tag);
      }
      case Ask.Decide: {
        const b = body as { ref: string; attempt: WireAttempt };
        return this.#decide(worker, b.ref, b.attempt);
      }
      case Ask.Challenge: {
        const ref = (body as { ref: string }).ref;
        const s = this.#started.get(`${worker}/${ref}`);
        if (!s) throw new BindwallError(ErrorCode.HubUnavailable, 'no challenge was started for this bind');
        this.#started.delete(`${worker}/${ref}`);
        s.timer.cancel();
        return s.outcome;
      }
      default:
        throw new BindwallError(ErrorCode.HubUnavailable, `unknown question "${kind}"`);
    }
  }

  /** Scores and decides in one question; a step-up starts here at once, its outcome asked for next. */
  async #decide(worker: number, ref: string, wire: WireAttempt): Promise<Decided> {
    const attempt = new HubAttempt(wire);
    if (this.#p.assess) attempt.assessment = await this.#p.assess(attempt);
    const decision = await this.#p.decide(attempt);
    const key = `${worker}/${ref}`;
    if (attempt.assessment) {
      if (this.#scored.size >= MAX_SCORED) this.#scored.delete(this.#scored.keys().next().value!);
      this.#scored.set(key, attempt.assessment);
    }
    if (decision.action === 'challenge') {
      const outcome = this.#p.challenge(attempt, decision as ChallengeDecision);
      outcome.catch(() => undefined); // claimed (and its failure answered) by the worker's Challenge
      // Unclaimed (the worker died between the two questions): abandoned, like a client that left.
      const timer = this.#p.clock.setTimer(this.#p.claimTimeoutMs, () => {
        this.#started.delete(key);
        attempt.abort();
      });
      this.#started.set(key, { outcome, attempt, timer });
    }
    return {
      decision: decisionToWire(decision),
      ...(attempt.assessment ? { assessment: assessmentToWire(attempt.assessment) } : {}),
      ...(attempt.logon ? { logon: attempt.logon } : {}),
    };
  }

  #report(worker: number, kind: string, body: unknown): void {
    try {
      switch (kind) {
        case Tell.Failed: {
          const b = body as { listener: string; key: LockoutKey; address: string; tag: string };
          this.#guard(b.listener).failed(b.key, b.address, b.tag);
          return;
        }
        case Tell.Succeeded: {
          const b = body as { listener: string; key: LockoutKey };
          this.#guard(b.listener).succeeded(b.key);
          return;
        }
        case Tell.OracleSettled: {
          const b = body as { listener: string; attempt: OracleAttempt; wrong: boolean };
          this.#guard(b.listener).oracleSettle?.(b.attempt, b.wrong);
          return;
        }
        case Tell.Event: {
          const { ref, ...ev } = body as BindEvent & { ref?: string };
          if (ref !== undefined) {
            // The assessment as scored (with the feature vector learning reads), kept here since the decision.
            const full = this.#scored.get(`${worker}/${ref}`);
            this.#scored.delete(`${worker}/${ref}`);
            if (full) ev.assessment = full;
          }
          this.#p.proxy.ingest(ev);
          return;
        }
        case Tell.Abort: {
          const s = this.#started.get(`${worker}/${(body as { ref: string }).ref}`);
          s?.attempt.abort();
          return;
        }
        case Tell.Sessions:
          this.#sessions.set(worker, Number((body as { sessions: number }).sessions) || 0);
          return;
        case Tell.PasswordChanged:
          this.#p.onPasswordChanged?.(body as { bindName: string; address: string; listener: string });
          return;
        default:
          return;
      }
    } catch (err) {
      this.#p.log.error({ event: 'worker_report_failed', worker, kind, error: describeError(err) }, `could not take in a worker's ${kind} report`);
    }
  }
}
