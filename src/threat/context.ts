/**
 * What the threat pool and smart lockout say about a source and an identity, read from
 * storage for `policy explain` and `risk show`: the gate in front of the policy that a bind
 * from there would meet first.
 */
import { isIP } from 'node:net';
import type { Config } from '../config/load.js';
import type { Db } from '../store/db.js';
import { LockoutStore, type StoredLockout } from '../store/lockout-store.js';
import { ThreatStore } from '../store/threat-store.js';
import type { ThreatEntry } from '../threat/pool.js';
import { subnetOf } from '../util/cidr.js';
import { loginNameOf } from '../util/dn.js';

export interface ThreatContext {
  mode: string;
  entry: ThreatEntry | null;
  lockouts: StoredLockout[];
  /** What enforce mode would do before the policy is asked, in words. */
  gate: string[];
}

const THREAT_SCHEMA = 7;
const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');

/** The pool entries of these sources (each its own, or its network's, whichever is higher), read with one store. */
export function threatEntriesFor(db: Db, addresses: readonly string[], at: number): ThreatEntry[] {
  if ((db.pragma('user_version', { simple: true }) as number) < THREAT_SCHEMA) return [];
  const store = new ThreatStore(db);
  const rank = (e: ThreatEntry | undefined): number => (e ? { low: 1, medium: 2, high: 3 }[e.level] : 0);
  const out: ThreatEntry[] = [];
  for (const address of addresses) {
    const own = store.get(address, at);
    const net = isIP(address) === 0 ? undefined : store.get(subnetOf(address), at); // a device name is no network
    const e = rank(net) > rank(own) ? net : own;
    if (e) out.push(e);
  }
  return out;
}

export function lockoutsFor(db: Db, user: string, at: number): StoredLockout[] {
  if ((db.pragma('user_version', { simple: true }) as number) < THREAT_SCHEMA) return [];
  return new LockoutStore(db).list(at, loginNameOf(user));
}

export function threatContext(db: Db, config: Config | undefined, address: string | undefined, user: string, at: number): ThreatContext {
  const mode = config ? (config.listeners[0]?.threatMode ?? config.threat.mode) : 'enforce';
  const entry = address ? threatEntriesFor(db, [address], at)[0] ?? null : null;
  const lockouts = lockoutsFor(db, user, at);
  const gate: string[] = [];
  const act = mode === 'enforce' ? '' : ` (mode ${mode}: ${mode === 'log' ? 'recorded, not enforced' : 'off'})`;
  if (entry) {
    const what = entry.exempt ? `exempt (${entry.exempt}): never blocked as a whole` : entry.level === 'high' ? 'its binds are answered 49 by bindwall without the directory, before the policy' : 'its binds wait in the tarpit before they go to the directory';
    gate.push(`${entry.key} is in the threat pool at ${entry.level} until ${iso(entry.expires)} (${entry.reasons.join('; ')}${entry.blocked ? `; ${entry.blocked} guesses answered by bindwall` : ''}): ${what}${act}`);
  }
  for (const l of lockouts) gate.push(`${l.identity} is locked out at the proxy from ${l.bucket} sources until ${iso(l.lockedUntil)} (lockout ${l.lockouts}): binds from there are answered 49 without the directory${act}`);
  return { mode, entry, lockouts, gate };
}
