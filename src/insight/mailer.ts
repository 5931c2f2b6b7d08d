/**
 * Email to people, through the configured SMTP server (nodemailer): TLS or STARTTLS
 * required as configured, certificates checked, every connection under a deadline. A
 * bounded queue; each email retried with backoff, then kept as a dead letter that names the
 * notice (never the email, whose links are secrets) so `dead-letters retry` can render it again.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { UserInsightConfig } from '../config/load.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../util/clock.js';

export interface Email {
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface MailResult {
  ok: boolean;
  error?: string;
  attempts: number;
}

export class Mailer {
  readonly #transport: Transporter;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(private readonly o: { smtp: UserInsightConfig['smtp']; maxQueued: number; clock: Clock; log: Logger; backoffMs?: number }) {
    const s = o.smtp;
    this.#transport = nodemailer.createTransport({
      host: s.host, port: s.port, secure: s.security === 'tls', requireTLS: s.security === 'starttls', ignoreTLS: s.security === 'none',
      ...(s.user && s.password ? { auth: { user: s.user, pass: s.password.reveal() } } : {}),
      tls: { minVersion: 'TLSv1.2', servername: s.host, ...(s.ca ? { ca: s.ca } : {}) },
      connectionTimeout: s.timeoutMs, greetingTimeout: s.timeoutMs, socketTimeout: s.timeoutMs * 2, dnsTimeout: s.timeoutMs,
      logger: false, debug: false,
    });
  }

  get queued(): number {
    return this.#inFlight.size;
  }

  /** Sends in the background; `done` hears the result (delivered, or the last error after the retries). */
  send(email: Email, done: (r: MailResult) => void): void {
    if (this.#inFlight.size >= this.o.maxQueued) {
      this.o.log.error({ event: 'mail_queue_full', maxQueued: this.o.maxQueued }, `${this.o.maxQueued} emails already wait to be sent (userInsight.maxQueued): this one is kept as a dead letter`);
      done({ ok: false, error: 'queue full', attempts: 0 });
      return;
    }
    const p = this.deliver(email).then(done, (err: unknown) => done({ ok: false, error: String(err), attempts: 0 })).finally(() => this.#inFlight.delete(p));
    this.#inFlight.add(p);
  }

  /** Sends now, with the retries; resolves with the result (never rejects). */
  async deliver(email: Email): Promise<MailResult> {
    const retries = this.o.smtp.retries;
    let error = '';
    let attempts = 0;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise<void>((r) => this.o.clock.setTimer((this.o.backoffMs ?? 2_000) * 2 ** (attempt - 1), r));
      attempts++;
      try {
        await this.#transport.sendMail({
          from: this.o.smtp.from, to: email.to, subject: email.subject, text: email.text, html: email.html,
          // Auto-replies and out-of-office answers are not wanted (RFC 3834).
          headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
        });
        return { ok: true, attempts };
      } catch (err) {
        const e = err as { code?: string; responseCode?: number; message?: string };
        // The server's words, without the message (which could hold the links).
        error = e.responseCode ? `SMTP ${e.responseCode}${e.code ? ` ${e.code}` : ''}` : (e.code ?? 'send failed');
        if (e.responseCode && e.responseCode >= 500 && e.responseCode < 600 && e.code !== 'EAUTH') break; // a permanent refusal stays so
      }
    }
    return { ok: false, error, attempts };
  }

  /** Connects, says hello and authenticates, sending nothing (`bindwall doctor`); rejects with nodemailer's error. */
  async verify(): Promise<void> {
    await this.#transport.verify();
  }

  async drain(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  close(): void {
    this.#transport.close();
  }
}
