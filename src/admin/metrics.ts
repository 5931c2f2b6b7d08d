/**
 * Prometheus metrics (prom-client): binds by outcome, rule, listener and app; how long a bind
 * took to answer; upstream state per URL; pending challenges; Okta responses by status; facts
 * lookups; policy reloads; incidents and dead letters; threat-pool size; connector health;
 * and the process (RSS, descriptors, event-loop lag). Labels come from the configuration and
 * the policy (listener, app, rule ids), never from what a client sends, so their number is bounded.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { BindEvent } from '../proxy/bind-event.js';

export interface MetricsSources {
  upstreams?: () => readonly { url: string; healthy: boolean }[];
  pendingChallenges?: () => number;
  threatSources?: () => number;
  connectors?: () => readonly { name: string; state: string }[];
  lookups?: () => { lookups: number; failures: number };
  /** Open incidents and dead letters waiting (read from storage at scrape time). */
  incidents?: () => { open: number; deadLetters: number };
  /** Worker processes (workers.count > 1); undefined in one process. */
  workers?: () => { running: number; restarts: number } | undefined;
  /** Fleet mode (storage.postgres); undefined on a single node. */
  fleet?: () => { connected: boolean; listening: boolean; outbox: number; applied: number } | undefined;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const CONNECTOR_STATES = ['starting', 'ok', 'degraded', 'failing', 'stopped'] as const;

export class Metrics {
  readonly registry = new Registry();
  readonly #okta: Counter<'client' | 'status'>;
  readonly #reloads: Counter<'what' | 'result'>;

  constructor(sources: MetricsSources = {}, o: { prefix?: string; processMetrics?: boolean } = {}) {
    const p = o.prefix ?? 'bindwall_';
    const registers = [this.registry];
    if (o.processMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: p });
    const counts = this.#bindCounts;
    new Counter({
      name: `${p}binds_total`, help: 'Binds by how they ended, the rule that decided, the listener and the app', labelNames: ['outcome', 'rule', 'listener', 'app'], registers,
      collect(this: Counter<'outcome' | 'rule' | 'listener' | 'app'>) {
        this.reset();
        for (const c of counts.values()) this.inc(c.labels, c.n);
      },
    });
    const latency = this.#latencyCounts;
    const name = `${p}bind_duration_seconds`;
    // A histogram whose buckets are kept here (per bind, no label hashing) and written out at scrape.
    this.registry.registerMetric({
      name, help: 'From the bind request to the answer (directory, decision and any step-up)',
      get: async () => ({
        name, help: 'From the bind request to the answer (directory, decision and any step-up)', type: 'histogram', aggregator: 'sum',
        values: [...latency].flatMap(([outcome, h]) => {
          let cumulative = 0;
          return [
            ...LATENCY_BUCKETS.map((le, i) => ({ metricName: `${name}_bucket`, labels: { outcome, le }, value: (cumulative += h.buckets[i]!) })),
            { metricName: `${name}_bucket`, labels: { outcome, le: '+Inf' }, value: h.n },
            { metricName: `${name}_sum`, labels: { outcome }, value: h.sum },
            { metricName: `${name}_count`, labels: { outcome }, value: h.n },
          ];
        }),
      }),
    } as never);
    this.#okta = new Counter({ name: `${p}okta_responses_total`, help: 'Okta API responses by HTTP status ("error": none came)', labelNames: ['client', 'status'], registers });
    this.#reloads = new Counter({ name: `${p}reloads_total`, help: 'Policy and config reloads by result', labelNames: ['what', 'result'], registers });
    const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void): void => {
      new Gauge({ name: `${p}${name}`, help, labelNames, registers, collect(this: Gauge) { collect(this); } });
    };
    if (sources.upstreams) {
      const read = sources.upstreams;
      gauge('upstream_up', 'Whether each directory URL is healthy (1) or backed off (0)', ['url'], (g) => {
        g.reset();
        for (const u of read()) g.set({ url: u.url }, u.healthy ? 1 : 0);
      });
    }
    if (sources.pendingChallenges) {
      const read = sources.pendingChallenges;
      gauge('challenges_pending', 'Step-up challenges waiting for the person', [], (g) => g.set(read()));
    }
    if (sources.threatSources) {
      const read = sources.threatSources;
      gauge('threat_pool_sources', 'Sources with a threat-pool entry', [], (g) => g.set(read()));
    }
    if (sources.connectors) {
      const read = sources.connectors;
      gauge('connector_state', 'Each connector\'s health: 1 for its current state', ['connector', 'state'], (g) => {
        g.reset();
        for (const c of read()) for (const s of CONNECTOR_STATES) g.set({ connector: c.name, state: s }, c.state === s ? 1 : 0);
      });
    }
    if (sources.lookups) {
      const read = sources.lookups;
      gauge('directory_lookups', 'Directory facts lookups through the lookup account since start, and those that failed', ['result'], (g) => {
        const r = read();
        g.set({ result: 'all' }, r.lookups);
        g.set({ result: 'failed' }, r.failures);
      });
    }
    if (sources.workers) {
      const read = sources.workers;
      gauge('workers_running', 'Worker processes running (workers.count > 1; absent in one process)', [], (g) => {
        const w = read();
        g.reset();
        if (w) g.set(w.running);
      });
      gauge('worker_restarts', 'Worker processes replaced after dying, since start', [], (g) => {
        const w = read();
        g.reset();
        if (w) g.set(w.restarts);
      });
    }
    if (sources.fleet) {
      const read = sources.fleet;
      gauge('fleet_connected', 'Fleet mode: 1 while the fleet database answers (absent on a single node)', [], (g) => {
        const f = read();
        g.reset();
        if (f) g.set(f.connected ? 1 : 0);
      });
      gauge('fleet_outbox', 'Fleet mode: changes of this node waiting for the fleet database', [], (g) => {
        const f = read();
        g.reset();
        if (f) g.set(f.outbox);
      });
      gauge('fleet_applied', 'Fleet mode: changes from other nodes applied since start', [], (g) => {
        const f = read();
        g.reset();
        if (f) g.set(f.applied);
      });
    }
    if (sources.incidents) {
      const read = sources.incidents;
      gauge('incidents_open', 'Incidents not yet acknowledged or resolved', [], (g) => g.set(read().open));
      gauge('dead_letters', 'Notifications, response steps and emails that kept failing, waiting for a retry', [], (g) => g.set(read().deadLetters));
    }
  }

  /**
   * Per bind: one Map lookup and a few increments. prom-client hashes a label set on every
   * call (a microsecond or two); the counts are handed to it when Prometheus scrapes.
   */
  readonly #bindCounts = new Map<string, { labels: Record<'outcome' | 'rule' | 'listener' | 'app', string>; n: number }>();
  readonly #latencyCounts = new Map<string, { buckets: number[]; sum: number; n: number }>();

  /** One bind event; `app` as behaviour names it (a declared app, else the listener). */
  observeBind(ev: BindEvent, app: string): void {
    const key = `${ev.outcome}\u0000${ev.ruleId ?? ''}\u0000${ev.listener}\u0000${app}`;
    const c = this.#bindCounts.get(key);
    if (c) c.n++;
    // Labels come from the config and the policy; a cap all the same.
    else if (this.#bindCounts.size < 10_000) this.#bindCounts.set(key, { labels: { outcome: ev.outcome, rule: ev.ruleId ?? '', listener: ev.listener, app }, n: 1 });
    let h = this.#latencyCounts.get(ev.outcome);
    if (!h) this.#latencyCounts.set(ev.outcome, (h = { buckets: new Array<number>(LATENCY_BUCKETS.length).fill(0), sum: 0, n: 0 }));
    const v = ev.latencyMs / 1000;
    h.n++;
    h.sum += v;
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      if (v <= LATENCY_BUCKETS[i]!) {
        h.buckets[i]!++;
        break;
      }
    }
  }

  observeOkta(client: 'mfa' | 'connector', status: number | 'error'): void {
    this.#okta.inc({ client, status: String(status) });
  }

  observeReload(what: 'policy' | 'config', ok: boolean): void {
    this.#reloads.inc({ what, result: ok ? 'applied' : 'refused' });
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
