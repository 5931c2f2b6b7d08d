/**
 * What the fleet replicates, one entry per kind of record: how a change from another node is
 * checked and applied to this node's store, and what reads the store again afterwards.
 */
import type { Quarantine } from '../incidents/quarantine.js';
import type { Db } from '../store/db.js';
import { CONSOLE_AUDIT_KIND, CONSOLE_INSIGHT_KIND, CONSOLE_SESSION_KIND, type AuditEntry, type ConsoleSessionRow, type ConsoleStore, type SavedInsight } from '../store/console-store.js';
import { HEALTH_DISMISSAL_KIND, type Dismissal, type HealthStore } from '../store/health-store.js';
import { THREAT_ENTRY_KIND, type ThreatStore } from '../store/threat-store.js';
import { LOCKOUT_RELEASE_KIND, type LockoutStore } from '../store/lockout-store.js';
import type { ThreatEntry } from '../threat/pool.js';
import { QUARANTINE_KIND, type QuarantineChange, type QuarantineStore } from '../store/quarantine-store.js';
import { CONNECTOR_KIND, type ConnectorPage, type ConnectorStore } from '../store/connector-store.js';
import { INCIDENT_KIND, type Incident, type IncidentStore } from '../store/incident-store.js';
import { isObj } from './shape.js';

export interface ReplicatedKind {
  readonly kind: string;
  /** Applies one change from another node; throws on a record it cannot read. */
  apply(key: string, data: unknown): void;
  /** After a batch was applied: in-memory views read the store again. */
  applied?(): void;
  /** False: this node does not read the kind now (its cursor moves past it). */
  wanted?(): boolean;
  /** After a read of the kind reached the newest record. */
  caughtUp?(): void;
}


function quarantineChange(key: string, data: unknown): QuarantineChange {
  if (!isObj(data) || data.account !== key || typeof data.changedAt !== 'number') throw new Error('not a quarantine change');
  const row = data.row;
  if (row === null) return { account: key, row: null, changedAt: data.changedAt };
  if (!isObj(row) || row.account !== key || typeof row.since !== 'number' || !(row.until === null || typeof row.until === 'number') || typeof row.reason !== 'string' || typeof row.source !== 'string') {
    throw new Error('not a quarantine row');
  }
  return {
    account: key, changedAt: data.changedAt,
    row: {
      account: key, since: row.since, until: row.until, reason: row.reason, source: row.source,
      releaseOn: row.releaseOn === 'verified' ? 'verified' : 'analyst', incidentId: typeof row.incidentId === 'number' ? row.incidentId : null,
    },
  };
}

export function quarantineKind(store: QuarantineStore, view: Quarantine | undefined): ReplicatedKind {
  return {
    kind: QUARANTINE_KIND,
    apply: (key, data) => store.apply(quarantineChange(key, data)),
    applied: () => view?.refresh(),
  };
}

/** A connector's cursor: the node that takes over polling resumes where the last one stopped. */
export function connectorKind(store: ConnectorStore): ReplicatedKind {
  return {
    kind: CONNECTOR_KIND,
    apply: (key, data) => {
      if (!isObj(data) || data.name !== key || typeof data.origin !== 'string' || typeof data.cursor !== 'string' || !Array.isArray(data.events) || !isObj(data.health)) throw new Error('not a connector page');
      const events = data.events.filter((e): e is { uuid: string; time: number } => isObj(e) && typeof e.uuid === 'string' && typeof e.time === 'number');
      store.applyPage({ name: key, origin: data.origin, cursor: data.cursor, events, health: data.health as unknown as ConnectorPage['health'] });
    },
  };
}

/** Incidents: every node has the fleet's (the console and the CLI on any node show them); the response ran where it opened. */
export function incidentKind(store: IncidentStore): ReplicatedKind {
  return {
    kind: INCIDENT_KIND,
    apply: (key, data) => {
      if (!isObj(data) || typeof data.time !== 'number' || typeof data.updated !== 'number' || typeof data.account !== 'string' || typeof data.failure !== 'string'
        || typeof data.status !== 'string' || !Array.isArray(data.timeline) || !Array.isArray(data.reasons) || !Array.isArray(data.signals)) throw new Error('not an incident');
      store.apply(key, data as unknown as Incident);
    },
  };
}

export const BASELINE_KIND = 'baseline';

/**
 * A baseline copied into the fleet (snapshots.ts, or `bindwall migrate --to postgres`), read
 * by a node joining: one whose store had no baselines when it started. It takes those it has
 * none of. A running node has learned the same logons itself and reads none.
 */
export function baselineKind(db: Db, joiningAtStart: boolean): ReplicatedKind {
  let joining = joiningAtStart;
  const put = db.prepare('INSERT OR IGNORE INTO baselines (kind, key, data, updated) VALUES (?, ?, ?, ?)');
  const putRisk = db.prepare('INSERT OR IGNORE INTO entity_risk (kind, key, value, as_of) VALUES (?, ?, ?, ?)');
  return {
    kind: BASELINE_KIND,
    wanted: () => joining,
    // Once caught up, the node learns the fleet's logons as they come (streams.ts).
    caughtUp: () => { joining = false; },
    apply: (_key, data) => {
      if (!isObj(data) || typeof data.kind !== 'string' || typeof data.key !== 'string' || typeof data.data !== 'string' || typeof data.updated !== 'number') throw new Error('not a baseline');
      if (put.run(data.kind, data.key, data.data, data.updated).changes === 0) return;
      const r = data.risk;
      if (isObj(r) && typeof r.value === 'number' && typeof r.asOf === 'number' && (data.kind === 'account' || data.kind === 'endpoint')) putRisk.run(data.kind, data.key, r.value, r.asOf);
    },
  };
}

const LEVELS: ReadonlySet<unknown> = new Set(['low', 'medium', 'high']);

/**
 * An administrator's threat-pool change made on another node (`bindwall threats add | release`):
 * written to this node's store, and the running pool reads the store again at once.
 */
export function threatEntryKind(store: ThreatStore, resync: () => void): ReplicatedKind {
  return {
    kind: THREAT_ENTRY_KIND,
    apply: (key, data) => {
      if (!isObj(data) || data.key !== key || typeof data.changedAt !== 'number') throw new Error('not a threat-pool change');
      const e = data.entry;
      if (e !== null && (!isObj(e) || e.key !== key || !LEVELS.has(e.level) || !Array.isArray(e.reasons) || typeof e.since !== 'number' || typeof e.updated !== 'number' || typeof e.expires !== 'number')) {
        throw new Error('not a threat-pool entry');
      }
      store.apply({ key, entry: e as ThreatEntry | null, changedAt: data.changedAt });
    },
    applied: resync,
  };
}

/** A smart-lockout release made on another node (`bindwall lockouts release`): lifted here too, at once. */
export function lockoutReleaseKind(store: LockoutStore, clock: { now(): number }, resync: () => void): ReplicatedKind {
  return {
    kind: LOCKOUT_RELEASE_KIND,
    apply: (key, data) => {
      if (!isObj(data) || data.identity !== key || typeof data.changedAt !== 'number') throw new Error('not a lockout release');
      store.release(key, clock.now(), true);
    },
    applied: resync,
  };
}

const ROLES: ReadonlySet<unknown> = new Set(['viewer', 'analyst', 'admin']);

/** Console sessions: a browser signed in on one node is signed in on all (the balancer picks any). */
export function consoleSessionKind(store: ConsoleStore): ReplicatedKind {
  return {
    kind: CONSOLE_SESSION_KIND,
    apply: (key, data) => {
      if (!isObj(data)) throw new Error('not a console session');
      const s = data.session;
      if (s !== null && (!isObj(s) || s.tokenHash !== key || typeof s.operator !== 'string' || typeof s.dn !== 'string' || !ROLES.has(s.role) || typeof s.csrf !== 'string'
        || typeof s.address !== 'string' || typeof s.created !== 'number' || typeof s.lastSeen !== 'number')) throw new Error('not a console session');
      store.applySession(key, s as ConsoleSessionRow | null);
    },
  };
}

/** HealthInsight dismissals: dismissed on one node, dismissed on all. */
export function healthDismissalKind(store: HealthStore): ReplicatedKind {
  return {
    kind: HEALTH_DISMISSAL_KIND,
    apply: (key, data) => {
      if (!isObj(data)) throw new Error('not a dismissal');
      const d = data.dismissal;
      if (d !== null && (!isObj(d) || d.task !== key || typeof d.time !== 'number' || typeof d.reason !== 'string' || typeof d.operator !== 'string')) throw new Error('not a dismissal');
      store.apply(key, d as Dismissal | null);
    },
  };
}

/** Saved Insights, by name: saved on one node's console, there on every node's. */
export function consoleInsightKind(store: ConsoleStore): ReplicatedKind {
  return {
    kind: CONSOLE_INSIGHT_KIND,
    apply: (key, data) => {
      if (!isObj(data)) throw new Error('not a saved Insight');
      const i = data.insight;
      if (i !== null && (!isObj(i) || i.name !== key || !isObj(i.filter) || typeof i.operator !== 'string' || typeof i.created !== 'number')) throw new Error('not a saved Insight');
      store.applyInsight(key, i as Omit<SavedInsight, 'id'> | null);
    },
  };
}

/** The console's audit trail: every node's console lists the changes made on any of them. */
export function consoleAuditKind(store: ConsoleStore): ReplicatedKind {
  return {
    kind: CONSOLE_AUDIT_KIND,
    apply: (key, data) => {
      const e = isObj(data) ? data.entry : undefined;
      if (!isObj(e) || typeof e.time !== 'number' || typeof e.operator !== 'string' || typeof e.role !== 'string' || typeof e.action !== 'string' || typeof e.subject !== 'string') throw new Error('not an audit entry');
      store.applyAudit(key, e as unknown as AuditEntry);
    },
  };
}
