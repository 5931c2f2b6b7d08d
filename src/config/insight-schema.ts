/**
 * The parts of bindwall.yaml for answering on people's behalf: `responses` (named response
 * workflows, their steps checked by config/responses.ts for clearer errors than a union
 * would give) and `userInsight` (emails to people about activity on their account, with
 * signed "this wasn't me" links).
 */
import { z } from 'zod';
import { ms } from './duration.js';

const DAY_MS = 86_400_000;
const port = z.int().min(0).max(65535);

export const workflowName = z.string().regex(/^[A-Za-z][\w-]*$/, { error: 'a workflow name uses letters, digits, "_" and "-", starting with a letter' });

/** Each workflow: a list of steps (`quarantine`, `notify: [targets]`, `okta.clearSessions` …), run in order. */
export const responses = z.record(workflowName, z.array(z.union([z.string(), z.record(z.string(), z.unknown())])).min(1)).default({});

/** How response steps that call out (Okta, webhooks) are retried before they become dead letters. */
export const responseRetryDefaults = { attempts: 5, backoffMs: 2_000, maxBackoffMs: 300_000 };
export const responseRetry = z.strictObject({
  attempts: z.int().min(1).max(20).default(responseRetryDefaults.attempts),
  backoffMs: ms(responseRetryDefaults.backoffMs),
  maxBackoffMs: ms(responseRetryDefaults.maxBackoffMs),
  /** Steps waiting for a retry at most; past it a step goes straight to the dead letters (said loudly). */
  maxPending: z.int().min(1).default(1_000),
}).default({ ...responseRetryDefaults, maxPending: 1_000 });

export const NoticeKinds = ['new_device', 'new_app', 'factor_enrolled', 'factor_reset', 'password_changed', 'failed_step_up'] as const;
export type NoticeKind = (typeof NoticeKinds)[number];

export const userInsightDefaults = {
  language: 'en', windowMs: DAY_MS, maxPerPersonPerDay: 10, maxQueued: 1_000, mailAttribute: 'mail', reportSeverity: 'high' as const,
  notifyOn: Object.fromEntries(NoticeKinds.map((k) => [k, true])) as Record<NoticeKind, boolean>,
};

export const userInsight = z.strictObject({
  /** Templates' language: a folder under templatesDir (en, de, fr are shipped). */
  language: z.string().regex(/^[a-z]{2}(-[A-Za-z]{2,4})?$/, { error: 'a language tag such as en, de or pt-BR' }).default('en'),
  /** Where the email templates are (one folder per language); without it, the shipped templates/user-insight/. */
  templatesDir: z.string().min(1).optional(),
  smtp: z.strictObject({
    host: z.string().min(1),
    port: port.default(587),
    /** starttls (submission, 587), tls (implicit, 465) or none (loopback only). */
    security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
    user: z.string().min(1).optional(),
    passwordFile: z.string().min(1).optional(),
    /** The sender, e.g. "IT Security <security@corp.example>". */
    from: z.string().min(3),
    /** CA for the SMTP server's certificate (otherwise the system's). */
    caFile: z.string().min(1).optional(),
    timeoutMs: ms(15_000),
    /** Sending retries, with backoff, before the email becomes a dead letter. */
    retries: z.int().min(0).max(10).default(3),
  }),
  links: z.strictObject({
    /** The URL people open (bindwall's web listener as they reach it); default: the listener's own URL. */
    baseUrl: z.string().min(1).optional(),
    /** The HMAC key that signs links: 32 bytes or more, in a file only bindwall reads. */
    keyFile: z.string().min(1),
    /** How long a link works (Okta's suspicious-activity links: 7 days). */
    validForMs: ms(7 * DAY_MS, 60_000),
  }),
  /** Which activity is reported to the person. */
  notifyOn: z.strictObject(Object.fromEntries(NoticeKinds.map((k) => [k, z.boolean().default(true)])) as Record<NoticeKind, z.ZodDefault<z.ZodBoolean>>)
    .default(userInsightDefaults.notifyOn),
  /** At most one notice per device (or app, or kind of account change) per window. */
  windowMs: ms(userInsightDefaults.windowMs, 60_000),
  /** Notices per person per day at most (a storm is cut off, and said so in the log). */
  maxPerPersonPerDay: z.int().min(1).max(1_000).default(userInsightDefaults.maxPerPersonPerDay),
  /** Emails waiting to be sent at most. */
  maxQueued: z.int().min(1).default(userInsightDefaults.maxQueued),
  /** The directory attribute with the person's address (read through directory.lookup); Okta's profile email otherwise. */
  mailAttribute: z.string().min(1).default(userInsightDefaults.mailAttribute),
  /** The workflow a "this wasn't me" report runs (under responses:). */
  onReport: workflowName.optional(),
  /** Severity of the incident a report opens. */
  reportSeverity: z.enum(['low', 'medium', 'high', 'critical']).default(userInsightDefaults.reportSeverity),
});
