/**
 * Password oracles: a compare on userPassword / unicodePwd, or a password modify (RFC 3062)
 * with the old password, tests a password as a bind does — and OpenLDAP's compare does not
 * even count towards ppolicy's lockout. They go through the same guards as binds: refused
 * outright by configuration, or counted for the pool and smart lockout, and in enforce mode
 * a blocked source, a locked identity or a known-wrong retry is answered as a wrong password
 * without the directory.
 */
import type { Bucket } from './lockout.js';

export const OracleKind = { Compare: 'compare', PasswordModify: 'password_modify' } as const;
export type OracleKind = (typeof OracleKind)[keyof typeof OracleKind];

/** What the session does with a password test. */
export type OracleVerdict =
  | { action: 'refuse' }
  /** Answer as a wrong password, without the directory (why: for the log line). */
  | { action: 'wrong'; why: 'threat' | 'locked_out' | 'repeated' }
  | { action: 'forward'; attempt: OracleAttempt };

export interface OracleAttempt {
  kind: OracleKind;
  identity: string;
  bucket: Bucket;
  tag: string;
  address: string;
  /** The name the client gave (for the pool's per-account counts). */
  account: string;
}

/** A compare's answer: compareFalse is a wrong password, compareTrue a right one. */
export const compareVerdict = (resultCode: number): boolean | undefined => (resultCode === 5 ? true : resultCode === 6 ? false : undefined);

/** A password modify's answer: 49, or OpenLDAP's 53 "unwilling to verify old password", is a wrong old password. */
export function passwordModifyVerdict(resultCode: number, diagnostic: string): boolean | undefined {
  if (resultCode === 0) return false;
  if (resultCode === 49 || (resultCode === 53 && /old password/i.test(diagnostic))) return true;
  return undefined;
}
