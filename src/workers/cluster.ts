/**
 * `workers.count` proxy processes on the same listeners (node:cluster: the workers accept on
 * the shared sockets, or with `balance: round-robin` the hub accepts and hands each connection
 * on in turn). The hub forks them,
 * restarts one that dies (at most every second), and on stop lets each drain before it exits.
 */
import cluster, { type Worker } from 'node:cluster';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { BoundListener } from '../proxy/server.js';
import type { Clock } from '../util/clock.js';
import type { Hub } from './hub.js';
import { Tell } from './wire.js';

export interface RunningWorkers {
  /** How many there should be. */
  count: number;
  /** The listeners as the first worker bound them (all workers share them). */
  listeners: readonly BoundListener[];
  /** Workers now running. */
  running(): number;
  /** Restarts so far (a worker that died). */
  restarts(): number;
  /** Client connections open on the workers (as each said within the last second). */
  sessions(): number;
  /** SIGHUP to every worker: each takes new certificates for its listeners. */
  reload(): void;
  /** Each worker drains (up to `graceMs`) and exits; stragglers are killed. */
  stop(graceMs: number): Promise<void>;
}

const RESTART_DELAY_MS = 1_000;
/** A worker that has not listened by then is taken as failed to start. */
const START_TIMEOUT_MS = 30_000;

export async function startWorkers(count: number, balance: 'kernel' | 'round-robin', hub: Hub, log: Logger, clock: Clock): Promise<RunningWorkers> {
  // Before the first fork, or Node picks its own default (round-robin on Linux).
  cluster.schedulingPolicy = balance === 'kernel' ? cluster.SCHED_NONE : cluster.SCHED_RR;
  // The structured-clone serializer: a batched round trip costs ~20 µs of CPU (both ends) against ~28 µs as JSON lines.
  cluster.setupPrimary({ serialization: 'advanced' });
  const live = new Map<number, Worker>();
  let stopping = false;
  let restarts = 0;
  let first: ((ls: readonly BoundListener[]) => void) | null = null;
  let failedToStart: ((err: Error) => void) | null = null;
  const listening = new Promise<readonly BoundListener[]>((resolve, reject) => {
    first = resolve;
    failedToStart = reject;
  });

  const fork = (index: number): void => {
    const w = cluster.fork({ BINDWALL_WORKER_INDEX: String(index), BINDWALL_WORKER_COUNT: String(count) });
    live.set(index, w);
    hub.attach(index, w, (kind, body) => {
      if (kind !== Tell.Listening) return;
      log.info({ event: 'worker_listening', worker: index, pid: w.process.pid }, `worker ${index} listening`);
      first?.(body as readonly BoundListener[]);
      first = null;
    });
    w.on('exit', (code, signal) => {
      hub.detach(index);
      if (live.get(index) === w) live.delete(index);
      if (stopping) return;
      log.error({ event: 'worker_exited', worker: index, pid: w.process.pid, code, signal }, `worker ${index} exited (${signal ?? `code ${code}`}); starting another`);
      if (first) {
        failedToStart?.(new Error(`worker ${index} exited before listening (${signal ?? `code ${code}`})`));
        return;
      }
      restarts++;
      clock.setTimer(RESTART_DELAY_MS, () => {
        if (!stopping) fork(index);
      });
    });
    w.on('error', (err) => log.error({ event: 'worker_error', worker: index, error: describeError(err) }, `worker ${index}: ${err.message}`));
  };

  const stop = async (graceMs: number): Promise<void> => {
    stopping = true;
    const exits = [...live.values()].map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) return resolve();
      w.once('exit', () => resolve());
      w.process.kill('SIGTERM');
    }));
    const killer = clock.setTimer(graceMs + 5_000, () => {
      for (const w of live.values()) if (!w.isDead()) w.process.kill('SIGKILL');
    });
    await Promise.all(exits);
    killer.cancel();
  };

  for (let i = 1; i <= count; i++) fork(i);
  const timer = clock.setTimer(START_TIMEOUT_MS, () => failedToStart?.(new Error(`no worker listened within ${START_TIMEOUT_MS} ms`)));
  try {
    const listeners = await listening;
    const reload = (): void => {
      for (const w of live.values()) if (!w.isDead()) w.process.kill('SIGHUP');
    };
    return { count, listeners, running: () => live.size, restarts: () => restarts, sessions: () => hub.sessions, reload, stop };
  } catch (err) {
    await stop(0);
    throw err;
  } finally {
    timer.cancel();
  }
}
