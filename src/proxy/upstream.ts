/**
 * Connections to the real directory: one per client connection (bind state is per
 * connection), tried in configured order with failover. A URL that fails is skipped for an
 * exponentially growing backoff while another is healthy; when none is, the client gets
 * `unavailable` at once instead of piling onto a dead directory. A few connections to the
 * first healthy URL are kept open ahead of need (warm-connections.ts).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Config } from '../config/load.js';
import type { UpstreamUrl } from '../config/upstream-url.js';
import { BindwallError, describeError, ErrorCode } from '../errors.js';
import { Disposition, PduFramer } from '../ldap/framer.js';
import { encodeSearchRequest, Filter } from '../ldap/client.js';
import { decodeResult, encodeExtendedRequest, encodeSimpleBindRequest } from '../ldap/messages.js';
import { Oid, Op, ResultCode } from '../ldap/protocol.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../util/clock.js';
import { WarmConnections } from './warm-connections.js';

export type UpstreamSocket = net.Socket | tls.TLSSocket;

export interface UpstreamHealth {
  url: string;
  healthy: boolean;
  consecutiveFailures: number;
  /** Clock time from which a failed URL is tried again. */
  retryAt: number;
  lastError?: string;
  /** Names the last failure in the log; clients are given this instead of any detail. */
  ref?: string;
}

type DirectorySettings = Config['directory'];

/**
 * Connection attempts a client's session may have in flight per directory URL; the rest wait
 * their turn (up to connectTimeoutMs). A burst of thousands at once — every parked challenge
 * approved in the same second, clients back after a network blip — would overflow the
 * directory's listen backlog, and its dropped SYNs would look like an outage.
 */
const MAX_CONNECTING = 64;

/** Errors of this process's own limits (descriptors), not of the directory. */
const LOCAL_LIMITS: ReadonlySet<string> = new Set(['EMFILE', 'ENFILE']);

interface Slots {
  busy: number;
  waiting: { go: () => void; timer: { cancel(): void } }[];
}

export class DirectoryPool {
  readonly #cfg: DirectorySettings;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #health: UpstreamHealth[];
  readonly #probes = new Map<string, Promise<boolean>>();
  /** Per URL, connections opened ahead of need (warm-connections.ts). */
  readonly #warm: WarmConnections[];
  readonly #slots: Slots[];
  #failureSeq = 0;

  /** `warm`: keep directory.warmConnections open ahead of need (the proxy's pool; a lookup's single connection needs none). */
  constructor(cfg: DirectorySettings, clock: Clock, log: Logger, opts: { warm?: boolean } = {}) {
    this.#cfg = cfg;
    this.#clock = clock;
    this.#log = log;
    this.#health = cfg.urls.map((u) => ({ url: u.url, healthy: true, consecutiveFailures: 0, retryAt: 0 }));
    this.#slots = cfg.urls.map(() => ({ busy: 0, waiting: [] }));
    this.#warm = cfg.urls.map((u) => new WarmConnections({ size: opts.warm ? cfg.warmConnections : 0, idleMs: cfg.warmIdleMs, clock, open: () => this.#connectOne(u) }));
  }

  /** Client connections re-bound anonymously and kept for the next client, since start. */
  handedBack = 0;

  /** Connections sessions let go of while a step-up challenge waited (session.ts #park), since start. */
  parked = 0;

  /** Idle warm connections, per URL. */
  warmCount(): number[] {
    return this.#warm.map((w) => w.idle);
  }

  /**
   * A client's connection came back clean (session.ts #handBack): re-bound anonymously it
   * serves the next client; if the directory does not say yes within operationTimeoutMs, or
   * nobody needs it, it is closed.
   */
  release(socket: UpstreamSocket, url: string, why: 'unbind' | 'challenge' = 'unbind'): void {
    if (why === 'challenge') this.parked++;
    const i = this.#cfg.urls.findIndex((u) => u.url === url);
    const warm = this.#warm[i];
    if (!warm?.wants() || !this.#health[i]!.healthy) {
      socket.destroy();
      return;
    }
    exchange(socket, ANONYMOUS_BIND, Op.BindResponse, this.#clock, this.#cfg.operationTimeoutMs, `anonymous re-bind with ${url}`).then((pdu) => {
      if (decodeResult(pdu, Op.BindResponse).resultCode === ResultCode.success) {
        this.handedBack++;
        warm.give(socket);
      } else socket.destroy();
    }, () => socket.destroy());
  }

  /** Closes the warm connections and opens no more (bindwall stops). */
  close(): void {
    for (const w of this.#warm) w.drain(true);
  }

  status(): UpstreamHealth[] {
    return this.#health.map((h) => ({ ...h }));
  }

  /** Connects to the first usable directory URL, in order. */
  async connect(): Promise<{ socket: UpstreamSocket; url: string }> {
    const now = this.#clock.now();
    const candidates = this.#cfg.urls.filter((_, i) => this.#health[i]!.healthy || this.#health[i]!.retryAt <= now);
    if (candidates.length === 0) {
      const next = Math.min(...this.#health.map((h) => h.retryAt));
      throw new BindwallError(ErrorCode.UpstreamUnavailable,
        `directory unavailable: every URL failed recently (next retry in ${Math.max(0, next - now)} ms)`,
        { urls: this.#health.map((h) => h.url), ref: this.#lastRef() });
    }
    const failures: string[] = [];
    // A healthy first choice may have a connection ready.
    const first = this.#cfg.urls.indexOf(candidates[0]!);
    if (this.#health[first]!.healthy) {
      const socket = this.#warm[first]!.take();
      if (socket) return { socket, url: candidates[0]!.url };
    }
    for (const u of candidates) {
      const h = this.#health[this.#cfg.urls.indexOf(u)]!;
      try {
        const socket = await this.#inTurn(this.#cfg.urls.indexOf(u), () => this.#connectOne(u));
        if (!h.healthy) {
          // Coming back from a failure (or a hang): it must answer, not just accept.
          try {
            await this.#rootDse(socket, u);
          } catch (err) {
            socket.destroy();
            throw err;
          }
          this.#log.info({ event: 'directory_up', url: u.url, afterFailures: h.consecutiveFailures }, 'directory reachable again');
        }
        h.healthy = true;
        h.consecutiveFailures = 0;
        h.retryAt = 0;
        delete h.lastError;
        return { socket, url: u.url };
      } catch (err) {
        const { code, message } = describeError(err);
        failures.push(`${u.url}: ${message}`);
        // Waiting for a turn is bindwall's queue, and running out of descriptors bindwall's own
        // limit: neither is the directory failing, so it is not marked down for everyone.
        if (LOCAL_LIMITS.has(code)) this.#outOfDescriptors(code, message);
        else if (!(err instanceof BindwallError && err.details.queued === true)) this.#markFailed(h, `${code}: ${message}`);
      }
    }
    throw new BindwallError(ErrorCode.UpstreamUnavailable, `directory unavailable (${failures.join('; ')})`, { urls: candidates.map((u) => u.url), ref: this.#lastRef() });
  }

  /** Runs a connection attempt when URL `i` has fewer than MAX_CONNECTING in flight; a turn not come within connectTimeoutMs fails. */
  async #inTurn<T>(i: number, attempt: () => Promise<T>): Promise<T> {
    const s = this.#slots[i]!;
    if (s.busy >= MAX_CONNECTING) {
      await new Promise<void>((resolve, reject) => {
        const w = {
          go: resolve,
          timer: this.#clock.setTimer(this.#cfg.connectTimeoutMs, () => {
            s.waiting.splice(s.waiting.indexOf(w), 1);
            reject(new BindwallError(ErrorCode.UpstreamTimeout, `${MAX_CONNECTING} connections to the directory already being opened; no turn within ${this.#cfg.connectTimeoutMs} ms`, { queued: true }));
          }),
        };
        s.waiting.push(w);
      });
    } else s.busy++;
    try {
      return await attempt();
    } finally {
      // The turn passes to the next in line (busy stays counted), or is given back.
      const next = s.waiting.shift();
      if (next) {
        next.timer.cancel();
        next.go();
      } else s.busy--;
    }
  }

  /**
   * Asks every directory URL now (connect, read the root DSE) and records what it finds:
   * readiness must see a directory that went down while nobody bound. Concurrent callers
   * share one check (a root DSE read per URL, cheap for a directory).
   */
  checkAll(): Promise<readonly UpstreamHealth[]> {
    if (this.#checked && this.#checking) return this.#checked;
    this.#checking = true;
    this.#checked = Promise.all(this.#cfg.urls.map(async (u, i) => {
      const h = this.#health[i]!;
      let socket: UpstreamSocket | undefined;
      try {
        socket = await this.#connectOne(u);
        await this.#rootDse(socket, u);
        if (!h.healthy) this.#log.info({ event: 'directory_up', url: u.url, afterFailures: h.consecutiveFailures }, 'directory reachable again');
        h.healthy = true;
        h.consecutiveFailures = 0;
        h.retryAt = 0;
        delete h.lastError;
      } catch (err) {
        const { code, message } = describeError(err);
        this.#markFailed(h, `${code}: ${message}`);
      } finally {
        socket?.destroy();
      }
    })).then(() => this.status()).finally(() => {
      this.#checking = false;
    });
    return this.#checked;
  }

  #checked: Promise<readonly UpstreamHealth[]> | undefined;
  #checking = false;

  /** The reference of the most recent failure (what a refused client is told). */
  #lastRef(): string | undefined {
    let best: UpstreamHealth | undefined;
    for (const h of this.#health) if (h.ref && (!best || h.retryAt > best.retryAt)) best = h;
    return best?.ref;
  }

  #descriptorsSaidAt = -Infinity;

  /** Said loudly, at most once a minute: every connection that needs a new directory connection fails meanwhile. */
  #outOfDescriptors(code: string, message: string): void {
    const now = this.#clock.now();
    if (now - this.#descriptorsSaidAt < 60_000) return;
    this.#descriptorsSaidAt = now;
    this.#log.error({ event: 'out_of_descriptors', code, error: message }, 'bindwall has no file descriptors left for directory connections; raise its limit (LimitNOFILE) or lower limits.maxConnections');
  }

  #markFailed(h: UpstreamHealth, error: string): void {
    h.consecutiveFailures++;
    const base = Math.min(this.#cfg.backoffMaxMs, this.#cfg.backoffInitialMs * 2 ** Math.min(30, h.consecutiveFailures - 1));
    const jitter = 0.8 + Math.random() * 0.4; // spread retries of many proxies
    h.retryAt = this.#clock.now() + Math.round(base * jitter);
    if (h.healthy || h.lastError !== error) {
      h.ref = `dir-${++this.#failureSeq}`;
      this.#log.warn({ event: 'directory_down', ref: h.ref, url: h.url, error, retryInMs: h.retryAt - this.#clock.now() }, 'directory connection failed');
    }
    h.healthy = false;
    h.lastError = error;
    // Connections opened to a directory that then failed are not handed to anyone.
    this.#warm[this.#health.indexOf(h)]?.drain();
  }

  async #connectOne(u: UpstreamUrl): Promise<UpstreamSocket> {
    const tlsOptions = this.#tlsOptions(u);
    const raw: UpstreamSocket = u.secure ? tls.connect({ ...tlsOptions, port: u.port }) : net.connect({ host: u.host, port: u.port });
    // Errors are reported through 'close' to whoever owns the socket; an 'error' with no
    // listener would crash the process, so one is always attached.
    raw.on('error', ignore);
    try {
      await this.#settle(raw, u.secure ? 'secureConnect' : 'connect', this.#cfg.connectTimeoutMs, `connect to ${u.url}`);
      raw.setNoDelay(true);
      raw.setKeepAlive(true, 60_000);
      if (!u.secure && this.#cfg.startTls) return await this.#startTls(raw, u);
      return raw;
    } catch (err) {
      raw.destroy();
      throw err;
    }
  }

  #tlsOptions(u: UpstreamUrl): tls.ConnectionOptions {
    const servername = this.#cfg.tlsServerName ?? (net.isIP(u.host) ? undefined : u.host);
    return {
      host: u.host,
      ...(servername ? { servername } : {}),
      ...(this.#cfg.ca ? { ca: this.#cfg.ca } : {}),
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(this.#cfg.tlsServerName ? { checkServerIdentity: (_h: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(this.#cfg.tlsServerName!, cert) } : {}),
    };
  }

  /** RFC 4511 §4.14: ask for StartTLS, then upgrade before any client byte is sent. */
  async #startTls(raw: UpstreamSocket, u: UpstreamUrl): Promise<UpstreamSocket> {
    const response = await exchange(raw, encodeExtendedRequest(1, Oid.startTls), Op.ExtendedResponse, this.#clock, this.#cfg.operationTimeoutMs, `StartTLS to ${u.url}`);
    const result = decodeResult(response, Op.ExtendedResponse);
    if (result.resultCode !== ResultCode.success) {
      throw new BindwallError(ErrorCode.UpstreamTls, `${u.url} refused StartTLS: result ${result.resultCode} ${result.diagnosticMessage}`.trim());
    }
    const secure = tls.connect({ ...this.#tlsOptions(u), socket: raw as net.Socket });
    secure.on('error', ignore);
    await this.#settle(secure, 'secureConnect', this.#cfg.operationTimeoutMs, `TLS handshake with ${u.url}`);
    return secure;
  }

  /**
   * Asks the directory for its root DSE on `socket` and waits at most probeTimeoutMs for the
   * answer: a TCP connect succeeds even to a frozen directory (the kernel accepts for it),
   * so only an answered request shows that it is alive. Any result code counts as alive.
   */
  async #rootDse(socket: UpstreamSocket, u: UpstreamUrl): Promise<void> {
    await exchange(socket, ROOT_DSE_READ, Op.SearchResultDone, this.#clock, this.#cfg.probeTimeoutMs, `root DSE read from ${u.url}`);
  }

  /**
   * A session saw `url` fail to answer in time. Probes it once (concurrent callers share the
   * probe) on a fresh connection; a directory that does not answer is marked down, so new
   * connections fail over. Resolves true when the directory answered.
   */
  suspect(url: string): Promise<boolean> {
    const i = this.#cfg.urls.findIndex((u) => u.url === url);
    if (i < 0) return Promise.resolve(false);
    const h = this.#health[i]!;
    const existing = this.#probes.get(url);
    if (existing) return existing;
    if (!h.healthy) return Promise.resolve(false);
    const u = this.#cfg.urls[i]!;
    const probe = (async () => {
      let socket: UpstreamSocket | undefined;
      try {
        socket = await this.#connectOne(u);
        await this.#rootDse(socket, u);
        return true;
      } catch (err) {
        const { code, message } = describeError(err);
        this.#markFailed(h, `${code}: ${message}`);
        return false;
      } finally {
        socket?.destroy();
        this.#probes.delete(url);
      }
    })();
    this.#probes.set(url, probe);
    return probe;
  }

  #settle(socket: UpstreamSocket, event: 'connect' | 'secureConnect', timeoutMs: number, what: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = this.#clock.setTimer(timeoutMs, () => done(new BindwallError(ErrorCode.UpstreamTimeout, `${what} timed out after ${timeoutMs} ms`)));
      const onOk = (): void => done(null);
      const onError = (e: Error): void => {
        const tlsFailure = /certificate|self.signed|hostname|altnames|SSL|TLS/i.test(e.message) || (e as NodeJS.ErrnoException).code?.startsWith('ERR_TLS');
        done(tlsFailure ? new BindwallError(ErrorCode.UpstreamTls, `${what}: ${e.message}`) : e);
      };
      const onClose = (): void => done(new BindwallError(ErrorCode.UpstreamUnavailable, `${what}: connection closed`));
      function done(err: Error | null): void {
        timer.cancel();
        socket.off(event, onOk).off('error', onError).off('close', onClose);
        if (err) reject(err);
        else resolve();
      }
      socket.once(event, onOk).on('error', onError).once('close', onClose);
    });
  }
}

function ignore(): void {
  // see #connectOne
}

/** A simple bind with no name and no password: the connection is anonymous again (RFC 4513 §5.1.1). */
const ANONYMOUS_BIND = encodeSimpleBindRequest(1, '', '');

/** SearchRequest for the root DSE: base "", scope base, (objectClass=*), attribute 1.1 (none). */
const ROOT_DSE_READ = encodeSearchRequest(1, '', 0, Filter.present('objectClass'), ['1.1']);

/**
 * Writes one request on a socket nobody else reads yet and waits for the response of kind
 * `untilOp` (entries before it are dropped), within `timeoutMs`. Leaves the socket paused.
 */
function exchange(socket: UpstreamSocket, request: Buffer, untilOp: number, clock: Clock, timeoutMs: number, what: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const timer = clock.setTimer(timeoutMs, () => finish(new BindwallError(ErrorCode.UpstreamTimeout, `${what} timed out after ${timeoutMs} ms`)));
    const framer = new PduFramer({
      classify: () => Disposition.Collect,
      pass: () => undefined,
      collected: (pdu, _msgId, op) => {
        if (op !== untilOp) return true;
        finish(null, pdu);
        return false;
      },
      skipped: () => false,
      failed: (err) => finish(err),
    }, 64 * 1024);
    const onData = (d: Buffer): void => framer.push(d);
    const onClose = (): void => finish(new BindwallError(ErrorCode.UpstreamUnavailable, `${what}: the directory closed the connection`));
    const onError = (e: Error): void => finish(e);
    let done = false;
    function finish(err: Error | null, pdu?: Buffer): void {
      if (done) return;
      done = true;
      timer.cancel();
      framer.kill();
      socket.off('data', onData).off('close', onClose).off('error', onError);
      socket.pause();
      if (err) reject(err);
      else resolve(pdu!);
    }
    socket.on('data', onData).on('close', onClose).on('error', onError);
    socket.resume();
    socket.write(request);
  });
}
