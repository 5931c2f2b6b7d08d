/**
 * The observations every node counts as if it had seen them itself, so a spray spread over
 * the fleet by a load balancer is counted once, on every node: the threat pool's
 * (failures, blocked guesses, corrections, honeytoken binds) and smart lockout's (failures
 * the shared directory saw, and the successes that reset them). No password tag crosses:
 * another node's failure is a distinct wrong password here.
 */
import type { Bucket, SmartLockout } from '../threat/lockout.js';
import type { ThreatObservation, ThreatPool } from '../threat/pool.js';
import type { FleetSync } from './sync.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isBucket = (v: unknown): v is Bucket => v === 'familiar' || v === 'unfamiliar' || (typeof v === 'string' && v.startsWith('via ') && v.length <= 64);

function threatObservation(data: unknown): ThreatObservation & { honeytoken?: boolean } {
  if (!isObj(data) || typeof data.time !== 'number' || typeof data.address !== 'string' || typeof data.account !== 'string' || typeof data.failed !== 'boolean') throw new Error('not a threat observation');
  return {
    time: data.time, address: data.address, account: data.account, failed: data.failed,
    ...(data.relaying === true ? { relaying: true } : {}), ...(data.blocked === true ? { blocked: true } : {}),
    ...(typeof data.sprayingPoints === 'number' ? { sprayingPoints: data.sprayingPoints } : {}), ...(data.honeytoken === true ? { honeytoken: true } : {}),
  };
}

export function shareThreats(fleet: FleetSync, pool: ThreatPool): void {
  const publish = fleet.addStream({
    kind: 'threat',
    apply: (data) => {
      const ob = threatObservation(data);
      if (ob.honeytoken) pool.honeytoken(ob.address, ob.account, ob.time, ob.relaying ?? false, true);
      else pool.observe(ob, true);
    },
  });
  pool.onObserved = (ob) => publish(ob);
  pool.onHoneytoken = (address, account, time, relaying) => publish({ time, address, account, failed: true, relaying, honeytoken: true });
}

export function shareLockouts(fleet: FleetSync, lockout: SmartLockout): void {
  const publish = fleet.addStream({
    kind: 'lockout',
    apply: (data, id) => {
      if (!isObj(data) || typeof data.identity !== 'string' || !isBucket(data.bucket) || typeof data.failed !== 'boolean') throw new Error('not a lockout observation');
      lockout.counted(data.identity, data.bucket, data.failed, id);
    },
  });
  lockout.onCounted = (identity, bucket, failed) => publish({ identity, bucket, failed });
}
