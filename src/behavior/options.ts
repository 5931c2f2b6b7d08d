/**
 * Tunables of behaviour learning and scoring, with units in their names. Defaults are
 * the ones the evaluation (npm run eval) is measured with.
 */
import { DAY_MS, HOUR_MS, MINUTE_MS } from './decay.js';

export interface BehaviorOptions {
  timeZone: string;
  /** How fast familiarity with an endpoint, subnet or app fades. */
  familiarityHalfLifeMs: number;
  /** How fast the hour-of-week profile forgets. */
  hoursHalfLifeMs: number;
  /** Failed binds are counted with this half-life ("recent failures"). */
  failureHalfLifeMs: number;
  /** Entity risk (user, endpoint) halves in this time. */
  entityRiskHalfLifeMs: number;
  /** Novelty counts fully only after this long and this many successful logons. */
  learningPeriodMs: number;
  learningMinEvents: number;
  /** Windows for the velocity checks. */
  lateralWindowMs: number;
  sprayWindowMs: number;
  /** Successful logons kept per account for timing analysis. */
  recentLogons: number;
  /** An account silent this long that logs on again is dormant (a signal of its own). */
  dormantAfterMs: number;
  /** Baselines kept in memory at most (the least recently used are written out and reloaded when they return). */
  maxAccounts: number;
  maxEndpoints: number;
  /** Refused names without a baseline counted at most (a spray of random names stays within this). */
  maxUnknownAccounts: number;
}

export const defaultBehaviorOptions: Readonly<BehaviorOptions> = Object.freeze({
  timeZone: 'UTC',
  familiarityHalfLifeMs: 45 * DAY_MS,
  hoursHalfLifeMs: 60 * DAY_MS,
  failureHalfLifeMs: HOUR_MS,
  entityRiskHalfLifeMs: DAY_MS,
  learningPeriodMs: 14 * DAY_MS,
  learningMinEvents: 20,
  lateralWindowMs: 30 * MINUTE_MS,
  sprayWindowMs: 10 * MINUTE_MS,
  recentLogons: 16,
  dormantAfterMs: 30 * DAY_MS,
  maxAccounts: 200_000,
  maxEndpoints: 200_000,
  maxUnknownAccounts: 10_000,
});
