/**
 * Reads history files into logon events, in time order, for `bindwall import` (seeding
 * baselines before go-live) and `simulate --evaluate --events` (measuring on one's own
 * history). Formats: the published JSONL logon-event format, an Okta System Log export (a
 * JSON array or JSONL of LogEvents), Windows Security events (EVTX XML, or Get-WinEvent |
 * ConvertTo-Json). Every reject is reported with its line; a file that looks like it carries
 * secrets is refused as a whole.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { LogonEvent } from '../behavior/logon-event.js';
import { logonFromOkta, type OktaLogEvent } from '../connectors/okta-sso/mapping.js';
import { parseLine, SECRET_FIELD } from './jsonl.js';
import { logonFromWindows, windowsEventsFromJson, windowsEventsFromXml } from './windows-events.js';

export const HistoryFormat = { Jsonl: 'jsonl', Okta: 'okta', WindowsXml: 'windows-xml', WindowsJson: 'windows-json' } as const;
export type HistoryFormat = (typeof HistoryFormat)[keyof typeof HistoryFormat];

export interface HistoryEntry {
  event: LogonEvent;
  /** Stable across re-imports: the given id, the Okta uuid, or a hash of the event's fields. */
  id: string;
  label?: { attack: string; campaign: number };
  file: string;
}

export interface FileReport {
  file: string;
  format: HistoryFormat;
  records: number;
  events: number;
  /** Records that are not logons (another event type): skipped, not errors. */
  skipped: number;
  rejected: number;
  /** The first rejects, with where they are. */
  rejects: { line: number; reason: string }[];
  /** The whole file was refused (e.g. it looks like it carries secrets). */
  refused?: string;
}

const MAX_FILE_BYTES = 2 * 1024 * 1024 * 1024;
const MAX_REJECTS_SHOWN = 20;

const idOf = (e: LogonEvent): string => createHash('sha256').update(JSON.stringify([e.time, e.account, e.bindName, e.endpoint, e.app, e.result, e.source ?? ''])).digest('base64url').slice(0, 32);

/** Which format a file is in, from its name and first bytes (or what --format says). */
export function detectFormat(file: string, head: string): HistoryFormat | undefined {
  if (/\.xml$/i.test(file) || /^\s*(<\?xml|<Events?[\s>])/.test(head)) return HistoryFormat.WindowsXml;
  const first = head.trimStart();
  if (first.startsWith("[")) return /"Properties"\s*:/.test(head) ? HistoryFormat.WindowsJson : HistoryFormat.Okta;
  if (first.startsWith('{')) {
    if (/"eventType"\s*:/.test(head) && /"uuid"\s*:/.test(head)) return HistoryFormat.Okta;
    if (/"Properties"\s*:/.test(head)) return HistoryFormat.WindowsJson;
    return HistoryFormat.Jsonl;
  }
  return undefined;
}

export function readHistoryFile(file: string, format?: HistoryFormat): { report: FileReport; entries: HistoryEntry[] } {
  const size = statSync(file).size;
  if (size > MAX_FILE_BYTES) throw new Error(`${file} is larger than 2 GiB: split it`);
  const text = readFileSync(file, 'utf8');
  const fmt = format ?? detectFormat(file, text.slice(0, 4096));
  const report: FileReport = { file, format: fmt ?? HistoryFormat.Jsonl, records: 0, events: 0, skipped: 0, rejected: 0, rejects: [] };
  const entries: HistoryEntry[] = [];
  const reject = (line: number, reason: string): void => {
    report.rejected++;
    if (report.rejects.length < MAX_REJECTS_SHOWN) report.rejects.push({ line, reason });
  };
  if (!fmt) {
    report.refused = 'not a history format bindwall reads (JSONL logon events, an Okta System Log export, Windows events as XML or JSON); give --format';
    return { report, entries };
  }
  const add = (event: LogonEvent | undefined, id: string | undefined, label?: HistoryEntry['label']): void => {
    if (!event) {
      report.skipped++;
      return;
    }
    report.events++;
    entries.push({ event, id: id ?? idOf(event), file, ...(label ? { label } : {}) });
  };
  switch (fmt) {
    case HistoryFormat.Jsonl: {
      const lines = text.split('\n');
      for (let i = 0; i < lines.length; i++) {
        const t = lines[i]!.trim();
        if (t === '') continue;
        report.records++;
        const p = parseLine(t);
        if ('error' in p) {
          if (p.secret) {
            // Nothing from a file that carries secrets: it is not kept, and the admin is told where.
            report.refused = `line ${i + 1}: ${p.error}; bindwall never stores passwords — remove the field and import again`;
            return { report: { ...report, events: 0 }, entries: [] };
          }
          reject(i + 1, p.error);
          continue;
        }
        add(p.event, p.id, p.label);
      }
      break;
    }
    case HistoryFormat.Okta: {
      const records: { value: unknown; line: number }[] = [];
      if (text.trimStart().startsWith('[')) {
        try {
          (JSON.parse(text) as unknown[]).forEach((value, k) => records.push({ value, line: k + 1 }));
        } catch {
          report.refused = 'not valid JSON';
          return { report, entries };
        }
      } else {
        text.split('\n').forEach((l, k) => {
          if (l.trim() === '') return;
          try {
            records.push({ value: JSON.parse(l), line: k + 1 });
          } catch {
            reject(k + 1, 'not JSON');
          }
        });
      }
      for (const r of records) {
        report.records++;
        const e = r.value as OktaLogEvent;
        if (!e || typeof e.uuid !== 'string' || typeof e.eventType !== 'string' || typeof e.published !== 'string') {
          reject(r.line, 'not an Okta LogEvent (uuid, eventType, published)');
          continue;
        }
        add(logonFromOkta(e), `okta:${e.uuid}`);
      }
      break;
    }
    case HistoryFormat.WindowsXml:
    case HistoryFormat.WindowsJson: {
      let raws;
      if (fmt === HistoryFormat.WindowsXml) raws = windowsEventsFromXml(text);
      else {
        try {
          raws = windowsEventsFromJson(JSON.parse(text));
        } catch {
          report.refused = 'not valid JSON';
          return { report, entries };
        }
      }
      for (const r of raws) {
        report.records++;
        if ('error' in r) {
          reject(r.line, r.error);
          continue;
        }
        const secret = Object.keys(r.data).find((k) => SECRET_FIELD.test(k) && r.data[k] !== '' && r.data[k] !== '-');
        if (secret) {
          report.refused = `event at line ${r.line}: field "${secret}" looks like it carries a secret; bindwall never stores passwords`;
          return { report: { ...report, events: 0 }, entries: [] };
        }
        add(logonFromWindows(r.id, r.time, r.data, r.computer), undefined);
      }
      break;
    }
  }
  return { report, entries };
}

/** Several files, their events merged in time order. */
export function readHistory(files: readonly string[], format?: HistoryFormat): { reports: FileReport[]; entries: HistoryEntry[] } {
  const reports: FileReport[] = [];
  const entries: HistoryEntry[] = [];
  for (const f of files) {
    const r = readHistoryFile(f, format);
    reports.push(r.report);
    for (const e of r.entries) entries.push(e);
  }
  entries.sort((a, b) => a.event.time - b.event.time);
  return { reports, entries };
}
