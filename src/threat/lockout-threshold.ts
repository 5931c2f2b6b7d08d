/**
 * Which smart-lockout thresholds apply. The directory locks an account after N failures it
 * sees since the last success (within its observation window), so bindwall's budget per
 * identity is N−1: past it, nothing more reaches the directory until it forgets. Each
 * non-familiar bucket (unfamiliar sources, each app server) is locked after ⌊(N−1)/2⌋, so an
 * attacker spends at most half the budget and the owner at their own device keeps the rest.
 * Capped at Entra's 10; a directory that never locks gets 10 and no budget limit worth
 * naming; one that cannot be read gets 3 and a budget of 6 (safe down to a directory
 * threshold of 7), and says so.
 */
import type { DirectoryLockoutPolicy } from '../directory/lockout-policy.js';

export const DEFAULT_LOCKOUT_THRESHOLD = 3;
const ENTRA_THRESHOLD = 10;
/** The directory does not say how long it remembers failures: AD's default observation window. */
const DEFAULT_WINDOW_MS = 30 * 60_000;

export interface EffectiveThreshold {
  /** Wrong passwords per non-familiar bucket. */
  threshold: number;
  /** Wrong passwords the directory may see per identity since its last success. */
  budget: number;
  /** How long the directory remembers a failure (0: until a success; bindwall then waits its maxDurationMs). */
  windowMs: number;
  source: 'configured' | 'directory' | 'default';
  directory?: DirectoryLockoutPolicy;
  /** Set when the configured threshold lets an attacker spend most of the owner's budget. */
  warning?: string;
  /** One sentence for logs and `config check`. */
  explanation: string;
}

export function derivedThreshold(directoryThreshold: number): number {
  if (directoryThreshold <= 0) return ENTRA_THRESHOLD;
  return Math.max(1, Math.min(ENTRA_THRESHOLD, Math.floor((directoryThreshold - 1) / 2)));
}

const attribute = (d: DirectoryLockoutPolicy): string => (d.source === 'ppolicy' ? 'ppolicy pwdMaxFailure' : d.source === 'ad' ? 'AD lockoutThreshold' : 'AD msDS-LockoutThreshold');

export function effectiveThreshold(configured: number | undefined, dir: DirectoryLockoutPolicy | null | undefined, readError?: string): EffectiveThreshold {
  const locks = dir !== null && dir !== undefined && dir.threshold > 0;
  const what = dir ? (locks ? `the directory locks after ${dir.threshold} (${attribute(dir)} at ${dir.dn})` : `the directory never locks accounts (${dir.dn})`) : undefined;
  const windowMs = dir?.windowMs ?? DEFAULT_WINDOW_MS;
  const threshold = configured ?? (dir ? derivedThreshold(dir.threshold) : DEFAULT_LOCKOUT_THRESHOLD);
  // Never-locking directories still get a budget (a brute force is still a brute force).
  const budget = locks ? dir!.threshold - 1 : dir ? 4 * ENTRA_THRESHOLD : 2 * threshold;
  const base = { threshold, budget, windowMs, ...(dir ? { directory: dir } : {}) };
  const rule = `smart lockout after ${threshold} wrong passwords per unfamiliar source or app server, at most ${budget} per identity reaching the directory between successes`;
  if (configured !== undefined) {
    const unsafe = locks && configured > derivedThreshold(dir!.threshold);
    return {
      ...base, source: 'configured',
      ...(unsafe ? { warning: `threat.lockout.threshold ${configured} lets an attacker's sources spend ${Math.min(configured, budget)} of the ${budget} wrong passwords the directory allows before it locks, leaving the owner ${Math.max(0, budget - configured)}: set it to ${derivedThreshold(dir!.threshold)} or remove it` } : {}),
      explanation: `${rule} (threat.lockout.threshold)${what ? `; ${what}` : ''}`,
    };
  }
  if (dir) return { ...base, source: 'directory', explanation: `${rule}: ${what}` };
  return {
    ...base, source: 'default',
    explanation: `${rule} (default: ${readError ? `the directory's lockout policy could not be read: ${readError}` : 'no directory lockout policy found'}; safe when the directory locks after ${budget + 1} or more, else set threat.lockout.threshold)`,
  };
}
