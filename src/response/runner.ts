/**
 * Runs a response workflow on an incident. Steps that stay inside bindwall (quarantine,
 * revokeRemembered) run at once, in order, before the client is answered; steps that call
 * out (notify, Okta, webhook) start side by side so a slow Okta never holds a page. Each
 * step's result goes on the incident's timeline; one that fails is retried with backoff and
 * kept as a dead letter when it keeps failing (`bindwall dead-letters retry`).
 */
import { describeStep, StepKind, type ResponseStep, type Workflow } from '../config/responses.js';
import type { UserFacts } from '../directory/facts.js';
import { describeError } from '../errors.js';
import type { Notifier } from '../incidents/notify.js';
import type { Quarantine } from '../incidents/quarantine.js';
import type { Logger } from '../log/logger.js';
import type { Secret } from '../log/secret.js';
import type { Incident, IncidentStore } from '../store/incident-store.js';
import type { Clock } from '../util/clock.js';
import { isTransient as oktaTransient, type OktaAction, type OktaActions } from './okta-actions.js';
import { postWebhook } from './webhook.js';

export interface RetryOptions {
  attempts: number;
  backoffMs: number;
  maxBackoffMs: number;
  maxPending: number;
}

export interface ResponseTarget {
  incident: Incident;
  account: string;
  facts?: UserFacts | null;
}

/** What a dead letter of a step holds: enough to run it again, never a secret or a URL. */
export interface StepLetter {
  workflow: string;
  step: number;
  kind: string;
  account: string;
  login?: string;
}

export interface ResponseDeps {
  workflows: Readonly<Record<string, Workflow>>;
  store: IncidentStore;
  clock: Clock;
  log: Logger;
  retry: RetryOptions;
  notifier?: Notifier;
  quarantine?: Quarantine;
  /** Drops an account's remembered MFA passes; the number dropped. */
  forgetPasses?: (account: string) => number;
  okta?: OktaActions;
}

const transient = (err: unknown): boolean => {
  const d = (err as { details?: { transient?: unknown } }).details;
  return typeof d?.transient === 'boolean' ? d.transient : oktaTransient(err);
};

export class ResponseRunner {
  readonly #inFlight = new Set<Promise<void>>();
  #pending = 0;

  #workflows: Readonly<Record<string, Workflow>>;

  constructor(private readonly o: ResponseDeps) {
    this.#workflows = o.workflows;
  }

  /** New workflows (a config reload); runs under way finish as they began. */
  setWorkflows(workflows: Readonly<Record<string, Workflow>>): void {
    this.#workflows = workflows;
  }

  /** Runs a named workflow (or inline steps: a rule's quarantine / notify); returns the incident as it is after the steps that ran at once. */
  run(workflow: string, t: ResponseTarget, inline?: Workflow): Incident {
    const steps = inline ?? this.#workflows[workflow];
    let incident = t.incident;
    if (!steps) {
      this.o.log.error({ event: 'response_unknown_workflow', workflow, incident: incident.id }, `response workflow "${workflow}" is not configured; nothing was done for incident #${incident.id}`);
      return this.#note(incident, `response ${workflow}: not configured, nothing done`);
    }
    const label = (i: number, s: ResponseStep): string => `response ${workflow} step ${i + 1}/${steps.length} (${describeStep(s)})`;
    steps.forEach((s, i) => {
      try {
        switch (s.kind) {
          case StepKind.Quarantine: {
            if (!this.o.quarantine) {
              incident = this.#note(incident, `${label(i, s)}: no quarantine here`);
              return;
            }
            const now = this.o.clock.now();
            this.o.quarantine.add(t.account, {
              reason: `incident #${incident.id}: ${incident.failure}`, source: `response:${workflow}`, releaseOn: s.releaseOn, incidentId: incident.id,
              ...(s.forMs ? { untilMs: now + s.forMs } : {}),
            });
            incident = this.#note(incident, `${label(i, s)}: account ${t.account} quarantined${s.releaseOn === 'verified' ? ' until the person passes a step-up' : ' until an analyst releases it'}`);
            return;
          }
          case StepKind.RevokeRemembered: {
            const n = this.o.forgetPasses?.(t.account) ?? 0;
            incident = this.#note(incident, `${label(i, s)}: ${n} remembered MFA pass(es) dropped`);
            return;
          }
          case StepKind.Notify:
            if (!this.o.notifier) incident = this.#note(incident, `${label(i, s)}: notifications are not set up here`);
            else this.o.notifier.notify(incident, s.targets);
            return;
          default:
            this.#start(() => this.#callOut(workflow, i, s, t, label(i, s)));
        }
      } catch (err) {
        // A failing step is recorded and the next ones still run: half a response beats none.
        this.o.log.error({ event: 'response_step_failed', workflow, step: s.kind, incident: incident.id, error: describeError(err) }, `${label(i, s)} failed for incident #${incident.id}`);
        incident = this.#note(incident, `${label(i, s)}: failed (${describeError(err).message})`);
      }
    });
    return incident;
  }

  /** Resolves when every step under way has finished or become a dead letter. */
  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
    await this.o.notifier?.drain();
  }

  /** One try of a step that calls out (also what `dead-letters retry` runs). */
  async once(s: ResponseStep, letter: StepLetter, body: () => string): Promise<string> {
    switch (s.kind) {
      case StepKind.OktaClearSessions:
      case StepKind.OktaSuspend:
      case StepKind.OktaResetFactors: {
        if (!this.o.okta) throw Object.assign(new Error('mfa.okta is not configured'), { details: { transient: false } });
        if (!letter.login) throw Object.assign(new Error(`no Okta login for ${letter.account} (mfa.okta.loginTemplate needs a directory attribute it lacks)`), { details: { transient: false } });
        return this.o.okta.run(s.kind as OktaAction, letter.login);
      }
      case StepKind.Webhook:
        return postWebhook({ url: s.url, timeoutMs: s.timeoutMs, ...(s.secret ? { secret: s.secret as Secret<string> } : {}), body: body(), now: this.o.clock.now() });
      default:
        throw new Error(`step ${s.kind} does not call out`);
    }
  }

  #start(fn: () => Promise<void>): void {
    const p = fn().catch((err: unknown) => this.o.log.error({ event: 'response_error', error: describeError(err) }, 'a response step ended with an unexpected error')).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  async #callOut(workflow: string, index: number, s: ResponseStep, t: ResponseTarget, label: string): Promise<void> {
    const { store, clock, log, retry } = this.o;
    const id = t.incident.id;
    const login = this.o.okta?.loginOf(t.account, t.facts);
    const letter: StepLetter = { workflow, step: index, kind: s.kind, account: t.account, ...(login ? { login } : {}) };
    const body = (): string => JSON.stringify(stepBody(workflow, s, store.get(id) ?? t.incident));
    let error = '';
    let attempts = 0;
    const overloaded = this.#pending >= retry.maxPending;
    for (let attempt = 0; attempt < (overloaded ? 1 : retry.attempts); attempt++) {
      if (attempt > 0) {
        const wait = Math.min(retry.maxBackoffMs, retry.backoffMs * 2 ** (attempt - 1));
        this.#pending++;
        try {
          await new Promise<void>((r) => clock.setTimer(wait, r));
        } finally {
          this.#pending--;
        }
      }
      attempts++;
      try {
        const what = await this.once(s, letter, body);
        store.update(id, { time: clock.now(), what: `${label}: ${what}${attempt > 0 ? ` (attempt ${attempt + 1})` : ''}` });
        log.info({ event: 'response_step', workflow, step: s.kind, incident: id, attempt: attempt + 1 }, `${label}: ${what}`);
        return;
      } catch (err) {
        error = describeError(err).message;
        const again = transient(err) && attempt + 1 < (overloaded ? 1 : retry.attempts);
        store.update(id, { time: clock.now(), what: `${label}: attempt ${attempt + 1} failed (${error})${again ? '; will retry' : ''}` });
        if (!again) break;
      }
    }
    if (overloaded) log.error({ event: 'response_overloaded', maxPending: retry.maxPending }, `more than ${retry.maxPending} response steps wait for a retry: this one goes straight to the dead letters`);
    log.error({ event: 'response_step_failed', workflow, step: s.kind, incident: id, error, attempts }, `${label} failed for incident #${id}: ${error}; kept as a dead letter`);
    const dl = store.deadLetter({ time: clock.now(), kind: 'step', target: s.kind, incidentId: id, payload: JSON.stringify(letter), error, attempts });
    store.update(id, { time: clock.now(), what: `${label}: gave up after ${attempts} attempt(s); dead letter #${dl} kept (bindwall dead-letters retry ${dl})` });
  }

  #note(incident: Incident, what: string): Incident {
    return this.o.store.update(incident.id, { time: this.o.clock.now(), what }) ?? incident;
  }
}

/** The webhook's JSON: the workflow, the step and the incident (no secrets are in an incident). */
export function stepBody(workflow: string, s: ResponseStep, i: Incident): unknown {
  return {
    type: 'bindwall.response', workflow, step: s.kind,
    incident: { ...i, time: new Date(i.time).toISOString(), updated: new Date(i.updated).toISOString(), timeline: i.timeline.map((e) => ({ ...e, time: new Date(e.time).toISOString() })) },
  };
}
