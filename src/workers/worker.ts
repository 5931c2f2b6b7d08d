/**
 * A worker process: the proxy's listeners and sessions, deciding nothing itself. It waits for
 * the hub's hello, listens, and drains on SIGTERM; when the hub goes away it stops (its
 * questions could no longer be answered, so its binds would only fail).
 */
import { loadConfigFile, type Config } from '../config/load.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { Proxy } from '../proxy/server.js';
import { systemClock } from '../util/clock.js';
import { Channel } from './channel.js';
import { frontParts } from './front.js';
import { Ask, Tell } from './wire.js';

/** How often a worker tells the hub how many client connections it has open. */
const SESSIONS_EVERY_MS = 1_000;

export async function runWorker(config: Config, log: Logger): Promise<void> {
  const index = Number(process.env.BINDWALL_WORKER_INDEX ?? '1');
  const count = Number(process.env.BINDWALL_WORKER_COUNT ?? '1');
  const channel = new Channel(process as unknown as ConstructorParameters<typeof Channel>[0], systemClock);
  const hello = await channel.ask<{ tagKey?: string }>(Ask.Hello, {}, config.workers?.hubTimeoutMs ?? 10_000);
  const front = frontParts(channel, config, hello.tagKey ? Buffer.from(hello.tagKey, 'base64') : undefined);
  // Connection IDs apart from the hub's (its console sign-ins) and every other worker's.
  const proxy = new Proxy({
    config, log, decide: front.decide, challenge: front.challenge, guards: front.guards, sinks: [front.sink],
    ...(config.userInsight ? { onPasswordChanged: front.onPasswordChanged } : {}),
    connectionIds: { first: index + 1, step: count + 1 },
  });
  const listeners = await proxy.start();
  channel.tell(Tell.Listening, listeners);
  const sessions = setInterval(() => channel.tell(Tell.Sessions, { sessions: proxy.activeSessions }), SESSIONS_EVERY_MS);
  sessions.unref();
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (why: string): void => {
      if (stopping) return;
      stopping = true;
      clearInterval(sessions);
      log.info({ event: 'worker_stopping', worker: index, why }, `worker ${index} stopping: ${why}`);
      proxy.stop().catch((err: unknown) => log.error({ event: 'stop_error', error: describeError(err) }, 'error while stopping')).finally(() => {
        channel.close('stopped');
        log.flush();
        // The IPC channel would keep this process alive: let go of it, so the worker exits.
        if (process.connected) process.disconnect();
        resolve();
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('disconnect', () => stop('the hub is gone'));
    // The hub reloads policy and config; a worker takes new certificates for its listeners.
    process.on('SIGHUP', () => {
      try {
        const changed = proxy.reloadTls(loadConfigFile(config.file).listeners);
        if (changed.length) log.info({ event: 'tls_reloaded', worker: index, listeners: changed }, 'certificates reloaded');
      } catch (err) {
        log.error({ event: 'reload_failed', worker: index, error: describeError(err) }, 'could not reload certificates; keeping the current ones');
      }
    });
  });
}
