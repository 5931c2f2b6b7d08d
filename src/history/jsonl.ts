/**
 * The published logon-event format (JSONL, one event a line; `bindwall import schema` prints
 * its JSON Schema): when, who (account and/or the name as sent), from where, through which
 * app, how it ended — and, for evaluation, which attack campaign it belongs to. What
 * `bindwall simulate --out` writes is valid input. No field may carry a secret: a file with a
 * password-like field is refused as a whole.
 */
import { z } from 'zod';
import { AccountKind, canonicalAccount, type LogonEvent } from '../behavior/logon-event.js';
import { BindResult } from '../behavior/bind-result.js';
import { subnetOf } from '../util/cidr.js';
import { isIP } from 'node:net';
import { EndpointRole } from '../behavior/endpoint-role.js';

export const logonEventLine = z.strictObject({
  time: z.union([z.iso.datetime({ offset: true }), z.int().min(0)]).meta({ description: 'When: an ISO-8601 time, or milliseconds since 1970 (UTC).' }),
  account: z.string().min(1).max(512).optional().meta({ description: 'The canonical account (login name); derived from bindName when absent.' }),
  bindName: z.string().min(1).max(1024).optional().meta({ description: 'The name as the client sent it (DN, DOMAIN\\\\sam, UPN).' }),
  kind: z.enum(Object.values(AccountKind) as [string, ...string[]]).optional(),
  endpoint: z.string().min(1).max(256).meta({ description: 'The client address (or a device name when no address is known).' }),
  subnet: z.string().max(64).optional(),
  endpointName: z.string().max(256).optional(),
  app: z.string().min(1).max(256).default('ldap'),
  result: z.enum(Object.values(BindResult) as [string, ...string[]]),
  peerGroup: z.string().max(256).optional(),
  relayed: z.boolean().optional(),
  previousAccount: z.string().max(512).optional(),
  declaredRole: z.enum(Object.values(EndpointRole) as [string, ...string[]]).optional().meta({ description: 'What the address is, when known: device, shared, app_server, pool.' }),
  place: z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180), name: z.string().max(256).optional() }).optional()
    .meta({ description: 'Where on earth (a site, a cloud sign-in\'s geolocation), for impossible travel.' }),
  source: z.enum(['okta', 'ldap', 'windows']).optional(),
  id: z.string().min(1).max(256).optional().meta({ description: 'A unique id: a re-import of the same id is skipped.' }),
  attack: z.string().min(1).max(64).optional().meta({ description: 'Evaluation label: the attack type this event belongs to (absent: benign).' }),
  campaign: z.int().min(0).optional().meta({ description: 'Evaluation label: the attack campaign (events of one campaign share it).' }),
});
export type LogonEventLine = z.infer<typeof logonEventLine>;

export function logonEventSchema(): Record<string, unknown> {
  return { $id: 'https://bindwall.dev/schemas/logon-event.v1.json', title: 'bindwall logon event (one JSON object per line)', ...z.toJSONSchema(logonEventLine, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown> };
}

/** A top-level field name that could hold a secret: the file is refused, never stored. */
export const SECRET_FIELD = /pass(word|wd)?|pwd|secret|credential|otp|token|hash/i;

export interface Parsed {
  event: LogonEvent;
  id?: string;
  label?: { attack: string; campaign: number };
}

/** One line: the event, or why not (no secret in the message). */
export function parseLine(text: string): Parsed | { error: string; secret?: true } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: 'not JSON' };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { error: 'not a JSON object' };
  const secret = Object.keys(raw).find((k) => SECRET_FIELD.test(k));
  if (secret) return { error: `field "${secret}" looks like it carries a secret`, secret: true };
  const r = logonEventLine.safeParse(raw);
  if (!r.success) return { error: r.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(line)'}: ${i.message}`).join('; ') };
  const v = r.data;
  if (!v.account && !v.bindName) return { error: 'needs account or bindName' };
  const time = typeof v.time === 'number' ? v.time : Date.parse(v.time);
  const bindName = v.bindName ?? v.account!;
  const account = v.account ? canonicalAccount(v.account) : canonicalAccount(bindName);
  const event: LogonEvent = {
    time, account, bindName, kind: (v.kind ?? AccountKind.Human) as AccountKind, endpoint: v.endpoint,
    subnet: v.subnet ?? (isIP(v.endpoint) ? subnetOf(v.endpoint) : v.endpoint), app: v.app, result: v.result as BindResult,
    ...(v.endpointName ? { endpointName: v.endpointName } : {}), ...(v.peerGroup ? { peerGroup: v.peerGroup } : {}),
    ...(v.relayed !== undefined ? { relayed: v.relayed } : {}), ...(v.previousAccount ? { previousAccount: v.previousAccount } : {}),
    ...(v.source === 'okta' || v.source === 'windows' ? { source: v.source } : {}),
    ...(v.declaredRole ? { declaredRole: v.declaredRole as EndpointRole } : {}),
    ...(v.place ? { place: { lat: v.place.lat, lon: v.place.lon, ...(v.place.name ? { name: v.place.name } : {}) } } : {}),
  };
  return { event, ...(v.id ? { id: v.id } : {}), ...(v.attack ? { label: { attack: v.attack, campaign: v.campaign ?? 0 } } : {}) };
}
