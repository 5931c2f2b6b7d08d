/**
 * A connector's health, in words a person can act on: ok, degraded (it works, but behind or
 * slowed), failing (it does not work: bad token, missing scope, org unreachable for long),
 * stopped. Kept in storage so `bindwall connectors` and the console read what the running
 * process sees.
 */
export const HealthState = { Starting: 'starting', Ok: 'ok', Degraded: 'degraded', Failing: 'failing', Stopped: 'stopped' } as const;
export type HealthState = (typeof HealthState)[keyof typeof HealthState];

export interface ConnectorHealth {
  name: string;
  state: HealthState;
  /** Why, and what to do (absent when ok). */
  reason?: string;
  /** A stable code for the reason (the error registry's). */
  code?: string;
  lastSuccess?: number;
  /** The `published` time of the newest event taken in. */
  lastEvent?: number;
  /** Events taken in since the connector was added. */
  events: number;
  updated: number;
}
