import type { Assessment } from '../behavior/engine.js';
import type { UserFacts } from '../directory/facts.js';
import type { LogonEvent } from '../behavior/logon-event.js';
import type { Restriction } from './restriction.js';
import type { ConnectionContext } from './bind-event.js';
import type { Secret } from '../log/secret.js';
import type { ChallengeOutcome } from '../mfa/outcome.js';

/**
 * The single decision point every successful simple bind goes through. This issue ships
 * the contract and an approve-all default; risk scoring, policy and MFA plug in here.
 */

/** What the proxy knows about a bind when it asks for a decision. */
export interface BindAttempt {
  connectionId: number;
  listener: string;
  clientAddress: string;
  clientPort: number;
  /** The bind name as the client sent it. */
  bindDn: string;
  /** True when the client connection is encrypted (LDAPS or after StartTLS). */
  tls: boolean;
  /** Clock time the bind request arrived. */
  receivedAt: number;
  /** Aborted when the client goes away while the decision is pending. */
  signal: AbortSignal;
  /** How unusual this logon is, and why (when behaviour scoring is on). */
  assessment?: Assessment;
  /** What the directory says about the user (when a lookup account is configured). */
  facts?: UserFacts;
  /** What Okta says of this person (the SSO connector's cache), when it has looked. */
  okta?: { status: string; factors: readonly string[]; apps: readonly string[] };
  /** The bind as behaviour saw it (account, kind, app), so policy need not map it again. */
  logon?: LogonEvent;
  /** The source's threat-pool level, when it has an entry that did not block it (low, medium; high in log mode). */
  threatLevel?: string;
  /** Why the source is in the pool (spraying, brute_force, honeytoken, …). */
  threatKinds?: readonly string[];
  /** A one-time code the client appended to its password (already removed from it). */
  otp?: Secret<string>;
  /** What the connection did before this bind (relayed binds of app servers). */
  connection?: ConnectionContext;
}

export const Action = {
  Approve: 'approve',
  Block: 'block',
  Demote: 'demote',
  Challenge: 'challenge',
} as const;
export type Action = (typeof Action)[keyof typeof Action];

export interface DecisionBase {
  /** Human-readable reasons, carried into the bind log line. */
  reasons?: readonly string[];
  /** Which rule decided. */
  ruleId?: string;
  /** Which policy version decided (a hash of its files). */
  policyHash?: string;
  /** What a rule in audit mode would have decided (recorded, not enforced). */
  audit?: { ruleId: string; action: string };
}
export type Decision =
  | (DecisionBase & { action: 'approve' })
  | (DecisionBase & { action: 'block' })
  | (DecisionBase & { action: 'demote'; profile?: string; restriction?: Restriction })
  | ChallengeDecision;

/** A step-up: the method, and what the MFA step needs if it fails or Okta cannot be reached. */
export type ChallengeDecision = DecisionBase & {
  action: 'challenge';
  method?: string;
  severity?: string;
  onFailure?: { quarantine: boolean; notify: readonly string[]; respond?: string };
  /** secure | safe | known-endpoint, when Okta is unreachable. */
  failMode?: string;
  /** A prompt must be answered now: no remembered pass, no unenrolled fail mode (the console's sign-in). */
  fresh?: boolean;
};

export type DecideFn = (attempt: BindAttempt) => Decision | Promise<Decision>;

export const ChallengeResult = { Passed: 'passed', Failed: 'failed' } as const;
export type ChallengeResult = (typeof ChallengeResult)[keyof typeof ChallengeResult];

/** Runs a step-up challenge for a `challenge` decision (the MFA issue provides a real one). */
export type Challenger = (attempt: BindAttempt, decision: ChallengeDecision) => Promise<{ result: ChallengeResult; detail?: string; outcome?: ChallengeOutcome; incidentId?: number }>;

export const approveAll: DecideFn = () => ({ action: Action.Approve, reasons: ['default: approve all'] });

/** Without an MFA connector a challenge cannot pass: fail closed. */
export const noChallenger: Challenger = async () => ({ result: ChallengeResult.Failed, detail: 'no MFA connector configured' });
