/**
 * `bindwall lockouts list | show USER | release USER`: identities smart lockout has locked
 * out at the proxy, as stored. A running proxy takes a release in within seconds (the
 * identity's lockout history goes with it, so the next lockout starts short again).
 */
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import { openDatabase } from '../store/db.js';
import { fleetOutboxFor } from '../store/fleet-outbox.js';
import { LockoutStore, type StoredLockout } from '../store/lockout-store.js';
import { systemClock } from '../util/clock.js';
import { loginNameOf, normalizeDn } from '../util/dn.js';
import { UsageError } from './usage.js';
import { OPERATOR_OPTION, operatorName, toStderr } from './operator.js';

export const LOCKOUTS_USAGE = 'usage: bindwall lockouts list | show USER | release USER   (with --config FILE or --db PATH; --json)';

const iso = (t: number): string => new Date(t).toISOString();
const line = (s: StoredLockout): string =>
  `${s.identity}  from ${s.bucket} sources  locked until ${iso(s.lockedUntil)}  (lockout ${s.lockouts}${s.lockouts > 1 ? ', each one longer' : ''}; since ${iso(s.since)})`;

/** The identity as smart lockout keys it: a login name (any form), or a DN as RFC 4514 compares it. */
function identityOf(user: string): string[] {
  const forms = new Set<string>([loginNameOf(user)]);
  if (user.includes('=')) forms.add(normalizeDn(user));
  return [...forms];
}

export function lockoutsCommand(args: string[], out: (s: string) => void, err: (s: string) => void = toStderr): number {
  const [sub, ...rest] = args;
  if (sub !== 'list' && sub !== 'show' && sub !== 'release') throw new UsageError(LOCKOUTS_USAGE);
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true, strict: true,
    options: { config: { type: 'string', short: 'c' }, db: { type: 'string' }, json: { type: 'boolean', default: false }, ...OPERATOR_OPTION },
  });
  if ((sub === 'list') !== (positionals.length === 0) || positionals.length > 1) throw new UsageError(LOCKOUTS_USAGE);
  const now = systemClock.now();
  const config = values.config ? loadConfigFile(values.config) : undefined;
  const path = values.db ?? config?.storage.path ?? 'data/bindwall.db';
  const db = openDatabase(path);
  try {
    // On a fleet node's store, a release goes to the fleet too.
    const store = new LockoutStore(db, { outbox: fleetOutboxFor(db, config?.storage.postgres !== undefined) });
    if (sub === 'list') {
      const rows = store.active(now);
      if (values.json) out(JSON.stringify(rows));
      else if (rows.length === 0) out('no identities locked out at the proxy');
      else for (const s of rows) out(line(s));
      return 0;
    }
    const forms = identityOf(positionals[0]!);
    if (sub === 'show') {
      const rows = forms.flatMap((f) => store.active(now, f));
      if (values.json) out(JSON.stringify(rows));
      else if (rows.length === 0) err(`bindwall: ${positionals[0]} is not locked out at the proxy`);
      else for (const s of rows) out(line(s));
      return rows.length > 0 ? 0 : 1;
    }
    const released = forms.map((f) => store.release(f, now)).some(Boolean);
    if (values.json) out(JSON.stringify({ identity: forms[0], released }));
    else if (released) out(`${positionals[0]} released by ${operatorName(values.operator)} (a running proxy lets it in within seconds)`);
    else err(`bindwall: ${positionals[0]} was not locked out at the proxy`);
    return released ? 0 : 1;
  } finally {
    db.close();
  }
}
