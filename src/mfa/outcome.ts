/** How a step-up challenge ended, in terms incidents and logs use. */
export const FailureKind = {
  Denied: 'denied',
  /** A honeytoken account was used: a verification nobody can pass. */
  Honeytoken: 'honeytoken',
  TimedOut: 'timed_out',
  /** The person said "this wasn't me" about a sign-in or account change afterwards (UserInsight). */
  Reported: 'user_report',
  WrongCode: 'wrong_code',
  Abandoned: 'abandoned',
  NoCode: 'no_code',
  PromptLimit: 'prompt_limit',
  UnknownUser: 'unknown_user',
  /** Okta knows the user but not as ACTIVE (suspended, deprovisioned …): refused, whatever mfa.unenrolled says. */
  Inactive: 'okta_user_inactive',
  NoFactor: 'no_factor',
  Locked: 'locked',
  Unavailable: 'okta_unavailable',
  /** Okta's rate limit would outlast the challenge: refused (never a fail-open), not an incident. */
  RateLimited: 'okta_rate_limited',
  /** One source asked for more step-ups than mfa.maxPromptsPerSource allows in the window. */
  SourcePromptLimit: 'source_prompt_limit',
} as const;
export type FailureKind = (typeof FailureKind)[keyof typeof FailureKind];

export interface ChallengeOutcome {
  result: 'passed' | 'failed';
  /** The method that decided (push or otp), when one ran. */
  method?: 'push' | 'otp';
  failure?: FailureKind;
  /** Why, for the log and the incident (never a code or a token). */
  detail: string;
  /** The challenge that ran (binds sharing one get the same id): one incident per challenge. */
  challengeId?: string;
  /** Fleet mode: another node ran the challenge and opens its incident; this node does not. */
  decidedBy?: string;
  /** Passed without a prompt: remembered, or allowed by a fail mode while Okta was down. */
  via?: 'remembered' | 'fail_safe' | 'fail_known_endpoint' | 'unenrolled_safe' | 'unenrolled_known_endpoint';
}
