/**
 * Which smart-lockout threshold applies. Both buckets (familiar and unfamiliar sources) pass
 * up to `threshold` wrong passwords each to the directory, so to keep the directory's own
 * counter below its threshold N, each gets at most ⌊(N−1)/2⌋; the owner's typos after an
 * attacker's guesses then still leave the account unlocked. Capped at Entra's 10; a directory
 * that never locks gets 10; one that cannot be read gets 3 (safe down to a directory
 * threshold of 7), and says so.
 */
import type { DirectoryLockoutPolicy } from '../directory/lockout-policy.js';

export const DEFAULT_LOCKOUT_THRESHOLD = 3;
const ENTRA_THRESHOLD = 10;

export interface EffectiveThreshold {
  threshold: number;
  source: 'configured' | 'directory' | 'default';
  directory?: DirectoryLockoutPolicy;
  /** Set when the configured threshold lets the directory lock accounts first. */
  warning?: string;
  /** One sentence for logs and `config check`. */
  explanation: string;
}

export function derivedThreshold(directoryThreshold: number): number {
  if (directoryThreshold <= 0) return ENTRA_THRESHOLD;
  return Math.max(1, Math.min(ENTRA_THRESHOLD, Math.floor((directoryThreshold - 1) / 2)));
}

export function effectiveThreshold(configured: number | undefined, dir: DirectoryLockoutPolicy | null | undefined, readError?: string): EffectiveThreshold {
  const what = dir ? (dir.threshold > 0 ? `the directory locks after ${dir.threshold} (${dir.source === 'ppolicy' ? 'ppolicy pwdMaxFailure' : dir.source === 'ad' ? 'AD lockoutThreshold' : 'AD msDS-LockoutThreshold'} at ${dir.dn})` : `the directory never locks accounts (${dir.dn})`) : undefined;
  if (configured !== undefined) {
    const unsafe = dir !== null && dir !== undefined && dir.threshold > 0 && 2 * configured >= dir.threshold;
    return {
      threshold: configured, source: 'configured', ...(dir ? { directory: dir } : {}),
      ...(unsafe ? { warning: `threat.lockout.threshold ${configured} lets familiar and unfamiliar sources together send ${2 * configured} wrong passwords, and ${what}: set it to ${derivedThreshold(dir!.threshold)} or remove it` } : {}),
      explanation: `smart lockout after ${configured} wrong passwords per bucket (threat.lockout.threshold)${what ? `; ${what}` : ''}`,
    };
  }
  if (dir) {
    const t = derivedThreshold(dir.threshold);
    return { threshold: t, source: 'directory', directory: dir, explanation: `smart lockout after ${t} wrong passwords per bucket: ${what}` };
  }
  return {
    threshold: DEFAULT_LOCKOUT_THRESHOLD, source: 'default',
    explanation: `smart lockout after ${DEFAULT_LOCKOUT_THRESHOLD} wrong passwords per bucket (default: ${readError ? `the directory's lockout policy could not be read: ${readError}` : 'no directory lockout policy found'}; safe when the directory locks after 7 or more, else set threat.lockout.threshold)`,
  };
}
