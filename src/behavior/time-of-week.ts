/**
 * Hour of the week (0 = Monday 00:00 … 167 = Sunday 23:00) in a configured time zone.
 * The zone's offset is cached per UTC hour, so Intl is consulted once an hour, not per bind.
 */
export class HourOfWeek {
  readonly #fmt: Intl.DateTimeFormat;
  #cachedHour = -1;
  #cachedValue = 0;

  constructor(readonly timeZone: string) {
    this.#fmt = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' });
  }

  at(timeMs: number): number {
    const utcHour = Math.floor(timeMs / 3_600_000);
    if (utcHour !== this.#cachedHour) {
      this.#cachedHour = utcHour;
      let weekday = 0;
      let hour = 0;
      for (const part of this.#fmt.formatToParts(new Date(timeMs))) {
        if (part.type === 'weekday') weekday = WEEKDAYS[part.value] ?? 0;
        else if (part.type === 'hour') hour = Number(part.value) % 24;
      }
      this.#cachedValue = weekday * 24 + hour;
    }
    return this.#cachedValue;
  }
}

const WEEKDAYS: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

/** Checks a zone name; returns an error text or undefined. */
export function checkTimeZone(tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return undefined;
  } catch {
    return `unknown time zone "${tz}"`;
  }
}
