/** Runs a proxy until SIGTERM/SIGINT, then drains in-flight operations and exits 0. */
import type { Config } from '../config/load.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Challenger, DecideFn } from '../proxy/decision.js';
import { Proxy, type BoundListener } from '../proxy/server.js';
import { startBehavior } from '../behavior/setup.js';

export interface RunningProxy {
  proxy: Proxy;
  listeners: readonly BoundListener[];
  /** Resolves after a signal-triggered shutdown completes. */
  stopped: Promise<void>;
}

export async function runProxy(config: Config, log: Logger, opts: { decide?: DecideFn; challenge?: Challenger; onStop?: () => Promise<void> } = {}): Promise<RunningProxy> {
  const behavior = config.behavior.enabled ? startBehavior(config, log) : undefined;
  const proxy = new Proxy({
    config, log,
    ...(behavior ? { behavior: behavior.service } : {}),
    ...(opts.decide ? { decide: opts.decide } : {}), ...(opts.challenge ? { challenge: opts.challenge } : {}),
  });
  let listeners;
  try {
    listeners = await proxy.start();
  } catch (err) {
    behavior?.close();
    throw err;
  }
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => { resolveStopped = r; });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    log.info({ event: 'signal', signal }, `received ${signal}`);
    proxy.stop()
      .then(() => behavior?.close())
      .then(() => opts.onStop?.())
      .catch((err: unknown) => log.error({ event: 'stop_error', error: describeError(err) }, 'error while stopping'))
      .finally(() => {
        log.flush();
        resolveStopped();
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return { proxy, listeners, stopped };
}
