/**
 * Binds per minute by decision over the last hour, counted as they happen (a proxy sink):
 * the overview's live chart costs an array increment per bind and never a scan of events.
 */
import type { BindEvent } from '../proxy/bind-event.js';

/** The overview's groups of outcomes. */
export const RATE_GROUPS = ['approved', 'stepped up', 'demoted', 'blocked', 'failed'] as const;
export type RateGroup = (typeof RATE_GROUPS)[number];

const GROUP_OF: Record<string, RateGroup> = {
  approved: 'approved', challenge_passed: 'stepped up', challenge_failed: 'blocked', demoted: 'demoted',
  blocked: 'blocked', threat_blocked: 'blocked', locked_out: 'blocked', refused: 'blocked', failed: 'failed', repeated_wrong: 'failed',
};

const MINUTES = 60;

export class BindRates {
  /** counts[minute % 60][group] for the minute stored in minuteOf. */
  readonly #counts = Array.from({ length: MINUTES }, () => new Array<number>(RATE_GROUPS.length).fill(0));
  readonly #minuteOf = new Array<number>(MINUTES).fill(-1);

  observe(ev: Pick<BindEvent, 'outcome' | 'time'>): void {
    const group = GROUP_OF[ev.outcome];
    if (group === undefined) return;
    const minute = Math.floor(ev.time / 60_000);
    const slot = minute % MINUTES;
    if (this.#minuteOf[slot] !== minute) {
      this.#minuteOf[slot] = minute;
      this.#counts[slot]!.fill(0);
    }
    this.#counts[slot]![RATE_GROUPS.indexOf(group)]!++;
  }

  /** The last hour, oldest minute first: labels (HH:MM, UTC) and one series per group. */
  lastHour(now: number): { minutes: number[]; series: Record<RateGroup, number[]> } {
    const current = Math.floor(now / 60_000);
    const minutes: number[] = [];
    const series = Object.fromEntries(RATE_GROUPS.map((g) => [g, [] as number[]])) as unknown as Record<RateGroup, number[]>;
    for (let m = current - MINUTES + 1; m <= current; m++) {
      minutes.push(m * 60_000);
      const slot = m % MINUTES;
      const fresh = this.#minuteOf[slot] === m;
      RATE_GROUPS.forEach((g, i) => series[g].push(fresh ? this.#counts[slot]![i]! : 0));
    }
    return { minutes, series };
  }
}
