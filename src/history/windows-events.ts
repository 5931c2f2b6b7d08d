/**
 * Windows Security events from domain controllers as logon events: 4624 (a logon, with its
 * logon type), 4625 (a failed one, with its status), 4768 (a Kerberos ticket requested), 4771
 * (Kerberos pre-authentication failed) and 4776 (NTLM credential validation) — from EVTX
 * rendered as XML (`wevtutil qe Security /f:xml`, named Data fields) or from
 * `Get-WinEvent | ConvertTo-Json` (positional Properties, in each event's documented order).
 * So "a workstation not associated with the user" works from DC logons too.
 */
import { isIP } from 'node:net';
import { AccountKind, canonicalAccount, type LogonEvent } from '../behavior/logon-event.js';
import { BindResult } from '../behavior/bind-result.js';
import { subnetOf } from '../util/cidr.js';

/** Field order of each event's EventData (Microsoft's event schemas). */
const FIELDS: Record<number, readonly string[]> = {
  4624: ['SubjectUserSid', 'SubjectUserName', 'SubjectDomainName', 'SubjectLogonId', 'TargetUserSid', 'TargetUserName', 'TargetDomainName', 'TargetLogonId', 'LogonType', 'LogonProcessName', 'AuthenticationPackageName', 'WorkstationName', 'LogonGuid', 'TransmittedServices', 'LmPackageName', 'KeyLength', 'ProcessId', 'ProcessName', 'IpAddress', 'IpPort'],
  4625: ['SubjectUserSid', 'SubjectUserName', 'SubjectDomainName', 'SubjectLogonId', 'TargetUserSid', 'TargetUserName', 'TargetDomainName', 'Status', 'FailureReason', 'SubStatus', 'LogonType', 'LogonProcessName', 'AuthenticationPackageName', 'WorkstationName', 'TransmittedServices', 'LmPackageName', 'KeyLength', 'ProcessId', 'ProcessName', 'IpAddress', 'IpPort'],
  4768: ['TargetUserName', 'TargetDomainName', 'TargetSid', 'ServiceName', 'ServiceSid', 'TicketOptions', 'Status', 'TicketEncryptionType', 'PreAuthType', 'IpAddress', 'IpPort'],
  4771: ['TargetUserName', 'TargetSid', 'ServiceName', 'TicketOptions', 'Status', 'PreAuthType', 'IpAddress', 'IpPort'],
  4776: ['PackageName', 'TargetUserName', 'Workstation', 'Status'],
};

export const WINDOWS_EVENT_IDS: readonly number[] = Object.keys(FIELDS).map(Number);

const LOGON_TYPES: Record<string, string> = {
  2: 'interactive', 3: 'network', 4: 'batch', 5: 'service', 7: 'unlock', 8: 'network-cleartext', 9: 'new-credentials', 10: 'remote-interactive', 11: 'cached-interactive',
};

/** NTSTATUS (4625, 4776) and Kerberos (4768, 4771) codes by what they mean. */
const NT_STATUS: Record<string, BindResult> = {
  '0x0': BindResult.Success, '0xc000006a': BindResult.BadPassword, '0xc0000064': BindResult.UnknownUser, '0xc0000234': BindResult.Locked,
  '0xc0000072': BindResult.Disabled, '0xc0000071': BindResult.Expired, '0xc0000224': BindResult.Expired, '0xc0000193': BindResult.Expired,
  '0xc000006f': BindResult.Restricted, '0xc0000070': BindResult.Restricted, '0xc000015b': BindResult.Restricted, '0xc000006d': BindResult.BadPassword,
};
const KERBEROS: Record<string, BindResult> = {
  '0x0': BindResult.Success, '0x6': BindResult.UnknownUser, '0x12': BindResult.Locked, '0x17': BindResult.Expired, '0x18': BindResult.BadPassword, '0x25': BindResult.OtherFailure,
};

/** "0xC000006A", 3221225578 or -1073741718 → "0xc000006a". */
function hex(v: string | undefined): string {
  if (v === undefined) return '';
  const t = v.trim().toLowerCase();
  if (t.startsWith('0x')) return `0x${BigInt(t).toString(16)}`;
  if (/^-?\d+$/.test(t)) return `0x${(Number(t) >>> 0).toString(16)}`;
  return t;
}

const blank = (v: string | undefined): boolean => v === undefined || v === '' || v === '-';

/** One event, its fields by name, as a logon event (undefined: not a logon of interest). */
export function logonFromWindows(id: number, time: number, d: Record<string, string>, computer?: string): LogonEvent | undefined {
  const user = d.TargetUserName;
  if (blank(user) || /^(anonymous logon|system|local service|network service)$/i.test(user!) || !Number.isFinite(time)) return undefined;
  const domain = blank(d.TargetDomainName) ? undefined : d.TargetDomainName;
  const rawIp = (d.IpAddress ?? '').replace(/^::ffff:/i, '');
  const ip = isIP(rawIp) && rawIp !== '127.0.0.1' && rawIp !== '::1' ? rawIp : undefined;
  const workstation = blank(d.WorkstationName) ? (blank(d.Workstation) ? undefined : d.Workstation) : d.WorkstationName;
  const endpoint = ip ?? workstation?.replace(/^\\\\/, '').toLowerCase() ?? computer?.toLowerCase();
  if (!endpoint) return undefined;
  let result: BindResult | undefined;
  let app: string;
  switch (id) {
    case 4624:
      result = BindResult.Success;
      app = `windows:${LOGON_TYPES[d.LogonType ?? ''] ?? `logon-type-${d.LogonType ?? '?'}`}`;
      break;
    case 4625:
      result = NT_STATUS[hex(d.SubStatus)] ?? NT_STATUS[hex(d.Status)] ?? BindResult.OtherFailure;
      if (result === BindResult.Success) result = NT_STATUS[hex(d.Status)] ?? BindResult.OtherFailure;
      app = `windows:${LOGON_TYPES[d.LogonType ?? ''] ?? `logon-type-${d.LogonType ?? '?'}`}`;
      break;
    case 4768:
    case 4771:
      result = KERBEROS[hex(d.Status)] ?? BindResult.OtherFailure;
      app = 'windows:kerberos';
      break;
    case 4776:
      result = NT_STATUS[hex(d.Status)] ?? BindResult.OtherFailure;
      app = 'windows:ntlm';
      break;
    default:
      return undefined;
  }
  const computerAccount = user!.endsWith('$');
  return {
    time, account: canonicalAccount(user!), bindName: domain ? `${domain}\\${user}` : user!, source: 'windows',
    kind: computerAccount ? AccountKind.Computer : AccountKind.Human, endpoint, subnet: ip ? subnetOf(ip) : endpoint,
    ...(workstation && ip ? { endpointName: workstation.replace(/^\\\\/, '').toLowerCase() } : {}), app, result,
  };
}

const unescapeXml = (s: string): string => s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (m, e: string) => {
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
  if (named[e.toLowerCase()]) return named[e.toLowerCase()]!;
  return String.fromCodePoint(e[1]!.toLowerCase() === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
});

export interface RawWindowsEvent {
  id: number;
  time: number;
  data: Record<string, string>;
  computer?: string;
  /** Where it was in the file (1-based line of its start), for rejects. */
  line: number;
}

/** Every <Event> of an XML export (one <Events> document, or events one after another). */
export function* windowsEventsFromXml(text: string): Generator<RawWindowsEvent | { error: string; line: number }> {
  const re = /<Event[\s>][\s\S]*?<\/Event>/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const xml = m[0];
    const line = text.slice(0, m.index).split('\n').length;
    const id = Number(/<EventID[^>]*>\s*(\d+)\s*<\/EventID>/.exec(xml)?.[1]);
    const time = Date.parse(/<TimeCreated\s+SystemTime=['"]([^'"]+)['"]/.exec(xml)?.[1] ?? '');
    if (!Number.isFinite(id) || !Number.isFinite(time)) {
      yield { error: 'an <Event> without EventID or TimeCreated', line };
      continue;
    }
    const data: Record<string, string> = {};
    for (const d of xml.matchAll(/<Data\s+Name=['"]([^'"]+)['"]\s*(?:\/>|>([\s\S]*?)<\/Data>)/g)) data[d[1]!] = unescapeXml(d[2] ?? '');
    const computer = /<Computer>([^<]*)<\/Computer>/.exec(xml)?.[1];
    yield { id, time, data, line, ...(computer ? { computer: unescapeXml(computer) } : {}) };
  }
}

/** `Get-WinEvent | ConvertTo-Json`: an array (or one object) with Id, TimeCreated and positional Properties. */
export function* windowsEventsFromJson(value: unknown): Generator<RawWindowsEvent | { error: string; line: number }> {
  const items = Array.isArray(value) ? value : [value];
  for (let i = 0; i < items.length; i++) {
    const e = items[i] as { Id?: unknown; TimeCreated?: unknown; Properties?: unknown; MachineName?: unknown } | null;
    const line = i + 1; // the element's index: JSON exports are one document
    const id = Number(e?.Id);
    // PowerShell 5 writes "\/Date(1767600000000)\/"; 7 writes an ISO time.
    const tc = String(e?.TimeCreated ?? '');
    const ms = /Date\((-?\d+)/.exec(tc);
    const time = ms ? Number(ms[1]) : Date.parse(tc);
    const fields = FIELDS[id];
    if (!fields || !Array.isArray(e?.Properties) || !Number.isFinite(time)) {
      yield { error: fields ? 'an event without TimeCreated or Properties' : `event id ${String(e?.Id)} is not one of ${WINDOWS_EVENT_IDS.join(', ')}`, line };
      continue;
    }
    const data: Record<string, string> = {};
    (e!.Properties as { Value?: unknown }[]).forEach((p, k) => {
      if (fields[k]) data[fields[k]!] = p?.Value === null || p?.Value === undefined ? '' : String(p.Value);
    });
    yield { id, time, data, line, ...(typeof e?.MachineName === 'string' ? { computer: e.MachineName } : {}) };
  }
}
