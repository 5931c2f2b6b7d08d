/**
 * `bindwall import FILE… --config FILE [--format F] [--dry-run] [--json]` seeds behaviour
 * baselines from history before go-live (stop bindwall first: a running proxy keeps its
 * baselines in memory and would write over them); `bindwall import schema` prints the JSON
 * Schema of the published JSONL logon-event format. Idempotent: what was imported is skipped.
 */
import { parseArgs } from 'node:util';
import { startBehavior } from '../behavior/setup.js';
import { loadConfigFile } from '../config/load.js';
import { HistoryFormat, readHistory, type FileReport } from '../history/import.js';
import { logonEventSchema } from '../history/jsonl.js';
import { silentLogger } from '../log/logger.js';
import { ImportStore } from '../store/import-store.js';
import { runningOn } from '../store/running.js';
import { openDatabase } from '../store/db.js';
import { existsSync } from 'node:fs';
import { UsageError } from './usage.js';

export const IMPORT_USAGE = 'usage: bindwall import FILE… --config FILE [--format jsonl|okta|windows-xml|windows-json] [--dry-run] [--json]  |  bindwall import schema';

const FORMATS: readonly string[] = Object.values(HistoryFormat);

function describe(r: FileReport, imported: number, duplicates: number): string[] {
  if (r.refused) return [`${r.file}: refused (${r.refused})`];
  const lines = [`${r.file} (${r.format}): ${r.records} records, ${r.events} logons — ${imported} imported, ${duplicates} already imported, ${r.skipped} not logons, ${r.rejected} rejected`];
  for (const x of r.rejects) lines.push(`  ${r.file}:${x.line}: ${x.reason}`);
  if (r.rejected > r.rejects.length) lines.push(`  … and ${r.rejected - r.rejects.length} more`);
  return lines;
}

export function importCommand(args: string[], out: (s: string) => void, err: (s: string) => void): number {
  if (args[0] === 'schema' && args.length === 1) {
    out(JSON.stringify(logonEventSchema(), null, 2));
    return 0;
  }
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: { config: { type: 'string', short: 'c' }, format: { type: 'string' }, 'dry-run': { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
  });
  if (positionals.length === 0 || !values.config) throw new UsageError(IMPORT_USAGE);
  if (values.format !== undefined && !FORMATS.includes(values.format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}\n${IMPORT_USAGE}`);
  const config = loadConfigFile(values.config);
  // A running proxy keeps baselines in memory and would write them over what is imported.
  const pid = values['dry-run'] ? undefined : runningOn(config.storage.path);
  if (pid !== undefined) {
    err(`bindwall: bindwall (pid ${pid}) is running on ${config.storage.path}; stop it, import, then start it again (--dry-run works alongside)`);
    return 1;
  }
  const { reports, entries } = readHistory(positionals, values.format as HistoryFormat | undefined);
  const perFile = new Map<string, { imported: number; duplicates: number }>(reports.map((r) => [r.file, { imported: 0, duplicates: 0 }]));
  let imported = 0;
  let duplicates = 0;
  if (entries.length > 0) {
    const behavior = values['dry-run'] ? undefined : startBehavior(config, silentLogger(), undefined, { upkeepCron: null });
    // A dry run reads what was imported before, and writes nothing.
    const readOnly = !behavior && existsSync(config.storage.path) ? openDatabase(config.storage.path, { readonly: true }) : undefined;
    try {
      const db = behavior?.db ?? readOnly;
      const store = db && (db.pragma('user_version', { simple: true }) as number) >= 9 ? new ImportStore(db) : undefined;
      const thisRun = new Set<string>();
      const done: { id: string; time: number }[] = [];
      for (const e of entries) {
        const c = perFile.get(e.file)!;
        if (thisRun.has(e.id) || store?.has(e.id)) {
          duplicates++;
          c.duplicates++;
          continue;
        }
        thisRun.add(e.id);
        imported++;
        c.imported++;
        if (!behavior) continue;
        behavior.service.recordLogon(e.event, 'imported');
        done.push({ id: e.id, time: e.event.time });
        if (done.length >= 10_000) {
          behavior.service.flush();
          store!.add(done.splice(0));
        }
      }
      if (behavior) {
        behavior.service.flush();
        store!.add(done);
      }
    } finally {
      behavior?.close();
      readOnly?.close();
    }
  }
  const refused = reports.filter((r) => r.refused);
  if (values.json) {
    out(JSON.stringify({ dryRun: values['dry-run'], imported, duplicates, files: reports.map((r) => ({ ...r, ...perFile.get(r.file)! })) }));
  } else {
    for (const r of reports) for (const l of describe(r, perFile.get(r.file)!.imported, perFile.get(r.file)!.duplicates)) (r.refused ? err : out)(l);
    out(`${values['dry-run'] ? 'dry run: ' : ''}${imported} logons ${values['dry-run'] ? 'would be imported' : 'imported'}, ${duplicates} already imported${values['dry-run'] ? ' (nothing written)' : ` into ${config.storage.path}`}`);
  }
  return refused.length > 0 || reports.some((r) => r.rejected > 0) ? 1 : 0;
}
