/**
 * Questions and reports between a worker and the hub over the cluster's IPC channel. Every
 * question carries an id and has a deadline (a hub that does not answer fails the bind closed,
 * it never holds it); the messages of one turn of the event loop travel as one batch, so a
 * busy worker pays one write for many binds.
 */
import { BindwallError, ErrorCode, describeError } from '../errors.js';
import type { Clock, TimerHandle } from '../util/clock.js';

/** A process's end of the IPC channel: `process` in a worker, a cluster `Worker` in the hub. */
export interface Endpoint {
  send(message: unknown): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
}

type Question = { q: number; k: string; b: unknown };
type Answer = { r: number; v?: unknown; e?: { code: string; message: string } };
type Report = { n: string; b: unknown };
type Wire = Question | Answer | Report;

interface Waiting {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: TimerHandle | undefined;
}

export type QuestionHandler = (kind: string, body: unknown) => unknown;
export type ReportHandler = (kind: string, body: unknown) => void;

export class Channel {
  readonly #endpoint: Endpoint;
  readonly #clock: Clock;
  readonly #waiting = new Map<number, Waiting>();
  #next = 1;
  #outbox: Wire[] = [];
  #closed: BindwallError | null = null;
  #onQuestion: QuestionHandler = () => {
    throw new BindwallError(ErrorCode.HubUnavailable, 'no one answers questions here');
  };
  #onReport: ReportHandler = () => undefined;

  constructor(endpoint: Endpoint, clock: Clock) {
    this.#endpoint = endpoint;
    this.#clock = clock;
    endpoint.on('message', this.#receive);
  }

  serve(onQuestion: QuestionHandler, onReport: ReportHandler): void {
    this.#onQuestion = onQuestion;
    this.#onReport = onReport;
  }

  /** A question; rejected with BW_HUB_UNAVAILABLE when unanswered after `timeoutMs` (0: no deadline of its own). */
  ask<T>(kind: string, body: unknown, timeoutMs: number): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      const timer = timeoutMs > 0 ? this.#clock.setTimer(timeoutMs, () => {
        this.#waiting.delete(id);
        reject(new BindwallError(ErrorCode.HubUnavailable, `the hub did not answer "${kind}" within ${timeoutMs} ms`));
      }) : undefined;
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.#put({ q: id, k: kind, b: body });
    });
  }

  /** A report: no answer, no deadline (what it reports is already decided). */
  tell(kind: string, body: unknown): void {
    if (!this.#closed) this.#put({ n: kind, b: body });
  }

  /** The other end is gone: every waiting question is rejected, later ones at once. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = new BindwallError(ErrorCode.HubUnavailable, reason);
    this.#endpoint.off('message', this.#receive);
    for (const w of this.#waiting.values()) {
      w.timer?.cancel();
      w.reject(this.#closed);
    }
    this.#waiting.clear();
    this.#outbox = [];
  }

  #put(m: Wire): void {
    if (this.#outbox.length === 0) setImmediate(this.#flush);
    this.#outbox.push(m);
  }

  readonly #flush = (): void => {
    const batch = this.#outbox;
    this.#outbox = [];
    if (batch.length === 0 || this.#closed) return;
    try {
      this.#endpoint.send(batch);
    } catch (err) {
      // The channel closed under us (the other process died): the 'exit' handler closes this channel.
      for (const m of batch) if ('q' in m) this.#settle({ r: m.q, e: { code: ErrorCode.HubUnavailable, message: describeError(err).message } });
    }
  };

  readonly #receive = (message: unknown): void => {
    if (!Array.isArray(message)) return; // cluster's own messages, or not ours
    for (const m of message as Wire[]) {
      if ('r' in m) this.#settle(m);
      else if ('q' in m) this.#answer(m);
      else if ('n' in m) this.#report(m);
    }
  };

  #settle(a: Answer): void {
    const w = this.#waiting.get(a.r);
    if (!w) return; // timed out meanwhile
    this.#waiting.delete(a.r);
    w.timer?.cancel();
    if (a.e) w.reject(new BindwallError(a.e.code as ErrorCode, a.e.message));
    else w.resolve(a.v);
  }

  #answer(q: Question): void {
    const reply = (v: unknown): void => this.#put({ r: q.q, v });
    const fail = (err: unknown): void => {
      const e = describeError(err);
      this.#put({ r: q.q, e: { code: e.code, message: e.message } });
    };
    try {
      const v = this.#onQuestion(q.k, q.b);
      if (v instanceof Promise) v.then(reply, fail);
      else reply(v);
    } catch (err) {
      fail(err);
    }
  }

  #report(r: Report): void {
    try {
      this.#onReport(r.n, r.b);
    } catch {
      // A report's handler logs its own failures; the channel goes on.
    }
  }
}
