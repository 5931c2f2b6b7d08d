/**
 * One-time codes typed on the challenge page. A challenge that needs a code waits here; the
 * page shows a browser only the challenges of its own client address (the suspect endpoint
 * is where the person is), and a code is delivered only from that address.
 */
import { randomBytes } from 'node:crypto';
import type { Clock, TimerHandle } from '../util/clock.js';

export interface WaitingCode {
  id: string;
  account: string;
  app: string;
  endpoint: string;
  since: number;
}

interface Waiter extends WaitingCode {
  resolve: (code: string | undefined) => void;
  timer: TimerHandle;
}

export class CodeInbox {
  readonly #clock: Clock;
  readonly #waiting = new Map<string, Waiter>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Resolves with the code typed for this challenge, or undefined at the deadline or on abort. */
  wait(o: { account: string; app: string; endpoint: string; deadline: number; signal: AbortSignal }): { id: string; code: Promise<string | undefined> } {
    const id = randomBytes(12).toString('base64url');
    const code = new Promise<string | undefined>((resolve) => {
      const finish = (value: string | undefined): void => {
        const w = this.#waiting.get(id);
        if (!w) return;
        this.#waiting.delete(id);
        w.timer.cancel();
        o.signal.removeEventListener('abort', onAbort);
        resolve(value);
      };
      const onAbort = (): void => finish(undefined);
      const timer = this.#clock.setTimer(Math.max(0, o.deadline - this.#clock.now()), () => finish(undefined));
      this.#waiting.set(id, { id, account: o.account, app: o.app, endpoint: o.endpoint, since: this.#clock.now(), resolve: finish, timer });
      o.signal.addEventListener('abort', onAbort, { once: true });
    });
    return { id, code };
  }

  /** Stops waiting (the challenge was decided another way). */
  cancel(id: string): void {
    this.#waiting.get(id)?.resolve(undefined);
  }

  /** What a browser at this address may see. */
  forEndpoint(endpoint: string): WaitingCode[] {
    return [...this.#waiting.values()].filter((w) => w.endpoint === endpoint).map(({ id, account, app, endpoint: e, since }) => ({ id, account, app, endpoint: e, since }));
  }

  /** Delivers a code from `endpoint`; false when there is no such challenge for that address. */
  submit(id: string, endpoint: string, code: string): boolean {
    const w = this.#waiting.get(id);
    if (!w || w.endpoint !== endpoint) return false;
    w.resolve(code);
    return true;
  }
}
