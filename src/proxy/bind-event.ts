import type { Assessment } from '../behavior/engine.js';

/**
 * One record per bind attempt, success or failure, handed to every event sink (the
 * behaviour baseline and storage consume it in later issues). Holds no secret.
 */
export const BindMethod = {
  Simple: 'simple',
  Anonymous: 'anonymous',
  Unauthenticated: 'unauthenticated',
  Sasl: 'sasl',
} as const;
export type BindMethod = (typeof BindMethod)[keyof typeof BindMethod];

export const BindOutcome = {
  /** The directory accepted the credentials and the decision approved. */
  Approved: 'approved',
  /** Accepted by the directory, but the session is restricted. */
  Demoted: 'demoted',
  /** Accepted by the directory, refused by decision. */
  Blocked: 'blocked',
  ChallengePassed: 'challenge_passed',
  ChallengeFailed: 'challenge_failed',
  /** The directory rejected the bind (wrong password, locked, …). */
  Failed: 'failed',
  /** The source is in the threat pool at high: bindwall answered as a wrong password, the directory never saw it. */
  ThreatBlocked: 'threat_blocked',
  /** The identity is locked out at the proxy from this kind of source (smart lockout): answered as a wrong password. */
  LockedOut: 'locked_out',
  /** The same wrong password again from this kind of source (an app retrying): answered as the directory answered it before, without it. */
  RepeatedWrong: 'repeated_wrong',
  /** bindwall refused it before the directory saw it (config: unauthenticated, SASL, TLS required). */
  Refused: 'refused',
  /** Passed through unexamined by configuration (anonymous or SASL forward). */
  Forwarded: 'forwarded',
  /** The directory could not be reached. */
  Unavailable: 'unavailable',
  /** An internal error: the bind was refused (fail closed). */
  Error: 'error',
  /** The client went away while its bind was being decided. */
  Abandoned: 'abandoned',
} as const;
export type BindOutcome = (typeof BindOutcome)[keyof typeof BindOutcome];

/**
 * Outcomes bindwall answered without the directory (a blocked source, a locked identity, a
 * retried wrong password): whether the password was right is unknown or already counted, so
 * behaviour does not learn them as the account's failures (on this node or any other).
 */
const ANSWERED_HERE: ReadonlySet<string> = new Set([BindOutcome.ThreatBlocked, BindOutcome.LockedOut, BindOutcome.RepeatedWrong]);
export const isAnsweredHere = (outcome: string): boolean => ANSWERED_HERE.has(outcome);

/**
 * What happened on the client connection before this bind: apps that authenticate their
 * users (web apps, VPN and RADIUS servers, mail servers) bind as a service account or
 * anonymously, search for the user, then bind as the user — on one connection, or bind as
 * user after user. A person's own tool binds as itself first.
 */
export interface ConnectionContext {
  /** The name the connection was last bound as: '' anonymous (or after a failed bind); absent when this is its first bind. */
  previousBind?: string;
  /** Operations (searches, …) sent since the connection's previous bind, or since it opened. */
  opsBefore: number;
}

export interface BindEvent {
  time: number;
  connectionId: number;
  listener: string;
  clientAddress: string;
  clientPort: number;
  bindDn: string;
  method: BindMethod;
  saslMechanism?: string;
  tls: boolean;
  outcome: BindOutcome;
  /** The result code the client received. */
  resultCode: number;
  /** The directory's result code, when it answered. */
  directoryResultCode?: number;
  /** The directory's diagnostic message (AD puts sub-codes like "data 52e" here). */
  directoryDiagnostic?: string;
  reasons?: readonly string[];
  ruleId?: string;
  /** The policy version that decided. */
  policyHash?: string;
  /** The decision's action (approve, block, demote, challenge), when one was made. */
  action?: string;
  /** What a rule in audit mode would have decided instead. */
  audit?: { ruleId: string; action: string };
  /** Smart lockout: the identity was locked out from this kind of source (enforced, or in log mode only recorded). */
  lockout?: { bucket: string; until: number; enforced: boolean };
  /** The password was one already wrong for this identity from this kind of source (a retry). */
  repeatedPassword?: true;
  /** A honeytoken account was used (the directory was sent a random password). */
  honeytoken?: true;
  /** The source's threat-pool entry when it has one: what enforce mode did, or (log mode) would do. */
  threat?: { level: string; action: 'allow' | 'slow' | 'block'; enforced: boolean; reasons: readonly string[]; kinds?: readonly string[] };
  /** Extra, secret-free detail (e.g. why a challenge failed). */
  detail?: string;
  /** The behaviour score and reasons (set before the decision, or when the event is recorded). */
  assessment?: Assessment;
  latencyMs: number;
  connection?: ConnectionContext;
  /** Who the bind was, as behaviour and policy saw it: the identity, its kind, the app, the device's name. */
  identity?: string;
  accountKind?: string;
  app?: string;
  endpointName?: string;
  /** The TLS version of the client connection (TLSv1.3 …). */
  tlsVersion?: string;
  /** The step-up that ran: push or otp; the incident a failed one opened. */
  mfaMethod?: string;
  incidentId?: number;
}

export type BindEventSink = (event: BindEvent) => void;
