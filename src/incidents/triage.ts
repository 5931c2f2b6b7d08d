/**
 * An analyst acknowledging or resolving an incident, from the CLI or the console: one entry
 * on the timeline with who and why. Idempotent: acknowledging twice is one acknowledgement,
 * and an acknowledgement never reopens a resolved incident (a note is still recorded).
 */
import { IncidentStatus, type Incident, type IncidentStore } from '../store/incident-store.js';
import type { Quarantine } from './quarantine.js';

export type Triage = 'ack' | 'resolve';

export function triage(store: IncidentStore, incident: Incident, o: { action: Triage; operator: string; note?: string; now: number }): { incident: Incident; already: boolean } {
  const status = o.action === 'ack' ? IncidentStatus.Acknowledged : IncidentStatus.Resolved;
  const already = incident.status === status || (status === IncidentStatus.Acknowledged && incident.status === IncidentStatus.Resolved);
  const note = o.note?.trim();
  if (already && !note) return { incident, already };
  const what = `${status === incident.status || already ? 'noted' : status} by ${o.operator}${note ? `: ${note}` : ''}`;
  return { incident: store.update(incident.id, { time: o.now, what }, already ? incident.status : status)!, already };
}

/** Ends a quarantine; the incident whose response put it there says who ended it (and why, with a note). */
export function releaseQuarantine(q: Quarantine, store: IncidentStore, account: string, o: { operator: string; note?: string; now: number }): boolean {
  const row = q.get(account);
  const released = q.release(account);
  const note = o.note?.trim();
  if (released && row?.incidentId) store.update(row.incidentId, { time: o.now, what: `account ${row.account} released from quarantine by ${o.operator}${note ? `: ${note}` : ''}` });
  return released;
}
