/**
 * Sending a dead letter again (`bindwall dead-letters retry`): a notification with its
 * target's key put back from the config, a response step run once more against today's
 * config (its workflow and step by name and position), an email rendered again from its
 * notice (its links are signed anew; they were never stored). The result goes on the
 * incident's timeline.
 */
import type { Config } from '../config/load.js';
import { postNotification, resendable } from '../incidents/notify.js';
import type { DeadLetter, IncidentStore } from '../store/incident-store.js';
import type { Clock } from '../util/clock.js';
import { describeError } from '../errors.js';
import type { ResponseRunner, StepLetter } from './runner.js';
import { stepBody } from './runner.js';

export interface RetryResult {
  id: number;
  ok: boolean;
  what: string;
}

export interface RetryDeps {
  config: Config;
  store: IncidentStore;
  runner: ResponseRunner;
  clock: Clock;
  /** Renders and sends a notice's email once more (UserInsight); absent when it is not configured. */
  resendNotice?: (noticeId: string) => Promise<{ ok: boolean; error?: string }>;
}

export async function retryDeadLetter(d: DeadLetter, deps: RetryDeps): Promise<RetryResult> {
  const { store, clock } = deps;
  let r: { ok: boolean; what: string };
  try {
    r = await attempt(d, deps);
  } catch (err) {
    r = { ok: false, what: describeError(err).message };
  }
  store.deadLetterRetried(d.id, { time: clock.now(), ok: r.ok, attempts: 1, ...(r.ok ? {} : { error: r.what }) });
  if (d.incidentId !== null) store.update(d.incidentId, { time: clock.now(), what: `dead letter #${d.id} (${d.target}) retried: ${r.ok ? 'delivered' : `failed again (${r.what})`}` });
  return { id: d.id, ...r };
}

async function attempt(d: DeadLetter, deps: RetryDeps): Promise<{ ok: boolean; what: string }> {
  const { config, store, runner } = deps;
  switch (d.kind) {
    case 'notify': {
      const t = config.incidents.notify[d.target];
      if (!t) return { ok: false, what: `notify target "${d.target}" is no longer configured` };
      const res = await postNotification(t, resendable(t, d.payload));
      return res.ok ? { ok: true, what: `notified ${d.target} (${t.type})` } : { ok: false, what: res.error };
    }
    case 'step': {
      const letter = JSON.parse(d.payload) as StepLetter;
      const step = config.responses[letter.workflow]?.[letter.step];
      if (!step || step.kind !== letter.kind) return { ok: false, what: `response ${letter.workflow} no longer has ${letter.kind} as step ${letter.step + 1}` };
      const incident = d.incidentId !== null ? store.get(d.incidentId) : undefined;
      if (!incident) return { ok: false, what: `incident #${d.incidentId} is gone` };
      return { ok: true, what: await runner.once(step, letter, () => JSON.stringify(stepBody(letter.workflow, step, incident))) };
    }
    case 'email': {
      if (!deps.resendNotice) return { ok: false, what: 'userInsight is not configured' };
      const { notice } = JSON.parse(d.payload) as { notice: string };
      const res = await deps.resendNotice(notice);
      return res.ok ? { ok: true, what: `notice ${notice} emailed` } : { ok: false, what: res.error ?? 'send failed' };
    }
    default:
      return { ok: false, what: `unknown dead letter kind ${String(d.kind)}` };
  }
}
