/**
 * Structured JSON logs (pino) with fixed redaction paths. Redaction is the second line of
 * defence: secrets travel as `Secret` values and are never put into log objects at all.
 */
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Any key by these names, at the top level or one level down, is censored. */
const SECRET_KEYS = ['password', 'passcode', 'otp', 'credentials', 'secret', 'token', 'apiToken', 'authorization', 'userPassword', 'newPassword', 'oldPassword'];
export const REDACT_PATHS: readonly string[] = Object.freeze([
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  'headers.authorization',
  '*.headers.authorization',
]);

export interface LoggerOptions {
  level: string;
  /** Where lines go: a file path, a file descriptor, or a stream. Default: stdout. */
  destination?: string | number | DestinationStream;
  /** Buffer lines and write in batches (the proxy's hot path); flushed every flushIntervalMs. */
  buffered?: boolean;
  flushIntervalMs?: number;
}

export function createLogger(opts: LoggerOptions): Logger {
  const options = {
    level: opts.level,
    base: { service: 'bindwall' },
    redact: { paths: [...REDACT_PATHS], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const dest = opts.destination;
  if (dest !== undefined && typeof dest === 'object') return pino(options, dest);
  const stream = pino.destination({
    dest: dest ?? 1,
    sync: !opts.buffered,
    ...(opts.buffered ? { minLength: 4096 } : {}),
    mkdir: typeof dest === 'string',
  });
  if (opts.buffered) {
    const timer = setInterval(() => {
      try {
        stream.flush();
      } catch {
        // not ready yet (still opening); the next tick flushes
      }
    }, opts.flushIntervalMs ?? 250);
    timer.unref();
    process.once('exit', () => {
      try {
        stream.flushSync();
      } catch {
        // nothing more can be done at exit
      }
    });
  }
  return pino(options, stream);
}

/** A logger that writes nothing (tests that only care about behaviour). */
export const silentLogger = (): Logger => pino({ level: 'silent' });
