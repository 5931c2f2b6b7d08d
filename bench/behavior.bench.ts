/**
 * `npm run bench` (behaviour part): the behaviour work of one bind, in-process and without
 * the network, so it can be measured steadily on a busy machine — the score before the
 * decision (assessAttempt), learning and queueing after it (record), and the write-behind
 * persistence (flush: events, baselines, risk) amortised per bind — the difference between a
 * run with storage and one without — as CPU µs per bind (process.cpuUsage: every thread). Two shapes of traffic: 10,000 people binding through one
 * app server's address (its endpoint baseline is the largest there is), and 10,000 people at
 * their own desks. Then score + learn alone over the simulator's organisation (events/s).
 *
 * BENCH_BINDS (default 200000) sets how many binds each shape runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BehaviorEngine } from '../src/behavior/engine.js';
import { BehaviorService } from '../src/behavior/service.js';
import { EventMapper } from '../src/behavior/logon-event.js';
import { createLogger } from '../src/log/logger.js';
import type { BindEvent } from '../src/proxy/bind-event.js';
import type { BindAttempt } from '../src/proxy/decision.js';
import { simulate } from '../src/simulate/generate.js';
import { BehaviorStore } from '../src/store/behavior-store.js';
import { openDatabase } from '../src/store/db.js';
import { ManualClock } from '../src/util/clock.js';

const BINDS = Number(process.env.BENCH_BINDS ?? 200_000);
const USERS = 10_000;
/** Binds per second of clock time the flushes see (the proxy's rate in the network bench). */
const RATE = 8_000;

const cpuUs = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/** CPU µs per bind of the behaviour work, with or without storage (the difference is persistence). */
function run(shape: 'app-server' | 'desks', persist: boolean): number {
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-behavior-bench-'));
  const db = openDatabase(join(dir, 'b.db'));
  try {
    const clock = new ManualClock(Date.now());
    const store = persist ? new BehaviorStore(db) : undefined;
    const engine = new BehaviorEngine({ timeZone: 'UTC' }, store?.loader);
    const service = new BehaviorService({ engine, mapper: new EventMapper(), ...(store ? { store } : {}), clock, log: createLogger({ level: 'silent', destination: 2 }), upkeepCron: null });
    const signal = new AbortController().signal;
    const t0 = cpuUs();
    for (let n = 0; n < BINDS; n++) {
      const i = (n * 7919) % USERS;
      const address = shape === 'app-server' ? '10.0.0.5' : `10.${(i >> 8) & 255}.${i & 255}.20`;
      const bindDn = `uid=user${String(i).padStart(5, '0')},ou=bulk,dc=corp,dc=example`;
      const attempt = { connectionId: n, listener: 'bench', clientAddress: address, clientPort: 40000, bindDn, tls: false, receivedAt: clock.now(), signal } as BindAttempt;
      const assessment = service.assessAttempt(attempt) as ReturnType<BehaviorEngine['assess']>;
      const ev: BindEvent = {
        time: clock.now(), connectionId: n, listener: 'bench', clientAddress: address, clientPort: 40000, bindDn, method: 'simple', tls: false,
        outcome: 'approved', resultCode: 0, latencyMs: 1, action: 'approve', ruleId: 'default', policyHash: 'bench', assessment,
      };
      service.record(ev);
      // The service's own flush timer fires as the manual clock passes it.
      if (n % 100 === 99) clock.advance(100 * 1000 / RATE);
    }
    service.flush();
    const total = cpuUs() - t0;
    service.close();
    return total / BINDS;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

process.stdout.write(`behaviour per bind: ${BINDS} binds of ${USERS} people, clock at ${RATE} binds/s (CPU µs per bind, every thread)\n`);
for (const shape of ['app-server', 'desks'] as const) {
  const path = run(shape, false);
  const total = run(shape, true);
  process.stdout.write(`  ${shape.padEnd(11)} score, learn, queue ${path.toFixed(1)} µs; persistence (events, baselines, risk) ${(total - path).toFixed(1)} µs; total ${total.toFixed(1)} µs\n`);
}
const sim = simulate({ days: 21, warmupDays: 7 });
const engine = new BehaviorEngine();
const t0 = process.hrtime.bigint();
for (const { event } of sim.events) engine.observe(event);
const perSecond = sim.events.length / (Number(process.hrtime.bigint() - t0) / 1e9);
process.stdout.write(`  score + learn alone: ${sim.events.length} simulated events at ${perSecond.toFixed(0)} events/s on one core (target ≥ 100,000)\n`);
