/**
 * A labelled history file as something `evaluate` measures: its events in time order, a
 * campaign per (attack, campaign) label, the period it spans and the warm-up to leave out.
 */
import type { Evaluable } from '../simulate/evaluate.js';
import type { LabelledEvent } from '../simulate/generate.js';
import type { HistoryEntry } from './import.js';

const DAY_MS = 86_400_000;

export function evaluableFrom(entries: readonly HistoryEntry[], warmupDays?: number): Evaluable {
  if (entries.length === 0) throw new Error('no events to evaluate');
  const start = Math.floor(entries[0]!.event.time / DAY_MS) * DAY_MS;
  const days = Math.max(1, Math.ceil((entries.at(-1)!.event.time - start + 1) / DAY_MS));
  const campaigns = new Map<string, { id: number; type: string; start: number }>();
  const events: LabelledEvent[] = entries.map((e) => {
    if (!e.label) return { event: e.event };
    const key = `${e.label.attack}\u0000${e.label.campaign}`;
    let c = campaigns.get(key);
    if (!c) campaigns.set(key, (c = { id: campaigns.size, type: e.label.attack, start: e.event.time }));
    return { event: e.event, campaign: c.id };
  });
  // The warm-up: what was asked, else a third of the span (at most 14 days), leaving at least a day measured.
  const warm = Math.min(days - 1, warmupDays ?? Math.min(14, Math.floor(days / 3)));
  return { options: { start, days, warmupDays: Math.max(0, warm) }, events, campaigns: [...campaigns.values()] };
}
