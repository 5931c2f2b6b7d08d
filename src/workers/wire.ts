/**
 * What crosses between a worker and the hub: the questions' names and the plain-data forms of
 * an attempt and a decision (a demote's restriction travels as the parts it was compiled from).
 * A one-time code crosses revealed, over the host's own IPC pipe only, and is wrapped in a
 * Secret again on arrival; passwords never cross (smart lockout gets their keyed tags).
 */
import type { Assessment } from '../behavior/engine.js';
import type { LogonEvent } from '../behavior/logon-event.js';
import { Secret } from '../log/secret.js';
import { compileProfile } from '../policy/demote-profile.js';
import type { BindAttempt, Decision } from '../proxy/decision.js';
import type { Restriction, RestrictionParts } from '../proxy/restriction.js';

export const Ask = {
  /** The worker's first question, once it listens for answers (a message sent before that would be lost). */
  Hello: 'hello',
  Screen: 'screen',
  Oracle: 'oracle',
  Decide: 'decide',
  Challenge: 'challenge',
} as const;

export const Tell = {
  Listening: 'listening',
  Failed: 'failed',
  Succeeded: 'succeeded',
  OracleSettled: 'oracle_settled',
  Event: 'event',
  Abort: 'abort',
  PasswordChanged: 'password_changed',
  /** A worker's open client connections, once a second (the hub's /status and metrics add them up). */
  Sessions: 'sessions',
} as const;

/** An attempt as plain data: the worker's fields, with the one-time code revealed (and no abort signal). */
export type WireAttempt = Pick<BindAttempt, 'connectionId' | 'listener' | 'clientAddress' | 'clientPort' | 'bindDn' | 'tls' | 'receivedAt' | 'connection' | 'threatLevel' | 'threatKinds'> & { otp?: string };

export type WireDecision = Omit<Decision, 'restriction'> & { restriction?: { name: string; parts: RestrictionParts } };

/** The hub's answer to Decide: the decision, and what scoring found (for the bind line and the event). */
export interface Decided {
  decision: WireDecision;
  assessment?: Assessment;
  logon?: LogonEvent;
}

export function attemptToWire(a: BindAttempt): WireAttempt {
  return {
    connectionId: a.connectionId, listener: a.listener, clientAddress: a.clientAddress, clientPort: a.clientPort, bindDn: a.bindDn,
    tls: a.tls, receivedAt: a.receivedAt,
    ...(a.connection ? { connection: a.connection } : {}),
    ...(a.threatLevel ? { threatLevel: a.threatLevel } : {}),
    ...(a.threatKinds ? { threatKinds: a.threatKinds } : {}),
    ...(a.otp ? { otp: a.otp.reveal() } : {}),
  };
}

/**
 * The hub's attempt: the worker's, with its own abort signal (aborted when the worker says the
 * client left), made only when something asks for it — most decisions never do.
 */
export class HubAttempt implements BindAttempt {
  readonly connectionId: number;
  readonly listener: string;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly bindDn: string;
  readonly tls: boolean;
  readonly receivedAt: number;
  readonly connection?: BindAttempt['connection'];
  readonly threatLevel?: string;
  readonly threatKinds?: readonly string[];
  readonly otp?: Secret<string>;
  assessment?: BindAttempt['assessment'];
  facts?: BindAttempt['facts'];
  okta?: BindAttempt['okta'];
  logon?: BindAttempt['logon'];
  #abort: AbortController | undefined;
  #aborted = false;

  constructor(w: WireAttempt) {
    this.connectionId = w.connectionId;
    this.listener = w.listener;
    this.clientAddress = w.clientAddress;
    this.clientPort = w.clientPort;
    this.bindDn = w.bindDn;
    this.tls = w.tls;
    this.receivedAt = w.receivedAt;
    if (w.connection) this.connection = w.connection;
    if (w.threatLevel) this.threatLevel = w.threatLevel;
    if (w.threatKinds) this.threatKinds = w.threatKinds;
    if (w.otp !== undefined) this.otp = new Secret(w.otp);
  }

  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController();
      if (this.#aborted) this.#abort.abort();
    }
    return this.#abort.signal;
  }

  /** The worker said its client left. */
  abort(): void {
    this.#aborted = true;
    this.#abort?.abort();
  }
}

/** Scoring's result as a worker needs it (the bind line, the event): without the feature vector only learning reads. */
export function assessmentToWire(a: Assessment): Assessment {
  if (!a.features) return a;
  const { features: _f, ...rest } = a;
  return rest;
}

export function decisionToWire(d: Decision): WireDecision {
  if (d.action !== 'demote' || !d.restriction) return d as WireDecision;
  const { restriction, ...rest } = d;
  return { ...rest, restriction: { name: restriction.name, parts: restriction.parts ?? { strip: [], hide: [] } } };
}

/** Compiled restrictions by profile: a handful per policy, compiled once per worker. */
const compiled = new Map<string, Restriction>();
const MAX_COMPILED = 256;

export function decisionFromWire(w: WireDecision): Decision {
  if (w.action !== 'demote' || !w.restriction) return w as Decision;
  const { restriction, ...rest } = w;
  const key = JSON.stringify(restriction);
  let r = compiled.get(key);
  if (!r) {
    if (compiled.size >= MAX_COMPILED) compiled.clear();
    compiled.set(key, (r = compileProfile(restriction.name, restriction.parts)));
  }
  return { ...rest, action: 'demote', restriction: r };
}
