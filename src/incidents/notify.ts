/**
 * Notifications for incidents: a generic JSON webhook, PagerDuty Events API v2 and Slack
 * incoming webhooks. Sent after the incident is committed, with retries and exponential
 * backoff; a target that stays down gets a dead-letter record instead of losing the alert.
 */
import axios from 'axios';
import type { NotifyTargetConfig } from '../config/load.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Incident, IncidentStore } from '../store/incident-store.js';
import type { Clock } from '../util/clock.js';

const PD_SEVERITY: Record<string, string> = { critical: 'critical', high: 'error', medium: 'warning', low: 'info' };

function summary(i: Incident): string {
  return `bindwall incident #${i.id}: ${i.failure.replace(/_/g, ' ')} step-up for ${i.account} from ${i.endpoint} via ${i.app} (${i.severity})`;
}

/** The request body each kind of target expects. */
export function payloadFor(type: NotifyTargetConfig['type'], i: Incident, routingKey?: string): unknown {
  switch (type) {
    case 'pagerduty':
      return {
        routing_key: routingKey, event_action: 'trigger', dedup_key: `bindwall-incident-${i.id}`,
        payload: {
          summary: summary(i), source: i.endpoint, severity: PD_SEVERITY[i.severity] ?? 'warning', timestamp: new Date(i.time).toISOString(),
          component: i.app, group: 'bindwall', class: i.failure,
          custom_details: { account: i.account, kind: i.kind, risk: i.score, reasons: i.reasons, rule: i.ruleId, method: i.method },
        },
      };
    case 'slack':
      return { text: `${summary(i)}\nrisk ${i.score}${i.reasons.length ? `: ${i.reasons.join('; ')}` : ''}\nrule ${i.ruleId ?? '-'}` };
    default:
      return { type: 'bindwall.incident', incident: { ...i, time: new Date(i.time).toISOString(), updated: new Date(i.updated).toISOString() } };
  }
}

/** One delivery: ok, or the error and whether another try could help (a bad request stays bad). */
export async function postNotification(t: NotifyTargetConfig, body: unknown): Promise<{ ok: true } | { ok: false; error: string; again: boolean }> {
  try {
    const res = await axios.post(t.url, body, { timeout: t.timeoutMs, validateStatus: () => true, headers: { 'Content-Type': 'application/json', 'User-Agent': 'bindwall' } });
    if (res.status >= 200 && res.status < 300) return { ok: true };
    return { ok: false, error: `HTTP ${res.status}`, again: !(res.status >= 400 && res.status < 500 && res.status !== 429) };
  } catch (err) {
    return { ok: false, error: (err as { code?: string }).code ?? describeError(err).message, again: true };
  }
}

/** A stored payload made ready to send again: the PagerDuty routing key is put back from the config. */
export function resendable(t: NotifyTargetConfig, payload: string): unknown {
  const body = JSON.parse(payload) as Record<string, unknown>;
  return t.type === 'pagerduty' ? { ...body, routing_key: t.routingKey?.reveal() } : body;
}

export class Notifier {
  readonly #inFlight = new Set<Promise<void>>();

  #targets: Readonly<Record<string, NotifyTargetConfig>>;

  constructor(private readonly o: { targets: Readonly<Record<string, NotifyTargetConfig>>; store: IncidentStore; clock: Clock; log: Logger; backoffMs?: number }) {
    this.#targets = o.targets;
  }

  /** New targets (a config reload); notifications under way finish with the old ones. */
  setTargets(targets: Readonly<Record<string, NotifyTargetConfig>>): void {
    this.#targets = targets;
  }

  notify(incident: Incident, targets: readonly string[]): void {
    for (const name of targets) {
      const target = this.#targets[name];
      if (!target) {
        this.o.log.error({ event: 'notify_unknown_target', target: name, incident: incident.id }, `notify target "${name}" is not configured (incidents.notify)`);
        continue;
      }
      const p = this.#send(name, target, incident).finally(() => this.#inFlight.delete(p));
      this.#inFlight.add(p);
    }
  }

  /** Resolves when every notification under way has been delivered or dead-lettered. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  async #send(name: string, t: NotifyTargetConfig, incident: Incident): Promise<void> {
    const body = payloadFor(t.type, incident, t.routingKey?.reveal());
    let lastError = '';
    for (let attempt = 0; attempt <= t.retries; attempt++) {
      if (attempt > 0) await new Promise<void>((r) => this.o.clock.setTimer((this.o.backoffMs ?? 1_000) * 2 ** (attempt - 1), r));
      const r = await postNotification(t, body);
      if (r.ok) {
        this.o.store.update(incident.id, { time: this.o.clock.now(), what: `notified ${name} (${t.type})` });
        return;
      }
      lastError = r.error;
      if (!r.again) break;
    }
    this.o.log.error({ event: 'notify_failed', target: name, incident: incident.id, error: lastError }, `could not notify ${name} about incident #${incident.id}: ${lastError}; kept as a dead letter`);
    // The payload is kept to resend by hand; the routing key is not stored with it.
    const stored = t.type === 'pagerduty' ? { ...(body as Record<string, unknown>), routing_key: '[redacted]' } : body;
    this.o.store.deadLetter({ time: this.o.clock.now(), target: name, incidentId: incident.id, payload: JSON.stringify(stored), error: lastError, attempts: t.retries + 1 });
    this.o.store.update(incident.id, { time: this.o.clock.now(), what: `notifying ${name} failed (${lastError}); dead letter kept` });
  }
}
