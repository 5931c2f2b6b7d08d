/**
 * `bindwall quarantine list | add USER | release USER`: the accounts policies see as
 * quarantined (`quarantined: true`). A running proxy picks changes up within seconds.
 */
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import { Quarantine } from '../incidents/quarantine.js';
import { openDatabase } from '../store/db.js';
import { QuarantineStore } from '../store/quarantine-store.js';
import { fleetOutboxFor } from '../store/fleet-outbox.js';
import { systemClock } from '../util/clock.js';
import { IncidentStore } from '../store/incident-store.js';
import { BehaviorStore } from '../store/behavior-store.js';
import { canonicalAccount } from '../behavior/logon-event.js';
import { parseFuture } from './time-arg.js';
import { OPERATOR_OPTION, operatorName, toStderr } from './operator.js';
import { releaseQuarantine } from '../incidents/triage.js';
import { UsageError } from './usage.js';

const USAGE = 'usage: bindwall quarantine list | add USER [--reason TEXT] [--until TIME] [--until-verified] [--force] | release USER   (with --config FILE or --db PATH; --json; --operator NAME)';

export function quarantineCommand(args: string[], out: (s: string) => void, err: (s: string) => void = toStderr): number {
  const [sub, ...rest] = args;
  if (sub !== 'list' && sub !== 'add' && sub !== 'release') throw new UsageError(USAGE);
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true, strict: true,
    options: { config: { type: 'string', short: 'c' }, db: { type: 'string' }, reason: { type: 'string' }, until: { type: 'string' }, 'until-verified': { type: 'boolean', default: false }, force: { type: 'boolean', default: false }, ...OPERATOR_OPTION, json: { type: 'boolean', default: false } },
  });
  if ((sub === 'list') !== (positionals.length === 0) || positionals.length > 1) throw new UsageError(USAGE);
  const config = values.config ? loadConfigFile(values.config) : undefined;
  const path = values.db ?? config?.storage.path ?? 'data/bindwall.db';
  const now = systemClock.now();
  const untilMs = values.until ? parseFuture(values.until, now) : undefined;
  if (untilMs !== undefined && untilMs <= now) throw new UsageError('--until must be in the future (a duration from now such as 24h, or an ISO time with a zone)');
  const operator = operatorName(values.operator);
  const db = openDatabase(path);
  try {
    // On a fleet node's store, the change also goes to the outbox: the node passes it on to the fleet.
    const outbox = fleetOutboxFor(db, config?.storage.postgres !== undefined);
    const q = new Quarantine({ store: new QuarantineStore(db, { outbox }), clock: systemClock });
    if (sub === 'list') {
      const rows = q.list();
      if (values.json) out(JSON.stringify(rows));
      else if (rows.length === 0) out('no quarantined accounts');
      else for (const r of rows) out(`${r.account}  since ${new Date(r.since).toISOString()}${r.until ? `  until ${new Date(r.until).toISOString()}` : ''}  (${r.source}) ${r.reason}${r.releaseOn === 'verified' ? '  [released by a passed step-up]' : ''}`);
      return 0;
    }
    const user = positionals[0]!;
    if (sub === 'add') {
      // A second add would silently replace the first and lose its reason (and its incident).
      const existing = q.get(user);
      if (existing && !values.force) {
        err(`bindwall: ${existing.account} is already quarantined since ${new Date(existing.since).toISOString()} (${existing.source}): ${existing.reason}; --force replaces it`);
        return 1;
      }
      // A typo quarantines nobody: say so when bindwall has never seen the account log on.
      if (!new BehaviorStore(db).account(canonicalAccount(user))) err(`bindwall: warning: ${canonicalAccount(user)} has never logged on through bindwall (a typo?); quarantined all the same`);
      const row = q.add(user, {
        reason: values.reason ?? 'quarantined by an administrator', source: `cli:${operator}`, ...(untilMs !== undefined ? { untilMs } : {}),
        ...(values['until-verified'] ? { releaseOn: 'verified' as const } : {}), ...(existing?.incidentId ? { incidentId: existing.incidentId } : {}),
      });
      if (values.json) out(JSON.stringify(row));
      else out(`${row.account} quarantined${row.until ? ` until ${new Date(row.until).toISOString()}` : ''}${row.releaseOn === 'verified' ? ' (or until the person passes a step-up)' : ''}`);
      return 0;
    }
    const row = q.get(user);
    const released = releaseQuarantine(q, new IncidentStore(db, { outbox }), user, { operator, now: systemClock.now() });
    if (values.json) out(JSON.stringify({ account: row?.account ?? user, released }));
    else if (released) out(`${user} released`);
    else err(`bindwall: ${user} was not quarantined`);
    return released ? 0 : 1;
  } finally {
    db.close();
  }
}
