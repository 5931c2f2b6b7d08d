/**
 * The webhook step: the incident as JSON to a SOAR or ticketing endpoint, signed when the
 * step has a secret (`X-Bindwall-Signature: sha256=<hex HMAC of timestamp.body>`, with the
 * timestamp in `X-Bindwall-Timestamp`, so a receiver can refuse replays).
 */
import { createHmac } from 'node:crypto';
import axios from 'axios';
import { BindwallError, ErrorCode } from '../errors.js';
import type { Secret } from '../log/secret.js';

export async function postWebhook(o: { url: string; timeoutMs: number; secret?: Secret<string>; body: string; now: number }): Promise<string> {
  const ts = String(Math.floor(o.now / 1000));
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'bindwall', 'X-Bindwall-Timestamp': ts };
  if (o.secret) headers['X-Bindwall-Signature'] = `sha256=${createHmac('sha256', o.secret.reveal()).update(`${ts}.${o.body}`).digest('hex')}`;
  let status: number;
  try {
    const res = await axios.post(o.url, o.body, { timeout: o.timeoutMs, validateStatus: () => true, headers, maxRedirects: 0, transformRequest: [(d: unknown) => d] });
    status = res.status;
  } catch (err) {
    throw new BindwallError(ErrorCode.ResponseStepFailed, `webhook ${new URL(o.url).host}: ${(err as { code?: string }).code ?? 'request failed'}`, { transient: true });
  }
  if (status >= 200 && status < 300) return `webhook ${new URL(o.url).host} answered ${status}`;
  throw new BindwallError(ErrorCode.ResponseStepFailed, `webhook ${new URL(o.url).host} answered HTTP ${status}`, { transient: status === 429 || status >= 500 });
}
