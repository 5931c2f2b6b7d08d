/** A HealthInsight task: one posture problem, how much it matters, and the exact fix. */
export const Impact = { Low: 'low', Medium: 'medium', High: 'high', Critical: 'critical' } as const;
export type Impact = (typeof Impact)[keyof typeof Impact];

export interface HealthTask {
  /** Stable: `<check>` or `<check>:<subject>` (a listener, a rule) — what a dismissal names. */
  id: string;
  title: string;
  securityImpact: Impact;
  /** What fixing it costs the people who bind (a new prompt, a refused client). */
  userImpact: Impact;
  found: string;
  why: string;
  /** The change to make: the YAML and the file it goes in. */
  fix: { file: string; yaml: string };
}

export const IMPACT_ORDER: readonly Impact[] = [Impact.Critical, Impact.High, Impact.Medium, Impact.Low];
