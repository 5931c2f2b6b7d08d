/**
 * A worker's side of the hub: the decision function, challenger, guards and event sink its
 * proxy is built with, each a question or a report over the channel. Every question has the
 * hub's deadline, so a silent hub fails binds closed (BW_HUB_UNAVAILABLE → LDAP unavailable)
 * rather than holding them.
 */
import type { Config, Listener } from '../config/load.js';
import type { BindEvent } from '../proxy/bind-event.js';
import type { Challenger, DecideFn } from '../proxy/decision.js';
import type { Screen, SessionGuard } from '../proxy/guard.js';
import { passwordTag } from '../threat/lockout.js';
import type { OracleVerdict } from '../threat/oracles.js';
import type { Channel } from './channel.js';
import { Ask, attemptToWire, decisionFromWire, Tell, type Decided } from './wire.js';

export interface FrontParts {
  decide: DecideFn;
  challenge: Challenger;
  guards: (listener: Listener) => SessionGuard | undefined;
  sink: (ev: BindEvent) => void;
  onPasswordChanged: (change: { bindName: string; address: string; listener: string }) => void;
}

export function frontParts(channel: Channel, config: Config, tagKey: Buffer | undefined): FrontParts {
  const timeoutMs = config.workers?.hubTimeoutMs ?? 10_000;
  // A challenge takes as long as its longest timeout, then the hub's own deadline on top.
  const challengeMs = Math.max(config.mfa.challengeTimeoutMs, ...Object.values(config.mfa.appTimeoutsMs)) + timeoutMs;
  /**
   * Decided binds' refs by connection and arrival, until their event: the challenge of a bind
   * is asked for under it, and the hub keeps the bind's full assessment under it.
   */
  const refs = new Map<string, string>();
  const keyOf = (b: { connectionId: number }, receivedAt: number): string => `${b.connectionId}/${receivedAt}`;
  let nextRef = 1;
  const tag = (password: Uint8Array): string => {
    if (!tagKey) throw new Error('the hub sent no lockout key');
    return passwordTag(tagKey, password);
  };
  return {
    decide: async (attempt) => {
      const ref = String(nextRef++);
      if (refs.size >= 65_536) refs.delete(refs.keys().next().value!);
      refs.set(keyOf(attempt, attempt.receivedAt), ref);
      const d = await channel.ask<Decided>(Ask.Decide, { ref, attempt: attemptToWire(attempt) }, timeoutMs);
      if (d.assessment) attempt.assessment = d.assessment;
      if (d.logon) attempt.logon = d.logon;
      return decisionFromWire(d.decision);
    },
    challenge: (attempt) => {
      const ref = refs.get(keyOf(attempt, attempt.receivedAt));
      if (ref === undefined) return Promise.reject(new Error('a challenge without its decision'));
      const signal = attempt.signal;
      const abort = (): void => channel.tell(Tell.Abort, { ref });
      if (signal.aborted) abort();
      else signal.addEventListener('abort', abort, { once: true });
      return channel.ask(Ask.Challenge, { ref }, challengeMs);
    },
    guards: (l) => {
      const mode = l.threatMode ?? config.threat.mode;
      if (mode === 'off') return undefined;
      const listener = l.name;
      return {
        enforce: mode === 'enforce',
        screen: (input) => channel.ask<Screen>(Ask.Screen, {
          listener,
          input: { bindName: input.bindName, address: input.address, ...(input.connection ? { connection: input.connection } : {}), ...(input.lockout ? { lockout: { tag: 'tag' in input.lockout ? input.lockout.tag : tag(input.lockout.password) } } : {}) },
        }, timeoutMs),
        failed: (key, address, password) => channel.tell(Tell.Failed, { listener, key, address, tag: tag(password) }),
        succeeded: (key) => channel.tell(Tell.Succeeded, { listener, key }),
        oracles: {
          check: (kind, name, address, secret) => channel.ask<OracleVerdict>(Ask.Oracle, { listener, kind, name, address, tag: tag(secret) }, timeoutMs),
          settle: (attempt, wrong) => channel.tell(Tell.OracleSettled, { listener, attempt, wrong }),
        },
      };
    },
    sink: (ev) => {
      const key = keyOf(ev, ev.time);
      const ref = refs.get(key);
      if (ref === undefined) return channel.tell(Tell.Event, ev);
      refs.delete(key);
      // The hub has this bind's assessment already: the event goes without it.
      const { assessment: _a, ...rest } = ev;
      channel.tell(Tell.Event, { ...rest, ref });
    },
    onPasswordChanged: (change) => channel.tell(Tell.PasswordChanged, change),
  };
}
