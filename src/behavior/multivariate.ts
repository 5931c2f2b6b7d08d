/**
 * The multivariate term: how far one logon's feature vector lies from the account's usual
 * ones, as a squared Mahalanobis distance. Mean and covariance are exponentially weighted
 * (old habits fade), and the covariance is shrunk towards its diagonal so a few dozen
 * logons give a stable inverse. Inverses are cached and refreshed every few updates.
 */
import { inverse, Matrix } from 'ml-matrix';
import type { FeatureStats } from './baseline.js';

export const FEATURE_DIMS = 5;

export interface FeatureInput {
  hourOfWeek: number;
  /** Seconds since the account's previous successful logon (undefined for the first). */
  sincePreviousS: number | undefined;
  /** Share of the account's logons that came from this endpoint (0..1). */
  endpointShare: number;
}

/** [time of day as a circle (2), weekend, log pace, endpoint rarity] */
export function features(f: FeatureInput): number[] {
  const hourOfDay = f.hourOfWeek % 24;
  const angle = (2 * Math.PI * hourOfDay) / 24;
  return [
    Math.sin(angle),
    Math.cos(angle),
    f.hourOfWeek >= 120 ? 1 : 0,
    f.sincePreviousS === undefined ? 1 : Math.log10(1 + f.sincePreviousS) / 5,
    -Math.log10(Math.max(f.endpointShare, 0.001)) / 3,
  ];
}

const SHRINK = 0.3;
const RIDGE = 0.01;
const MIN_LOGONS = 30;
const REFRESH_EVERY = 8;
const MIN_ALPHA = 0.02;

/** The inverse as a flat row-major array: read 25 times a logon, where Matrix.get checks bounds each time. */
const cache = new WeakMap<FeatureStats, { n: number; inv: Float64Array }>();

/** Squared distance of `x` from the account's usual, or undefined while history is short. */
export function distance2(stats: FeatureStats, x: readonly number[]): number | undefined {
  if (stats.n < MIN_LOGONS) return undefined;
  let cached = cache.get(stats);
  if (!cached || stats.n - cached.n >= REFRESH_EVERY) {
    const d = x.length;
    const m = new Matrix(d, d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const c = stats.cov[i * d + j]!;
        m.set(i, j, i === j ? c + RIDGE : (1 - SHRINK) * c);
      }
    }
    const inv = inverse(m);
    const flat = new Float64Array(d * d);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) flat[i * d + j] = inv.get(i, j);
    cached = { n: stats.n, inv: flat };
    cache.set(stats, cached);
  }
  const d = x.length;
  const inv = cached.inv;
  const mean = stats.mean;
  let sum = 0;
  for (let i = 0; i < d; i++) {
    const di = x[i]! - mean[i]!;
    for (let j = 0; j < d; j++) sum += di * inv[i * d + j]! * (x[j]! - mean[j]!);
  }
  return Math.max(0, sum);
}

const scratch = new Float64Array(FEATURE_DIMS);

/** Exponentially weighted update of mean and covariance with one more vector. */
export function learnFeatures(stats: FeatureStats, x: readonly number[], weight = 1): void {
  const d = x.length;
  stats.n += weight;
  const alpha = Math.max(weight / stats.n, MIN_ALPHA * weight);
  const mean = stats.mean;
  const cov = stats.cov;
  // The deltas from the mean before it moves, in a reused buffer: this runs on every logon.
  const delta = d <= scratch.length ? scratch : new Float64Array(d);
  for (let i = 0; i < d; i++) delta[i] = x[i]! - mean[i]!;
  for (let i = 0; i < d; i++) mean[i]! += alpha * delta[i]!;
  for (let i = 0; i < d; i++) {
    const ai = alpha * delta[i]!;
    for (let j = 0; j < d; j++) {
      const k = i * d + j;
      cov[k] = (1 - alpha) * (cov[k]! + ai * delta[j]!);
    }
  }
}
