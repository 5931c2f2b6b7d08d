/**
 * A real SMTP receiver on loopback (the smtp-server package): STARTTLS with the test CA's
 * certificate, AUTH PLAIN/LOGIN against one account, every message kept whole. Links are read
 * out of the text part as a mail client would show them (quoted-printable decoded).
 */
import { SMTPServer } from 'smtp-server';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { testCerts } from './certs.js';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  /** The decoded text and HTML parts, joined. */
  body: string;
  subject: string;
}

export interface SmtpReceiver {
  port: number;
  mails: ReceivedMail[];
  /** Waits (bounded) until `n` mails have arrived. */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedMail[]>;
  /** Refuse the next `n` messages with a temporary error (451). */
  failNext(n: number): void;
  stop(): Promise<void>;
}

export const SMTP_USER = 'bindwall';
export const SMTP_PASSWORD = 'smtp-Pass-77';

function decodeQp(s: string): string {
  const bytes: number[] = [];
  const text = s.replace(/=\r?\n/g, '');
  for (let i = 0; i < text.length; i++) {
    const m = text[i] === '=' ? /^[0-9A-F]{2}$/i.exec(text.slice(i + 1, i + 3)) : null;
    if (m) {
      bytes.push(parseInt(m[0], 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The decoded parts of a MIME message (text/plain and text/html, quoted-printable or base64). */
export function decodeParts(raw: string): string {
  const parts = raw.split(/\r?\n--[^\r\n]+\r?\n/);
  return parts.map((p) => {
    const i = p.search(/\r?\n\r?\n/);
    if (i < 0) return '';
    const head = p.slice(0, i);
    const body = p.slice(i).trim();
    if (/content-transfer-encoding:\s*quoted-printable/i.test(head)) return decodeQp(body);
    if (/content-transfer-encoding:\s*base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    return body;
  }).join('\n');
}

export async function startSmtp(): Promise<SmtpReceiver> {
  const certs = testCerts();
  const mails: ReceivedMail[] = [];
  let failing = 0;
  const server = new SMTPServer({
    secure: false, key: readFileSync(certs.keyFile), cert: readFileSync(certs.certFile), authMethods: ['PLAIN', 'LOGIN'], logger: false, banner: 'bindwall test receiver',
    onAuth(auth, _session, cb) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failing > 0) {
          failing--;
          cb(Object.assign(new Error('try again later'), { responseCode: 451 }));
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const subject = /^Subject: (.*)$/im.exec(raw)?.[1] ?? '';
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw, body: decodeParts(raw),
          subject,
        });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port, mails,
    failNext: (n) => {
      failing = n;
    },
    async waitFor(n, timeoutMs = 10_000) {
      for (let i = 0; i < timeoutMs / 10 && mails.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      if (mails.length < n) throw new Error(`expected ${n} mail(s), got ${mails.length}`);
      return mails;
    },
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The report links in a mail: [this wasn't me, this was me]. */
export function linksIn(m: ReceivedMail): { report: string; confirm?: string } {
  const found = [...new Set([...m.body.matchAll(/https?:\/\/[^\s"<>]+\/r\/[A-Za-z0-9_-]+\.[ny]\.[A-Za-z0-9_-]+/g)].map((x) => x[0]))];
  const report = found.find((u) => u.includes('.n.'));
  if (!report) throw new Error(`no report link in mail "${m.subject}"`);
  const confirm = found.find((u) => u.includes('.y.'));
  return { report, ...(confirm ? { confirm } : {}) };
}
