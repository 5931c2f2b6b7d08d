/**
 * The proxy: listeners (plain LDAP with optional StartTLS, LDAPS), connection limits in
 * total and per source address, the bind log line, event sinks, and graceful shutdown.
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Config, Listener } from '../config/load.js';
import { BindwallError, describeError, ErrorCode } from '../errors.js';
import { encodeNoticeOfDisconnection } from '../ldap/messages.js';
import { ResultCode } from '../ldap/protocol.js';
import { bindLineWriter } from '../log/bind-line.js';
import { LogBudget } from '../log/budget.js';
import type { Logger } from '../log/logger.js';
import { systemClock, type Clock } from '../util/clock.js';
import { BindOutcome, isAnsweredHere, type BindEvent, type BindEventSink, type ConnectionContext } from './bind-event.js';
import type { Assessment } from '../behavior/engine.js';
import { approveAll, noChallenger, type BindAttempt, type Challenger, type DecideFn } from './decision.js';
import { Deadlines } from './deadlines.js';
import { Diagnostics } from './edge.js';
import { Session } from './session.js';
import type { HubGuard, SessionGuard } from './guard.js';
import { hubGuard, sessionGuard } from './local-guard.js';
import { normalizeAddress } from '../util/address.js';
import { DirectoryPool } from './upstream.js';
import { readProxyHeader } from './proxy-protocol.js';
import { internalSocketPair } from './internal-socket.js';
import { cidrContains } from '../util/cidr.js';
import { ThreatPool, type ThreatMode } from '../threat/pool.js';
import type { ThreatStore } from '../store/threat-store.js';
import type { LockoutStore } from '../store/lockout-store.js';
import { Honeytokens } from '../threat/honeytokens.js';
import { SmartLockout, type Bucket } from '../threat/lockout.js';
import type { TimerHandle } from '../util/clock.js';
import type { DirectoryLockoutPolicy } from '../directory/lockout-policy.js';
import { effectiveThreshold, type EffectiveThreshold } from '../threat/lockout-threshold.js';
import { BoundedTarpit } from '../threat/tarpit.js';

/** A raw socket #admit refused (the flag tells the accept path not to start a session on it). */
type RefusableSocket = net.Socket & { bindwallRefused?: boolean };
const isRefused = (sock: net.Socket): boolean => (sock as RefusableSocket).bindwallRefused === true;

export interface ProxyOptions {
  config: Config;
  log: Logger;
  clock?: Clock;
  decide?: DecideFn;
  challenge?: Challenger;
  sinks?: BindEventSink[];
  /** Behaviour scoring: assesses binds before the decision, learns from every event. */
  behavior?: BehaviorHook;
  /** Where threat entries are kept: the CLI lists, adds and releases them there. */
  threatStore?: ThreatStore;
  /** Where smart-lockout state is kept: `bindwall lockouts` lists and releases it there. */
  lockoutStore?: LockoutStore;
  /** A honeytoken account was used: the incident (and its notifications). */
  onHoneytoken?: (ev: BindEvent) => void;
  /** The directory accepted a password modify (RFC 3062) that passed through: whose, from where (UserInsight tells the person). */
  onPasswordChanged?: (change: { bindName: string; address: string; listener: string }) => void;
  /** Reads the directory's own lockout policy (through the lookup account), for smart lockout's threshold. */
  lockoutPolicy?: () => Promise<DirectoryLockoutPolicy | null>;
  /**
   * A worker's proxy (workers/): each listener's guard asks the hub, which keeps the threat pool
   * and smart lockout; this process keeps none of its own.
   */
  guards?: (listener: Listener) => SessionGuard | undefined;
  /** Connection IDs first, first + step, …: workers number theirs apart, so an ID names one connection. */
  connectionIds?: { first: number; step: number };
}

/** How often the directory's lockout policy is read again. */
const LOCKOUT_POLICY_REFRESH_MS = 3_600_000;

/** Outcomes bindwall answered itself, without the directory (smart lockout, the pool, a known-wrong retry). */

/** How often the pool takes in what the CLI changed in storage. */
const THREAT_SYNC_MS = 5_000;

export interface BehaviorHook {
  assessAttempt(attempt: BindAttempt): Assessment | Promise<Assessment>;
  record(ev: BindEvent): Assessment | undefined;
  /** Smart lockout's identity (one for every name form) and bucket (own device, other direct source, or the app server binding for it). */
  lockoutKey?(bindName: string, address: string, connection?: ConnectionContext): { identity: string; bucket: Bucket };
  /** Does the bind come through an app server or pool (never blocked as a whole by the pool)? */
  relays?(address: string, bindName: string, connection?: ConnectionContext): boolean;
  /** The identity behind a bind name (with directory facts, one for every name form). */
  identityOf?(bindName: string): string;
}

export interface BoundListener {
  name: string;
  kind: 'ldap' | 'ldaps';
  host: string;
  port: number;
  url: string;
}

export class Proxy {
  readonly config: Config;
  readonly pool: DirectoryPool;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #decide: DecideFn;
  readonly #challenge: Challenger;
  readonly #sinks: BindEventSink[];
  readonly #servers: net.Server[] = [];
  readonly #sessions = new Set<Session>();
  readonly #perAddress = new Map<string, number>();
  readonly #invalidCredentialsText = { value: '' };
  #connections = 0;
  #nextId: number;
  #listening: BoundListener[] = [];
  #stopping: Promise<void> | null = null;
  #allClosed: (() => void) | null = null;
  readonly #writeBindLine: (ev: BindEvent) => void;
  readonly #deadlines: Deadlines;
  /** Warnings a client can trigger at will: 20 a minute per address, then counted only. */
  readonly #warnBudget: LogBudget;
  /** Bind lines of binds bindwall answered itself: 60 a minute per address, then counted. */
  readonly #answeredHereBudget: LogBudget;
  readonly #behavior: BehaviorHook | undefined;
  /** The malicious-source pool; absent when every listener's mode is off. */
  readonly threat: ThreatPool | undefined;

  constructor(opts: ProxyOptions) {
    this.config = opts.config;
    this.#log = opts.log;
    this.#clock = opts.clock ?? systemClock;
    this.#decide = opts.decide ?? approveAll;
    this.#challenge = opts.challenge ?? noChallenger;
    this.#sinks = [...(opts.sinks ?? [])];
    this.pool = new DirectoryPool(opts.config.directory, this.#clock, opts.log, { warm: true });
    this.#writeBindLine = bindLineWriter(opts.log, opts.config.log.flushBeforeAnswer);
    this.#behavior = opts.behavior;
    this.#warnBudget = new LogBudget(this.#clock, { perWindow: 20, windowMs: 60_000 });
    this.#answeredHereBudget = new LogBudget(this.#clock, { perWindow: 60, windowMs: 60_000 });
    this.#deadlines = new Deadlines(this.#clock, Math.min(1_000, Math.ceil(opts.config.directory.operationTimeoutMs / 4)));
    const t = opts.config.threat;
    const anyOn = opts.config.listeners.some((l) => this.#threatMode(l) !== 'off');
    const local = anyOn && !opts.guards;
    this.#nextId = opts.connectionIds?.first ?? 1;
    this.#idStep = opts.connectionIds?.step ?? 1;
    this.threat = local ? new ThreatPool({ mode: 'log', exempt: t.exempt, maxSources: t.maxSources }, this.#clock) : undefined;
    this.#threatStore = opts.threatStore;
    this.#lockoutStore = opts.lockoutStore;
    this.#onHoneytoken = opts.onHoneytoken;
    this.#onPasswordChanged = opts.onPasswordChanged;
    this.#honeytokens = new Honeytokens(t.honeytokens.accounts);
    this.lockoutThreshold = effectiveThreshold(t.lockout.threshold, undefined);
    const lt = this.lockoutThreshold;
    this.lockout = local ? new SmartLockout({ durationMs: t.lockout.durationMs, maxDurationMs: t.lockout.maxDurationMs, threshold: lt.threshold, budget: lt.budget, windowMs: lt.windowMs }, this.#clock) : undefined;
    this.#lockoutPolicy = opts.lockoutPolicy;
    this.tarpit = anyOn ? new BoundedTarpit(t.tarpit) : undefined;
    // What each listener's sessions get from the pool and lockout, built once.
    for (const l of opts.config.listeners) {
      const remote = opts.guards?.(l);
      if (remote) this.#sessionGuards.set(l.name, remote);
      if (!this.threat || !this.lockout || this.#threatMode(l) === 'off') continue;
      const enforce = this.#threatMode(l) === 'enforce';
      const lock = this.lockout;
      const hub = hubGuard({
        pool: this.threat, lockout: lock, ...(this.#behavior ? { behavior: this.#behavior } : {}), clock: this.#clock, log: this.#log,
        oracleModes: t.passwordOracles, warnAbout: this.#warnAbout, answeredHere: this.#answeredHereBudget,
      }, { name: l.name, enforce });
      this.#hubGuards.set(l.name, hub);
      this.#sessionGuards.set(l.name, sessionGuard(hub, (p) => lock.tag(p), enforce));
    }
  }

  /** The guard of a listener as the hub serves it to workers (workers/hub.ts); undefined when its threat mode is off. */
  hubGuard(listener: string): HubGuard | undefined {
    return this.#hubGuards.get(listener);
  }

  /** Until the directory has answered one: OpenLDAP's answer to a wrong old password. */
  readonly #passwordModifyWrong = { code: ResultCode.unwillingToPerform as number, text: 'unwilling to verify old password' };

  /**
   * Storage writes the bind path causes, run after the current turn of the event loop (the
   * answer is out first, and nothing a client can time waits on a disk), the latest per key.
   */
  readonly #pendingWrites = new Map<string, () => void>();
  #later(key: string, write: () => void): void {
    if (this.#pendingWrites.size === 0) setImmediate(() => this.#flushWrites());
    this.#pendingWrites.set(key, write);
  }

  #flushWrites(): void {
    const writes = [...this.#pendingWrites.values()];
    this.#pendingWrites.clear();
    for (const w of writes) w();
  }

  /** Which smart-lockout threshold applies and why (the directory's policy once read). */
  lockoutThreshold: EffectiveThreshold;
  readonly #lockoutPolicy: (() => Promise<DirectoryLockoutPolicy | null>) | undefined;
  #lockoutPolicyTimer: TimerHandle | undefined;
  /** Slows low- and medium-threat binds in enforce mode; absent when every listener's mode is off. */
  readonly tarpit: BoundedTarpit | undefined;

  /**
   * Reads the directory's lockout policy and sets smart lockout's threshold from it. A failure
   * is said, and the threshold stays what it was (the configured one, or the default).
   */
  async readLockoutPolicy(): Promise<EffectiveThreshold> {
    const lock = this.lockout;
    if (!lock || !this.#lockoutPolicy) return this.lockoutThreshold;
    const configured = this.config.threat.lockout.threshold;
    let next: EffectiveThreshold;
    try {
      next = effectiveThreshold(configured, await this.#lockoutPolicy());
    } catch (err) {
      const e = describeError(err);
      if (this.lockoutThreshold.source === 'directory') return this.lockoutThreshold; // keep what was read before
      next = effectiveThreshold(configured, undefined, e.message);
      this.#log.warn({ event: 'lockout_policy_unreadable', code: e.code, error: e, threshold: next.threshold }, next.explanation);
    }
    const changed = next.threshold !== this.lockoutThreshold.threshold || next.source !== this.lockoutThreshold.source;
    this.lockoutThreshold = next;
    // A directory that forgets failures only on a success: the budget's wait is bindwall's longest lockout.
    lock.setThreshold(next.threshold, next.budget, next.windowMs > 0 ? next.windowMs : this.config.threat.lockout.maxDurationMs);
    if (next.warning) this.#log.warn({ event: 'lockout_threshold_unsafe', threshold: next.threshold, directoryThreshold: next.directory?.threshold }, next.warning);
    else if (changed && next.source !== 'default') this.#log.info({ event: 'lockout_threshold', threshold: next.threshold, source: next.source, ...(next.directory ? { directory: next.directory } : {}) }, next.explanation);
    return next;
  }

  #readLockoutPolicyEvery(): void {
    this.#lockoutPolicyTimer = this.#clock.setTimer(LOCKOUT_POLICY_REFRESH_MS, () => {
      void this.readLockoutPolicy().finally(() => this.#readLockoutPolicyEvery());
    });
  }

  /** Each listener's guard as its sessions ask it: this process's own, or (a worker) the hub's. */
  readonly #sessionGuards = new Map<string, SessionGuard>();
  /** This process's guards as the hub serves them to workers. */
  readonly #hubGuards = new Map<string, HubGuard>();
  readonly #idStep: number;

  /** Smart lockout; absent when every listener's threat mode is off. */
  readonly lockout: SmartLockout | undefined;

  readonly #onHoneytoken: ((ev: BindEvent) => void) | undefined;
  readonly #onPasswordChanged: ProxyOptions['onPasswordChanged'];
  readonly #honeytokens: Honeytokens;

  readonly #threatStore: ThreatStore | undefined;
  readonly #lockoutStore: LockoutStore | undefined;
  #threatTimer: TimerHandle | undefined;

  /**
   * Takes in what the CLI changed in storage (every THREAT_SYNC_MS while running). Storage
   * failing must not stop the pool deciding: said, and the pool keeps what it knows.
   */
  syncThreats(): void {
    this.#flushWrites(); // what this process wrote is in storage before storage is read back
    const store = this.#threatStore;
    const pool = this.threat;
    if (store && pool) this.#storage({ event: 'threat_sync_failed' }, 'could not read threat entries; keeping the ones in memory', () => pool.sync(store.active(this.#clock.now())));
    const locks = this.#lockoutStore;
    const lockout = this.lockout;
    if (locks && lockout) this.#storage({ event: 'lockout_sync_failed' }, 'could not read smart-lockout state; keeping the state in memory', () => lockout.sync(locks.active(this.#clock.now())));
  }

  /** A storage call the bind path must survive: a failure is said, and the proxy goes on with what it has in memory. */
  #storage(fields: Record<string, unknown>, msg: string, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.#log.error({ ...fields, error: describeError(err) }, msg);
    }
  }

  #syncThreatsEvery(): void {
    this.syncThreats();
    this.#threatTimer = this.#clock.setTimer(THREAT_SYNC_MS, () => this.#syncThreatsEvery());
  }

  #threatMode(l: Listener): ThreatMode {
    return l.threatMode ?? this.config.threat.mode;
  }

  get listeners(): readonly BoundListener[] {
    return this.#listening;
  }

  get activeSessions(): number {
    return this.#sessions.size;
  }

  addSink(sink: BindEventSink): void {
    this.#sinks.push(sink);
  }

  /** Starts the guards' upkeep and, unless `listen` is false (the hub of workers, whose workers listen), the listeners. */
  async start(o: { listen?: boolean } = {}): Promise<readonly BoundListener[]> {
    if (this.threat && this.#threatStore) {
      const store = this.#threatStore;
      this.threat.onChange = (e) => this.#later(`threat ${e.key}`, () => this.#storage({ event: 'threat_store_failed', key: e.key }, 'could not store a threat entry', () => store.put(e)));
    }
    if (this.lockout && this.#lockoutStore) {
      const store = this.#lockoutStore;
      this.lockout.onLocked = (st) => this.#later(`lockout ${st.bucket} ${st.identity}`, () => this.#storage({ event: 'lockout_store_failed', identity: st.identity }, 'could not store a smart lockout', () => store.put(st)));
    }
    if ((this.threat && this.#threatStore) || (this.lockout && this.#lockoutStore)) this.#syncThreatsEvery();
    // Before the first bind: smart lockout's threshold below the directory's own (bounded by the lookup timeout).
    if (this.lockout && this.#lockoutPolicy) {
      await this.readLockoutPolicy();
      this.#readLockoutPolicyEvery();
    }
    if (o.listen === false) return this.#listening;
    try {
      for (const l of this.config.listeners) this.#listening.push(await this.#listen(l));
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this.#listening;
  }

  /** Each listener's TLS: an LDAPS server's context is swapped in place, a StartTLS context replaced (reloadTls). */
  readonly #tlsOf = new Map<string, { server?: tls.Server; context?: tls.SecureContext }>();

  /**
   * New certificates and keys for listeners that keep their name and kind (a SIGHUP after
   * renewal): new handshakes use them, connections already up keep theirs. Returns the names changed.
   */
  reloadTls(listeners: readonly Listener[]): string[] {
    const changed: string[] = [];
    for (const l of listeners) {
      const cur = this.#tlsOf.get(l.name);
      if (!cur || !l.tls) continue;
      const material = { cert: l.tls.cert, key: l.tls.key, minVersion: 'TLSv1.2' as const };
      if (cur.server) cur.server.setSecureContext(material);
      else cur.context = tls.createSecureContext(material);
      changed.push(l.name);
    }
    return changed;
  }

  #listen(l: Listener): Promise<BoundListener> {
    // For StartTLS on a plain listener; an LDAPS server builds its own context from cert/key.
    const own: { server?: tls.Server; context?: tls.SecureContext } = l.tls && l.kind === 'ldap' ? { context: tls.createSecureContext({ cert: l.tls.cert, key: l.tls.key, minVersion: 'TLSv1.2' }) } : {};
    const server: net.Server = l.kind === 'ldaps'
      ? (own.server = tls.createServer({ cert: l.tls!.cert, key: l.tls!.key, minVersion: 'TLSv1.2', handshakeTimeout: 10_000 }, (sock) => this.#accept(l, sock)))
      : net.createServer((sock) => (l.proxyProtocol ? void this.#acceptProxied(l, sock, own.context) : this.#accept(l, sock, own.context)));
    if (l.tls) this.#tlsOf.set(l.name, own);
    // Limits apply to raw TCP connections, before any TLS handshake work.
    server.on('connection', (sock: net.Socket) => this.#admit(l, sock));
    server.on('tlsClientError', (err: Error, sock: net.Socket) => {
      // Worth seeing (an expired certificate, a client that only speaks TLS 1.0), within the address's budget.
      const { code, message } = describeError(err);
      this.#noteAbout(normalizeAddress(sock.remoteAddress), { event: 'tls_handshake_failed', listener: l.name, reason: code, error: message }, `TLS handshake failed: ${message}`);
    });
    this.#servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new BindwallError(ErrorCode.ListenFailed, `cannot listen on ${l.host}:${l.port} (${l.name}): ${err.code ?? err.message}`, { listener: l.name }));
      });
      server.listen({ host: l.host, port: l.port }, () => {
        const addr = server.address() as net.AddressInfo;
        const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        const bound = { name: l.name, kind: l.kind, host: addr.address, port: addr.port, url: `${l.kind}://${host}:${addr.port}` };
        this.#log.info({ event: 'listening', listener: l.name, url: bound.url, startTls: l.kind === 'ldap' && !!l.tls }, 'listening');
        resolve(bound);
      });
    });
  }

  /**
   * Counts a raw connection against the limits; refuses it with a notice when over. Behind a
   * trusted load balancer (PROXY protocol) the per-address limit applies to the real client,
   * once its header has named it; anyone else may not connect to such a listener at all.
   */
  #admit(l: Listener, sock: net.Socket): void {
    const address = normalizeAddress(sock.remoteAddress);
    const pp = l.proxyProtocol;
    if (pp && !pp.trustedSources.some((c) => cidrContains(c, address))) {
      this.#refuse(sock, Diagnostics.proxyProtocolUntrusted);
      this.#warnAbout(address, { event: 'proxy_protocol_untrusted', listener: l.name }, 'refused: this listener takes connections only from its trusted load balancers');
      return;
    }
    const { maxConnections } = this.config.limits;
    if (this.#stopping || this.#connections >= maxConnections || (!pp && !this.#takeAddress(address, sock))) {
      this.#warnLimit(address, this.#perAddress.get(address) ?? 0);
      this.#refuse(sock, this.#stopping ? Diagnostics.shuttingDown : Diagnostics.tooManyConnections);
      return;
    }
    this.#connections++;
    sock.once('close', () => {
      this.#connections--;
    });
  }

  /** Counts a connection for its (real) client address; false when that address is at its limit. */
  #takeAddress(address: string, sock: net.Socket): boolean {
    const fromAddress = this.#perAddress.get(address) ?? 0;
    if (fromAddress >= this.config.limits.maxConnectionsPerAddress) return false;
    this.#perAddress.set(address, fromAddress + 1);
    sock.once('close', () => {
      const n = (this.#perAddress.get(address) ?? 1) - 1;
      if (n <= 0) this.#perAddress.delete(address);
      else this.#perAddress.set(address, n);
    });
    return true;
  }

  #refuse(sock: net.Socket, text: string): void {
    sock.on('error', () => undefined);
    // Written before any TLS: a plain LDAP client reads it, an LDAPS client sees a reset.
    sock.end(encodeNoticeOfDisconnection(ResultCode.busy, text));
    sock.destroySoon();
    (sock as RefusableSocket).bindwallRefused = true;
  }

  /** A connection through a trusted load balancer: the header first, then the session as the real client. */
  async #acceptProxied(l: Listener, sock: net.Socket, secureContext?: tls.SecureContext): Promise<void> {
    sock.on('error', () => undefined);
    let peer;
    try {
      peer = await readProxyHeader(sock, this.#clock, l.proxyProtocol!.headerTimeoutMs);
    } catch (err) {
      if (isRefused(sock)) return;
      this.#log.warn({ event: 'proxy_protocol_error', listener: l.name, balancer: normalizeAddress(sock.remoteAddress), error: describeError(err) }, 'closing connection: bad or missing PROXY protocol header');
      sock.destroy();
      return;
    }
    if (isRefused(sock) || sock.destroyed) return;
    // LOCAL (a health check of the balancer's own): served as the balancer.
    const client = peer ?? { address: normalizeAddress(sock.remoteAddress), port: sock.remotePort ?? 0 };
    if (!this.#takeAddress(client.address, sock)) {
      this.#warnLimit(client.address, this.#perAddress.get(client.address) ?? 0);
      this.#refuse(sock, Diagnostics.tooManyConnections);
      return;
    }
    sock.resume();
    this.#accept(l, sock, secureContext, client);
  }

  /** A line about an address that it can cause at will: within the same per-address budget as the sessions'. */
  #aboutAddress(level: 'warn' | 'info') {
    return (address: string, fields: Record<string, unknown>, msg: string): void => {
      const suppressed = this.#warnBudget.take(address);
      if (suppressed === undefined) return;
      this.#log[level]({ client: address, ...fields, ...(suppressed > 0 ? { suppressedWarnings: suppressed } : {}) }, msg);
    };
  }

  readonly #warnAbout = this.#aboutAddress('warn');
  /** At info: a client's own failure or what policy meant to happen, not bindwall's problem. */
  readonly #noteAbout = this.#aboutAddress('info');

  #warnLimit(address: string, fromAddress: number): void {
    this.#warnAbout(address, { event: 'connection_refused', connections: this.#connections, fromAddress }, 'connection limit reached');
  }

  /**
   * A connection from inside bindwall (the console's sign-in): a session on listener `via`'s
   * guards (threat pool, smart lockout), named `as` (what the policy and behaviour see as
   * listener and app), from the browser's address, its password having arrived over HTTPS.
   * `decide` may only make the listener's decision stricter. Returns the client's end.
   */
  connectInternal(o: { via: string; as: string; peer: { address: string; port: number }; decide?: (attempt: BindAttempt, next: DecideFn) => ReturnType<DecideFn> }): net.Socket {
    const base = this.config.listeners.find((l) => l.name === o.via);
    if (!base) throw new BindwallError(ErrorCode.ConfigInvalid, `no listener named "${o.via}" to sign in through`);
    if (this.#stopping) throw new BindwallError(ErrorCode.UpstreamUnavailable, 'bindwall is stopping');
    const [client, server] = internalSocketPair(o.peer);
    const decide = o.decide;
    const listener: Listener = { ...base, name: o.as, requireTls: false };
    this.#accept(listener, server, undefined, o.peer, { guardOf: base.name, secure: true, ...(decide ? { decide: (a: BindAttempt) => decide(a, this.#decide) } : {}) });
    return client;
  }

  #accept(l: Listener, sock: net.Socket, secureContext?: tls.SecureContext, peer?: { address: string; port: number }, internal?: { guardOf: string; secure: true; decide?: DecideFn }): void {
    const raw = (sock as tls.TLSSocket & { _parent?: net.Socket })._parent ?? sock;
    if (isRefused(raw) || isRefused(sock)) return;
    const id = this.#nextId;
    this.#nextId += this.#idStep;
    const guard = this.#sessionGuards.get(internal?.guardOf ?? l.name);
    const openedAt = this.#clock.now();
    const debug = this.#log.isLevelEnabled('debug');
    if (debug) this.#log.debug({ event: 'connection_opened', conn: id, listener: l.name, client: peer?.address ?? normalizeAddress(sock.remoteAddress), tls: sock instanceof tls.TLSSocket }, 'connection opened');
    const session = new Session(id, sock, {
      config: this.config,
      listener: l,
      ...(secureContext ? { secureContext } : {}),
      pool: this.pool,
      clock: this.#clock,
      log: this.#log,
      decide: internal?.decide ?? this.#decide,
      challenge: this.#challenge,
      ...(internal ? { secure: true } : {}),
      emit: this.#emit,
      invalidCredentialsText: this.#invalidCredentialsText,
      deadlines: this.#deadlines,
      warnAbout: this.#warnAbout,
      noteAbout: this.#noteAbout,
      ...(peer ? { peer } : {}),
      ...(guard ? { guard } : {}),
      ...(this.#honeytokens.size > 0 ? { isHoneytoken: (name: string) => this.#honeytokens.matches(name) } : {}),
      ...(guard && this.tarpit ? { tarpit: this.tarpit } : {}),
      passwordModifyWrong: this.#passwordModifyWrong,
      ...(this.#onPasswordChanged ? { onPasswordChanged: this.#onPasswordChanged } : {}),
      ...(this.#behavior ? { assess: (a: BindAttempt) => this.#behavior!.assessAttempt(a) } : {}),
      onClosed: (s) => {
        if (debug) this.#log.debug({ event: 'connection_closed', conn: id, listener: l.name, client: s.clientAddress, durationMs: this.#clock.now() - openedAt }, 'connection closed');
        this.#sessions.delete(s);
        if (this.#sessions.size === 0) this.#allClosed?.();
      },
    });
    this.#sessions.add(session);
  }

  readonly #emit = (ev: BindEvent): void => this.#take(ev, true);

  /** A bind event of a worker's session (workers/hub.ts): learned, counted and handed to the sinks here; its line the worker wrote. */
  ingest(ev: BindEvent): void {
    this.#take(ev, false);
  }

  #take(ev: BindEvent, writeLine: boolean): void {
    // Answered by bindwall without the directory (a blocked source, a locked identity, a
    // retried wrong password): whether the password was right is unknown or already counted,
    // so behaviour does not learn it as the account's failure; the pool still counts it.
    const answeredHere = isAnsweredHere(ev.outcome);
    if (this.#behavior && !answeredHere) {
      try {
        const a = this.#behavior.record(ev);
        if (a) ev.assessment = a;
      } catch (err) {
        this.#log.error({ event: 'behavior_error', error: describeError(err) }, 'behaviour scoring failed for a bind event');
      }
    }
    this.#observeThreat(ev);
    if (ev.honeytoken) {
      const role = ev.assessment?.endpointRole;
      this.threat?.honeytoken(ev.clientAddress, ev.bindDn, ev.time, role === 'app_server' || role === 'pool');
      // After this turn of the event loop: the incident's storage and notifications must not
      // hold up anything a client could time.
      setImmediate(() => {
        try {
          this.#onHoneytoken?.(ev);
        } catch (err) {
          this.#log.error({ event: 'honeytoken_incident_failed', error: describeError(err) }, 'could not record the honeytoken incident');
        }
      });
    }
    // A worker's event had its line written by the worker.
    if (writeLine && !answeredHere) this.#writeBindLine(ev);
    else if (writeLine) {
      // A spray answered here can be thousands a second: its lines are budgeted per address.
      const suppressed = this.#answeredHereBudget.take(ev.clientAddress);
      if (suppressed !== undefined) this.#writeBindLine(suppressed > 0 ? { ...ev, detail: `${suppressed} more answered by bindwall from this address not logged` } : ev);
    }
    for (const sink of this.#sinks) {
      try {
        sink(ev);
      } catch (err) {
        this.#log.error({ event: 'sink_error', error: describeError(err) }, 'bind event sink failed');
      }
    }
  }

  /** The pool learns from simple binds the directory (or the pool itself) answered. */
  #observeThreat(ev: BindEvent): void {
    // A retry of a password already counted is not a new guess (an app retrying is not brute force).
    if (!this.threat || ev.method !== 'simple' || ev.repeatedPassword) return;
    const blocked = ev.outcome === BindOutcome.ThreatBlocked || ev.outcome === BindOutcome.LockedOut;
    if (!blocked && ev.directoryResultCode !== ResultCode.success && ev.directoryResultCode !== ResultCode.invalidCredentials) return;
    const a = ev.assessment;
    const role = a?.endpointRole;
    this.threat.observe({
      time: ev.time, address: ev.clientAddress, account: ev.bindDn.trim().toLowerCase(),
      failed: blocked || ev.directoryResultCode === ResultCode.invalidCredentials,
      ...(ev.outcome === BindOutcome.ThreatBlocked ? { blocked: true } : {}),
      relaying: role === 'app_server' || role === 'pool',
      ...(a ? { sprayingPoints: a.signals.find((s) => s.code === 'spraying_source')?.points ?? 0 } : {}),
    });
  }

  /**
   * Stops accepting, lets in-flight operations finish for up to `graceMs`, then closes
   * whatever is left. Resolves when every connection is gone.
   */
  stop(graceMs = this.config.limits.shutdownGraceMs): Promise<void> {
    if (this.#stopping) return this.#stopping;
    this.#stopping = (async () => {
      this.#log.info({ event: 'stopping', sessions: this.#sessions.size, graceMs }, 'stopping: draining connections');
      const closed = Promise.all(this.#servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      this.pool.close();
      for (const s of this.#sessions) s.drain();
      await new Promise<void>((resolve) => {
        const done = (): void => {
          timer.cancel();
          resolve();
        };
        const timer = this.#clock.setTimer(graceMs, () => {
          if (this.#sessions.size > 0) this.#log.warn({ event: 'drain_timeout', sessions: this.#sessions.size }, 'closing connections still busy after the grace period');
          for (const s of [...this.#sessions]) s.destroy();
          done();
        });
        this.#allClosed = done;
        if (this.#sessions.size === 0) done();
      });
      await closed;
      this.#deadlines.stop();
      this.#threatTimer?.cancel();
      this.#lockoutPolicyTimer?.cancel();
      this.#flushWrites();
      this.#log.info({ event: 'stopped' }, 'stopped');
    })();
    return this.#stopping;
  }
}
