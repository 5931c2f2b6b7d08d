/**
 * `bindwall threats list | show ADDR | add ADDR|CIDR --level L [--until T] [--reason R] |
 * release ADDR|CIDR`: the malicious-source pool as stored. A running proxy takes changes in
 * within seconds (an added entry is enforced, a released one forgotten with its evidence).
 */
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import { openDatabase } from '../store/db.js';
import { fleetOutboxFor } from '../store/fleet-outbox.js';
import { ThreatStore } from '../store/threat-store.js';
import { ThreatLevel, type ThreatEntry } from '../threat/pool.js';
import { parseCidr, subnetOf } from '../util/cidr.js';
import { systemClock } from '../util/clock.js';
import { parseFuture } from './time-arg.js';
import { OPERATOR_OPTION, operatorName, toStderr } from './operator.js';
import { UsageError } from './usage.js';

export const THREATS_USAGE = 'usage: bindwall threats list | show ADDR | add ADDR|CIDR --level low|medium|high [--until TIME] [--reason TEXT] | release ADDR|CIDR   (with --config FILE or --db PATH; --json)';

const LEVELS: readonly string[] = Object.values(ThreatLevel);
const iso = (t: number): string => new Date(t).toISOString();
const line = (e: ThreatEntry): string =>
  `${e.key}  ${e.level}${e.exempt ? ` (exempt: ${e.exempt}, never blocked as a whole)` : ''}${e.manual ? ' (added by an administrator)' : ''}  since ${iso(e.since)}  until ${iso(e.expires)}  ${e.reasons.join('; ')}`;

/** An address, or a /24 (/64) network as the pool keys it. */
function keyOf(text: string): string {
  const c = parseCidr(text);
  if ('error' in c) throw new UsageError(`${text}: ${c.error}`);
  if (!text.includes('/')) return text;
  const net = subnetOf(text.split('/')[0]!);
  if (net !== text) throw new UsageError(`${text}: the pool keeps addresses and /24 (IPv4) or /64 (IPv6) networks; did you mean ${net}?`);
  return net;
}

export function threatsCommand(args: string[], out: (s: string) => void, err: (s: string) => void = toStderr): number {
  const [sub, ...rest] = args;
  if (sub !== 'list' && sub !== 'show' && sub !== 'add' && sub !== 'release') throw new UsageError(THREATS_USAGE);
  const { values, positionals } = parseArgs({
    args: rest, allowPositionals: true, strict: true,
    options: {
      config: { type: 'string', short: 'c' }, db: { type: 'string' }, level: { type: 'string' }, until: { type: 'string' },
      reason: { type: 'string' }, json: { type: 'boolean', default: false }, ...OPERATOR_OPTION,
    },
  });
  if ((sub === 'list') !== (positionals.length === 0) || positionals.length > 1) throw new UsageError(THREATS_USAGE);
  const now = systemClock.now();
  const key = positionals[0] !== undefined ? keyOf(positionals[0]) : undefined;
  if (sub === 'add' && (!values.level || !LEVELS.includes(values.level))) throw new UsageError(`add needs --level low, medium or high\n${THREATS_USAGE}`);
  // "2h" or "7d" after --until is from now (parseTime reads them as ago).
  const until = values.until ? parseFuture(values.until, now) : now + 24 * 3_600_000;
  if (until <= now) throw new UsageError('--until must be in the future (an ISO time such as 2026-12-01T00:00:00Z, or 2h, 7d)');
  const config = values.config ? loadConfigFile(values.config) : undefined;
  const path = values.db ?? config?.storage.path ?? 'data/bindwall.db';
  const db = openDatabase(path);
  try {
    // On a fleet node's store, an add or a release goes to the fleet too.
    const store = new ThreatStore(db, { outbox: fleetOutboxFor(db, config?.storage.postgres !== undefined) });
    switch (sub) {
      case 'list': {
        const rows = store.active(now);
        if (values.json) out(JSON.stringify(rows));
        else if (rows.length === 0) out('no sources in the threat pool');
        else for (const e of rows) out(line(e));
        return 0;
      }
      case 'show': {
        const e = store.get(key!, now) ?? store.get(subnetOf(key!), now);
        if (values.json) out(JSON.stringify(e ?? null));
        else if (e) out(line(e));
        else err(`bindwall: ${key} is not in the threat pool`);
        return e ? 0 : 1;
      }
      case 'add': {
        const e: ThreatEntry = { key: key!, level: values.level as ThreatLevel, reasons: [values.reason ?? `added by ${operatorName(values.operator)}`], kinds: ['manual'], since: now, updated: now, expires: until, manual: true };
        store.put(e);
        if (values.json) out(JSON.stringify(e));
        else out(`${e.key} added at ${e.level} until ${iso(e.expires)}`);
        return 0;
      }
      default: {
        const released = store.remove(key!, now);
        if (values.json) out(JSON.stringify({ key, released }));
        else if (released) out(`${key} released`);
        else err(`bindwall: ${key} was not in the threat pool`);
        return released ? 0 : 1;
      }
    }
  } finally {
    db.close();
  }
}
