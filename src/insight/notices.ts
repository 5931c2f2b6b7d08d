/**
 * What people are told about their account, and when not: a notice per kind of activity
 * the config turns on, at most one per device (app, change) per window, at most so many per
 * person per day, none while an identity is still learning (behaviour asks novelty only of
 * mature identities). Each notice gets an opaque reference and two signed links; the email
 * is rendered from the admin's templates and sent in the background.
 */
import type { NoticeKind } from '../config/insight-schema.js';
import type { UserInsightConfig } from '../config/load.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { IncidentStore } from '../store/incident-store.js';
import { NoticeStatus, type Notice, type NoticeEvent, type NoticeStore } from '../store/notice-store.js';
import type { Clock } from '../util/clock.js';
import type { LinkSigner } from './links.js';
import { newReference } from './links.js';
import type { Email, Mailer, MailResult } from './mailer.js';
import { renderNotice } from './templates.js';

const DAY_MS = 86_400_000;

/** A time in the template's language and the organisation's zone ("Tuesday, 1 December 2026 at 17:32 GMT"). */
export function formatTime(d: Date, language: string, timeZone: string): string {
  try {
    return new Intl.DateTimeFormat(language, { dateStyle: 'full', timeStyle: 'long', timeZone }).format(d);
  } catch {
    return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  }
}
const ADDRESS = /^[^\s@<>()",;:\\]+@[^\s@<>()",;:\\]+\.[^\s@<>()",;:\\]+$/;

/** Where a person's email goes: the directory's attribute, else Okta's profile. */
export type AddressBook = (account: string, bindName: string | undefined) => Promise<string | undefined>;

export class UserNotices {
  #created = 0;
  readonly #sending = new Set<Promise<void>>();
  readonly #capped = new Map<string, number>();

  constructor(private readonly o: {
    config: UserInsightConfig; store: NoticeStore; incidents: IncidentStore; mailer: Mailer; links: LinkSigner; baseUrl: () => string;
    /** The organisation's time zone (behavior.timeZone): times are written as the person's clock shows them. */
    timeZone: string;
    addressOf: AddressBook; clock: Clock; log: Logger;
  }) {}

  /**
   * Tells the person, if this kind is on and they were not told of the same thing within the
   * window. `dedupe` names the thing (a device, an app, "password"). Returns the notice, or
   * undefined when none was due.
   */
  tell(kind: NoticeKind, account: string, dedupeOn: string, event: NoticeEvent, bindName?: string): Notice | undefined {
    const { config, store, clock, log } = this.o;
    if (!config.notifyOn[kind]) return undefined;
    const now = clock.now();
    const dedupe = `${account}|${kind}|${dedupeOn}`;
    try {
      if (store.toldSince(dedupe, now - config.windowMs)) return undefined;
      if (store.countSince(account, now - DAY_MS) >= config.maxPerPersonPerDay) {
        // Said once per person per day, not per notice held back.
        if ((this.#capped.get(account) ?? 0) < now - DAY_MS) {
          this.#capped.set(account, now);
          if (this.#capped.size > 10_000) this.#capped.delete(this.#capped.keys().next().value!);
          log.warn({ event: 'notice_capped', account, maxPerPersonPerDay: config.maxPerPersonPerDay }, `${account} was told of ${config.maxPerPersonPerDay} things today (userInsight.maxPerPersonPerDay): further notices are held back until tomorrow`);
        }
        return undefined;
      }
      const notice: Notice = {
        id: newReference(), time: now, account, kind, dedupe, event, status: NoticeStatus.Queued, expires: now + config.links.validForMs,
        answered: null, answer: null, incidentId: event.incidentId ?? null,
      };
      store.insert(notice);
      if (++this.#created % 100 === 0) store.prune(now, config.windowMs);
      log.info({ event: 'notice', notice: notice.id, kind, account }, `telling ${account} of ${kind.replace(/_/g, ' ')}`);
      const p = this.#send(notice, bindName).finally(() => this.#sending.delete(p));
      this.#sending.add(p);
      return notice;
    } catch (err) {
      log.error({ event: 'notice_failed', kind, account, error: describeError(err) }, `could not tell ${account} of ${kind.replace(/_/g, ' ')}`);
      return undefined;
    }
  }

  /** The email of a notice (also how `dead-letters retry` sends one again). */
  render(n: Notice, to: string): Email {
    const { config, links, baseUrl } = this.o;
    const t = config.templates[n.kind];
    const base = baseUrl();
    const when = new Date(n.event.time);
    const r = renderNotice(t, {
      account: n.account, time: formatTime(when, config.language, this.o.timeZone),
      ...(n.event.app ? { app: n.event.app } : {}), ...(n.event.device ? { device: n.event.device } : {}), ...(n.event.place ? { place: n.event.place } : {}),
      ...(n.event.source ? { source: n.event.source === 'okta' ? 'Okta' : n.event.source } : {}), ...(n.event.factor ? { factor: n.event.factor } : {}),
      reportUrl: base + links.path(n.id, 'denied'), confirmUrl: base + links.path(n.id, 'confirmed'),
      validDays: String(Math.round(config.links.validForMs / DAY_MS * 10) / 10),
    });
    return { to, ...r };
  }

  /** Sends a notice's email again (`dead-letters retry`): the address looked up, the links signed anew. */
  async resend(id: string): Promise<{ ok: boolean; error?: string }> {
    const n = this.o.store.get(id);
    if (!n) return { ok: false, error: `notice ${id} is no longer kept` };
    if (n.expires <= this.o.clock.now()) return { ok: false, error: `notice ${id}'s links have expired` };
    const to = await this.o.addressOf(n.account, undefined);
    if (!to || !ADDRESS.test(to)) return { ok: false, error: `no email address for ${n.account}` };
    const r = await this.o.mailer.deliver(this.render(n, to));
    this.o.store.setStatus(n.id, r.ok ? NoticeStatus.Sent : NoticeStatus.Failed);
    return r.ok ? { ok: true } : { ok: false, error: r.error ?? 'send failed' };
  }

  /** Resolves the address and sends; the outcome is stored, a failure kept as a dead letter. */
  async #send(n: Notice, bindName?: string): Promise<void> {
    const { store, log, mailer } = this.o;
    let to: string | undefined;
    try {
      to = await this.o.addressOf(n.account, bindName);
    } catch (err) {
      log.warn({ event: 'notice_no_address', notice: n.id, account: n.account, error: describeError(err) }, `no email address for ${n.account}: ${describeError(err).message}`);
    }
    if (!to || !ADDRESS.test(to)) {
      if (to) log.warn({ event: 'notice_bad_address', notice: n.id, account: n.account }, `the email address of ${n.account} is not one nodemailer should be given; not told`);
      else log.warn({ event: 'notice_no_address', notice: n.id, account: n.account }, `no email address for ${n.account} (directory ${this.o.config.mailAttribute}, or Okta's profile); not told`);
      store.setStatus(n.id, NoticeStatus.NoAddress);
      return;
    }
    await new Promise<void>((resolve) => mailer.send(this.render(n, to), (r) => {
      this.#settle(n, r);
      resolve();
    }));
  }

  #settle(n: Notice, r: MailResult): void {
    const { store, incidents, clock, log } = this.o;
    try {
      store.setStatus(n.id, r.ok ? NoticeStatus.Sent : NoticeStatus.Failed);
      if (r.ok) {
        log.info({ event: 'notice_sent', notice: n.id, kind: n.kind, account: n.account, attempts: r.attempts }, `${n.account} was told of ${n.kind.replace(/_/g, ' ')}`);
        if (n.incidentId) incidents.update(n.incidentId, { time: clock.now(), what: `the person was told by email (notice ${n.id})` });
        return;
      }
      log.error({ event: 'notice_send_failed', notice: n.id, account: n.account, error: r.error, attempts: r.attempts }, `could not email ${n.account} (${r.error}); kept as a dead letter`);
      incidents.deadLetter({ time: clock.now(), kind: 'email', target: 'email', incidentId: n.incidentId, payload: JSON.stringify({ notice: n.id }), error: r.error ?? 'failed', attempts: r.attempts });
    } catch (err) {
      log.error({ event: 'storage_error', error: describeError(err) }, 'could not store how a notice went');
    }
  }

  async drain(): Promise<void> {
    while (this.#sending.size > 0) await Promise.all([...this.#sending]);
    await this.o.mailer.drain();
  }
}
