/**
 * `bindwall incidents list | show ID | ack ID | resolve ID`: failed step-up challenges, for
 * the analyst. Acknowledging or resolving appends to the incident's timeline.
 */
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import { openDatabase } from '../store/db.js';
import { IncidentStatus, IncidentStore, type Incident } from '../store/incident-store.js';
import { fleetOutboxFor } from '../store/fleet-outbox.js';
import { systemClock } from '../util/clock.js';
import { parseTime } from './time-arg.js';
import { UsageError } from './usage.js';
import { triage, type Triage } from '../incidents/triage.js';
import { OPERATOR_OPTION, operatorName, toStderr } from './operator.js';

const USAGE = 'usage: bindwall incidents list [--status open|acknowledged|resolved] [--since T] | show ID | ack ID | resolve ID [--note TEXT]   (with --config FILE or --db PATH; --json; --operator NAME)';
const STATUSES: readonly string[] = Object.values(IncidentStatus);
const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');

function line(i: Incident): string {
  return `#${i.id}  ${iso(i.time)}  ${i.severity.padEnd(8)} ${i.status.padEnd(12)} ${i.failure.padEnd(13)} ${i.account} from ${i.endpoint} via ${i.app} (rule ${i.ruleId ?? '-'}, risk ${i.score})`;
}

export function incidentsCommand(args: string[], out: (s: string) => void, err: (s: string) => void = toStderr): number {
  const [sub, ...rest] = args;
  if (!['list', 'show', 'ack', 'resolve'].includes(sub ?? '')) throw new UsageError(USAGE);
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true, strict: true,
    options: { config: { type: 'string', short: 'c' }, db: { type: 'string' }, status: { type: 'string' }, since: { type: 'string' }, json: { type: 'boolean', default: false }, note: { type: 'string' }, ...OPERATOR_OPTION },
  });
  if (values.status !== undefined && !STATUSES.includes(values.status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
  const id = sub === 'list' ? undefined : Number(positionals[0]);
  if (sub === 'list' ? positionals.length > 0 : positionals.length !== 1 || !Number.isInteger(id) || id! < 1) throw new UsageError(USAGE);
  const config = values.config ? loadConfigFile(values.config) : undefined;
  const path = values.db ?? config?.storage.path ?? 'data/bindwall.db';
  const readonly = sub === 'list' || sub === 'show';
  const db = openDatabase(path, { readonly });
  try {
    // On a fleet node's store, an acknowledgement goes to the fleet too (the node passes it on).
    const store = new IncidentStore(db, readonly ? {} : { outbox: fleetOutboxFor(db, config?.storage.postgres !== undefined) });
    if (sub === 'list') {
      const list = store.list({ ...(values.status ? { status: values.status as IncidentStatus } : {}), ...(values.since ? { since: parseTime(values.since, systemClock.now()) } : {}) });
      if (values.json) out(JSON.stringify(list));
      else if (list.length === 0) out('no incidents');
      else for (const i of list) out(line(i));
      return 0;
    }
    const incident = store.get(id!);
    if (!incident) {
      err(`bindwall: no incident #${id}`);
      return 1;
    }
    if (sub === 'show') {
      if (values.json) {
        out(JSON.stringify(incident, null, 2));
        return 0;
      }
      out(line(incident));
      out(`  kind ${incident.kind}; method ${incident.method ?? '-'}; policy ${incident.policyHash ?? '-'}`);
      if (incident.reasons.length) out(`  why it was challenged: ${incident.reasons.join('; ')}`);
      const r = incident.reported;
      if (r) out(`  reported by the person: ${r.kind.replace(/_/g, ' ')} at ${iso(r.time)}${r.endpoint ? ` from ${r.endpoint}` : ''}${r.device && r.device !== r.endpoint ? ` (${r.device})` : ''}${r.app ? ` via ${r.app}` : ''} (notice ${r.notice})`);
      for (const e of incident.timeline) out(`  ${iso(e.time)}  ${e.what}`);
      return 0;
    }
    const { incident: updated, already } = triage(store, incident, { action: sub as Triage, operator: operatorName(values.operator), ...(values.note ? { note: values.note } : {}), now: systemClock.now() });
    if (values.json) out(JSON.stringify(updated));
    else out(`${line(updated)}${already ? `  (already ${incident.status})` : ''}`);
    return 0;
  } finally {
    db.close();
  }
}
