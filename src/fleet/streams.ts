/**
 * The streams: what every node takes in as if it had seen it itself.
 * - The threat pool's observations (failures, blocked guesses, corrections, honeytoken binds)
 *   and smart lockout's counts (failures the shared directory saw, and the successes that
 *   reset them): a spray spread over the fleet by a load balancer is counted once, on every
 *   node. No password tag crosses: another node's failure is a distinct wrong password here.
 * - Behaviour's logons (shareLogons, below).
 */
import type { Bucket, SmartLockout } from '../threat/lockout.js';
import type { ThreatObservation, ThreatPool } from '../threat/pool.js';
import type { BehaviorService } from '../behavior/service.js';
import type { LogonEvent } from '../behavior/logon-event.js';
import { isAnsweredHere, type BindEvent } from '../proxy/bind-event.js';
import type { FleetSync } from './sync.js';
import { isObj } from './shape.js';

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

/**
 * Behaviour: every node learns from every node's binds, so a user's binds on any node meet
 * one baseline. (The node that took the bind told the person of a new device: the others do not
 * tell again.) Learning is replayed, not merged: no node reads, changes and writes back a
 * baseline another node also changes, so no update is lost. Each logon is learned once per
 * node, in an order that differs only within the propagation delay. The remote event is also
 * kept in this node's event history (the console, replay and health read it there).
 */
export function shareLogons(fleet: FleetSync, proxy: { addSink(sink: (ev: BindEvent) => void): void }, behavior: BehaviorService): void {
  const publish = fleet.addStream({
    kind: 'logon',
    apply: (data) => {
      if (!isObj(data) || typeof data.time !== 'number' || typeof data.bindDn !== 'string' || typeof data.clientAddress !== 'string'
        || typeof data.method !== 'string' || typeof data.outcome !== 'string' || typeof data.listener !== 'string') throw new Error('not a bind event');
      behavior.record(data as unknown as BindEvent, true);
    },
  });
  // Sign-ins a connector brought in (Okta's System Log, polled on one node): learned everywhere.
  const cloud = fleet.addStream({
    kind: 'cloud-logon',
    apply: (data) => {
      if (!isObj(data) || !isObj(data.logon) || typeof data.outcome !== 'string' || typeof data.logon.time !== 'number' || typeof data.logon.account !== 'string'
        || typeof data.logon.endpoint !== 'string' || typeof data.logon.result !== 'string') throw new Error('not a sign-in');
      behavior.recordLogon(data.logon as unknown as LogonEvent, data.outcome, true);
    },
  });
  behavior.onLogonRecorded = (logon, outcome) => cloud({ logon, outcome });
  proxy.addSink((ev) => {
    // What behaviour learned from here (proxy/server.ts): every bind but anonymous ones and those answered here.
    if (ev.method === 'anonymous' || ev.bindDn === '' || isAnsweredHere(ev.outcome)) return;
    publish(ev);
  });
}
