/**
 * Day of week and minute of day in a time zone, for time windows. The zone's UTC offset is
 * cached per quarter hour (every real zone changes offset on a quarter-hour boundary), so
 * Intl is consulted once per quarter hour per zone, not per bind — also when binds are
 * decided out of time order (replay, explain), thanks to a bounded map of buckets.
 */
const BUCKET_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
/** About a year of quarter hours. */
const MAX_BUCKETS = 40_000;

export class LocalClock {
  readonly timeZone: string;
  readonly #fmt: Intl.DateTimeFormat;
  #bucket = Number.NaN;
  #offsetMs = 0;
  readonly #offsets = new Map<number, number>();

  constructor(timeZone: string) {
    this.timeZone = timeZone;
    this.#fmt = new Intl.DateTimeFormat('en-US', {
      timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', hourCycle: 'h23',
    });
  }

  #offset(timeMs: number): number {
    const bucket = Math.floor(timeMs / BUCKET_MS);
    if (bucket !== this.#bucket) {
      let offset = this.#offsets.get(bucket);
      if (offset === undefined) {
        const at = bucket * BUCKET_MS;
        const p: Record<string, number> = {};
        for (const part of this.#fmt.formatToParts(new Date(at))) if (part.type !== 'literal') p[part.type] = Number(part.value);
        offset = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!) - at;
        if (this.#offsets.size >= MAX_BUCKETS) this.#offsets.clear();
        this.#offsets.set(bucket, offset);
      }
      this.#offsetMs = offset;
      this.#bucket = bucket;
    }
    return this.#offsetMs;
  }

  /** 0 = Monday … 6 = Sunday. */
  dayOfWeek(timeMs: number): number {
    const local = timeMs + this.#offset(timeMs);
    // 1970-01-01 was a Thursday (3 when Monday is 0).
    return (Math.floor(local / DAY_MS) % 7 + 7 + 3) % 7;
  }

  minuteOfDay(timeMs: number): number {
    const local = timeMs + this.#offset(timeMs);
    return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / 60_000);
  }

  /** "Mon 08:05", for explanations. */
  describe(timeMs: number): string {
    const m = this.minuteOfDay(timeMs);
    return `${DAY_NAMES[this.dayOfWeek(timeMs)]} ${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')} ${this.timeZone}`;
  }
}

export const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;
