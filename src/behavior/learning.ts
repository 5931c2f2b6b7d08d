/**
 * How far an identity is through its learning period: novelty counts in proportion until
 * both the time and the logons are there. What `risk show`, `endpoints` and `explain` say.
 */
import type { AccountBaseline } from './baseline.js';
import { defaultBehaviorOptions, type BehaviorOptions } from './options.js';

export interface LearningState {
  done: boolean;
  logons: number;
  minLogons: number;
  until: number;
}

export function learningState(b: Pick<AccountBaseline, 'firstSeen' | 'logons'> | undefined, now: number,
  o: Pick<BehaviorOptions, 'learningPeriodMs' | 'learningMinEvents'> = defaultBehaviorOptions): LearningState {
  if (!b) return { done: false, logons: 0, minLogons: o.learningMinEvents, until: now + o.learningPeriodMs };
  const until = b.firstSeen + o.learningPeriodMs;
  return { done: now >= until && b.logons >= o.learningMinEvents, logons: Math.floor(b.logons), minLogons: o.learningMinEvents, until };
}

export function describeLearning(l: LearningState): string {
  return l.done ? 'done' : `${l.logons}/${l.minLogons} logons, until ${new Date(l.until).toISOString().slice(0, 16).replace('T', ' ')} UTC (novelty counts in proportion)`;
}
