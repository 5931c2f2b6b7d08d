/**
 * One client connection and its own upstream connection. Traffic passes through as
 * opaque bytes; only binds (and StartTLS, abandon) are decoded. A simple bind is forwarded,
 * and when the directory accepts it the decision function is asked before the client
 * hears anything; everything the client sends meanwhile is held, so nothing can run under
 * an identity that is about to be refused.
 */
import { normalizeAddress } from '../util/address.js';
import { randomBytes } from 'node:crypto';
import type { Tarpit } from '../threat/tarpit.js';
import { compareVerdict, OracleKind, passwordModifyVerdict, type OracleAttempt, type OracleVerdict } from '../threat/oracles.js';
import { isThenable, type LockoutKey, type Screen, type SessionGuard } from './guard.js';
import { decodeCompare, decodePasswordChange, decodePasswordModify, identityName, isPasswordAttribute } from '../ldap/password-ops.js';
import type net from 'node:net';
import tls from 'node:tls';
import type { Listener } from '../config/load.js';
import type { Config } from '../config/load.js';
import { BindwallError, describeError, ErrorCode } from '../errors.js';
import { Disposition, PduFramer, type FrameHandler } from '../ldap/framer.js';
import {
  decodeAbandonTarget, decodeBindRequest, decodeExtendedRequest, decodeResult,
  encodeExtendedResponse, encodeNoticeOfDisconnection, encodeResult, encodeSimpleBindRequest,
  type BindRequest,
} from '../ldap/messages.js';
import { isFinalResponse, isRequestOp, isWriteOp, Oid, Op, ResponseFor, ResultCode } from '../ldap/protocol.js';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../util/clock.js';
import { BindMethod, BindOutcome, type BindEvent, type ConnectionContext } from './bind-event.js';
import { Action, ChallengeResult, type BindAttempt, type Challenger, type DecideFn, type Decision } from './decision.js';
import { Diagnostics, resultForError } from './edge.js';
import type { Assessment } from '../behavior/engine.js';
import type { UserFacts } from '../directory/facts.js';
import type { LogonEvent } from '../behavior/logon-event.js';
import { Secret } from '../log/secret.js';
import type { Deadlines } from './deadlines.js';
import type { DirectoryPool, UpstreamSocket } from './upstream.js';
import { writesRefused, type Restriction } from './restriction.js';
import { decodeCompareRequest, decodeSearchRequestInfo, restrictSearchEntry } from '../ldap/restricted-ops.js';
import { isValidSaslMechanism, loggableSaslMechanism } from '../ldap/sasl.js';

/** Bytes a client may send while its bind is pending before its socket is paused. */
const HELD_INPUT_LIMIT = 64 * 1024;

export interface SessionDeps {
  config: Config;
  listener: Listener;
  /** For StartTLS on a plain listener. */
  secureContext?: tls.SecureContext;
  pool: DirectoryPool;
  clock: Clock;
  log: Logger;
  decide: DecideFn;
  challenge: Challenger;
  emit: (event: BindEvent) => void;
  /** Scores a bind the directory accepted, before the decision (behaviour). */
  assess?: (attempt: BindAttempt) => Assessment | Promise<Assessment>;
  /** Shared across sessions: what the directory says for a wrong password, to mimic on block. */
  invalidCredentialsText: { value: string };
  deadlines: Deadlines;
  /** Logs a warning a client can cause at will, within its address's budget (protocol violations, limits). */
  warnAbout: (address: string, fields: Record<string, unknown>, msg: string) => void;
  /** The same budget, at info (what policy meant to happen: a demoted session's refused write). */
  noteAbout?: (address: string, fields: Record<string, unknown>, msg: string) => void;
  /** The real client, when a trusted load balancer named it (PROXY protocol). */
  peer?: { address: string; port: number };
  /** The connection is bindwall's own (the console's sign-in, whose password came over HTTPS): counts as TLS. */
  secure?: boolean;
  /** The threat pool and smart lockout (guard.ts); absent when the listener's threat mode is off. */
  guard?: SessionGuard;
  /** Is this bind name a honeytoken account (threat/honeytokens.ts)? */
  isHoneytoken?: (bindName: string) => boolean;
  /** Where enforce mode slows low- and medium-threat binds: a bounded number held at once. */
  tarpit?: Tarpit;
  /** The directory accepted a password modify that passed through (UserInsight tells the person). */
  onPasswordChanged?: (change: { bindName: string; address: string; listener: string }) => void;
  /** Shared across sessions: how the directory answers a password modify with a wrong old password, to mimic. */
  passwordModifyWrong: { code: number; text: string };
  onClosed: (session: Session) => void;
}

type State = 'connecting' | 'ready' | 'unavailable' | 'closed';

interface PendingBind {
  req: BindRequest;
  method: BindMethod;
  saslMechanism?: string;
  receivedAt: number;
  /**
   * asking the guard (another process) | held back (tarpit) | waiting for the directory |
   * deciding | binding again after a challenge passed on a parked connection | resetting the
   * upstream to anonymous after a refusal
   */
  phase: 'screening' | 'tarpit' | 'directory' | 'deciding' | 'rebind' | 'reset';
  /** The bind as sent to the directory (one-time code split off), for binding again after a parked challenge. */
  forwarded?: Buffer;
  /** The upstream connection went back to the pool while the person answers the challenge. */
  parked?: true;
  /** Clock time by which the directory must have answered (not while deciding). */
  deadline: number;
  abort?: AbortController;
  directoryResultCode?: number;
  directoryDiagnostic?: string;
  decision?: Decision;
  detail?: string;
  assessment?: Assessment;
  /** A one-time code split off the end of the password (mfa.otpDelimiter). */
  otp?: Secret<string>;
  threat?: BindEvent['threat'];
  honeytoken?: true;
  lockout?: BindEvent['lockout'];
  /**
   * For smart lockout when the directory answers: the password as received (a view of the
   * request this bind already holds, dropped with the answer), and whose bucket it counts in.
   */
  lockoutPassword?: Uint8Array;
  lockoutKey?: LockoutKey;
  /** The password was already wrong for this identity and kind of source (a retry). */
  repeatedPassword?: true;
  connection: ConnectionContext;
  /** Who the bind was (behaviour's logon), for the bind line. */
  logon?: { account: string; kind: string; app: string; endpointName?: string };
  mfaMethod?: string;
  incidentId?: number;
}

/** What the decision function sees. The abort signal is created only if someone asks. */
class Attempt implements BindAttempt {
  readonly connectionId: number;
  readonly listener: string;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly bindDn: string;
  readonly tls: boolean;
  readonly receivedAt: number;
  readonly connection: ConnectionContext;
  assessment?: Assessment;
  facts?: UserFacts;
  okta?: { status: string; factors: readonly string[]; apps: readonly string[] };
  logon?: LogonEvent;
  readonly #session: Session;
  readonly #pending: PendingBind;

  constructor(session: Session, p: PendingBind) {
    this.connectionId = session.id;
    this.listener = session.listenerName;
    this.clientAddress = session.clientAddress;
    this.clientPort = session.clientPort;
    this.bindDn = p.req.name;
    this.tls = session.tls;
    this.receivedAt = p.receivedAt;
    this.connection = p.connection;
    this.#session = session;
    this.#pending = p;
  }

  get otp(): Secret<string> | undefined {
    return this.#pending.otp;
  }

  get threatLevel(): string | undefined {
    return this.#pending.threat?.level;
  }

  get threatKinds(): readonly string[] | undefined {
    return this.#pending.threat?.kinds;
  }

  get signal(): AbortSignal {
    const p = this.#pending;
    if (!p.abort) {
      p.abort = new AbortController();
      if (this.#session.isClosedNow()) p.abort.abort(); // the client left before anyone asked
    }
    return p.abort.signal;
  }
}

export class Session {
  readonly id: number;
  readonly clientAddress: string;
  readonly clientPort: number;
  readonly #d: SessionDeps;
  #client: net.Socket;
  #upstream: UpstreamSocket | null = null;
  #upstreamUrl = '';
  #state: State = 'connecting';
  #tls: boolean;
  #draining = false;
  /** Operations sent to the directory and not yet answered: message ID → operation. */
  readonly #outstanding = new Map<number, number>();
  #searchesOutstanding = 0;
  /** Since when the directory has sent nothing while operations are outstanding. */
  #upstreamQuietSince = 0;
  /** A root DSE probe of this session's directory is under way (see #onOperationTimeout). */
  #probing = false;
  /** When the client stopped reading while the directory had more for it (0: reading). */
  #clientStalledSince = 0;
  /** When the request PDU now arriving began (see checkDeadline). */
  #pduStartedAt = 0;
  /** The connection must send its first bind by then (0: it has). */
  #firstBindBy: number;
  /** The name the connection was last bound as ('' anonymous; undefined: never bound). */
  #lastBoundName: string | undefined;
  /** Operations forwarded since the last bind (or since connect). */
  #opsSinceBind = 0;
  #pending: PendingBind | null = null;
  /** True while the upstream connection may be authenticated as someone. */
  #upstreamBound = false;
  /** Set while the session is demoted: writes refused, reads possibly filtered. */
  #restricted: Restriction | null = null;
  #lastActivity: number;
  #unavailableError: unknown = null;
  #closeScheduled = false;
  #unbinding = false;
  /**
   * The upstream connection can serve another client after an anonymous re-bind: only simple
   * binds, searches, compares, WhoAmI and StartTLS (ours) went through, nothing left pending.
   */
  #reusable = true;
  readonly #fromClient: PduFramer;
  readonly #fromUpstream: PduFramer;

  constructor(id: number, client: net.Socket, deps: SessionDeps) {
    this.id = id;
    this.#d = deps;
    this.#client = client;
    this.clientAddress = deps.peer?.address ?? normalizeAddress(client.remoteAddress);
    this.clientPort = deps.peer?.port ?? client.remotePort ?? 0;
    this.#tls = deps.secure === true || client instanceof tls.TLSSocket;
    this.#lastActivity = deps.clock.now();
    this.#firstBindBy = this.#lastActivity + deps.config.limits.firstBindTimeoutMs;
    this.#fromClient = new PduFramer(this.#clientHandler(), deps.config.limits.maxPduBytes);
    // Responses can be large (a single entry with photos); the directory is trusted for size.
    this.#fromUpstream = new PduFramer(this.#upstreamHandler(), 0x7fffffff);
    this.#fromClient.hold(); // until the upstream is connected
    this.#attachClient(client);
    // One coarse sweep checks every deadline of every session (bind, PDU, idle, directory).
    deps.deadlines.watch(this);
    void this.#connectUpstream();
  }

  /** A method, not a field read, so TypeScript does not narrow it across awaits. */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  get state(): State {
    return this.#state;
  }

  get tls(): boolean {
    return this.#tls;
  }

  get listenerName(): string {
    return this.#d.listener.name;
  }

  /** Finish in-flight work, then close; new requests are refused. */
  drain(): void {
    this.#draining = true;
    this.#closeIfDrained();
  }

  /** Immediate close, with a notice of disconnection when `reason` is given. */
  close(reason?: { code: number; text: string }): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#pending?.abort?.abort();
    this.#tarpitRelease?.();
    this.#d.deadlines.unwatch(this);
    this.#fromClient.kill();
    this.#fromUpstream.kill();
    if (reason && this.#client.writable) this.#client.write(encodeNoticeOfDisconnection(reason.code, reason.text));
    const client = this.#client;
    client.end();
    // A paused socket never reads the peer's FIN; resume so both sides close promptly
    // (incoming bytes go to the dead framer and are dropped).
    client.resume();
    const up = this.#upstream;
    if (up) {
      up.end();
      up.resume();
    }
    // A peer that never reads would keep a half-closed socket forever. The timer is
    // cancelled once both sockets have closed, so it does not keep them (and this session)
    // in memory for its whole length: a flood of short connections would.
    const timer = this.#d.clock.setTimer(5_000, () => {
      client.destroy();
      up?.destroy();
    });
    let open = 0;
    const closed = (): void => {
      if (--open === 0) timer.cancel();
    };
    for (const s of up ? [client, up] : [client]) {
      if (s.destroyed) continue;
      open++;
      s.once('close', closed);
    }
    if (open === 0) timer.cancel();
    this.#d.onClosed(this);
  }

  /** The upstream connection could serve someone else after an anonymous re-bind: only reusable operations, none outstanding. */
  #upstreamClean(): boolean {
    return this.#reusable && this.#state === 'ready' && this.#upstream !== null && this.#outstanding.size === 0;
  }

  #canHandBack(): boolean {
    return this.#upstreamClean() && !this.#draining && this.#pending === null && this.#restricted === null;
  }

  /** Lets go of the upstream connection (for the pool to re-bind and keep); this session no longer hears it. */
  #detachUpstream(): UpstreamSocket {
    const up = this.#upstream!;
    up.off('data', this.#onUpstreamData).off('drain', this.#onUpstreamDrain).off('close', this.#onUpstreamClose);
    this.#upstream = null;
    return up;
  }

  /**
   * The client unbound from a clean session: instead of the directory closing its side, the
   * pool re-binds it anonymously and keeps it for the next client (upstream.ts release); the
   * client's connection closes as after any unbind.
   */
  #handBack(): boolean {
    if (this.#canHandBack()) this.#d.pool.release(this.#detachUpstream(), this.#upstreamUrl);
    this.close();
    return true;
  }

  destroy(): void {
    this.close();
    this.#client.destroy();
    this.#upstream?.destroy();
  }

  // ---- wiring ----

  #attachClient(sock: net.Socket): void {
    sock.setNoDelay(true);
    sock.on('data', this.#onClientData);
    sock.on('end', this.#onClientEnd);
    sock.on('close', this.#onClientClose);
    sock.on('error', this.#onClientError);
    sock.on('drain', this.#onClientDrain);
  }

  #detachClient(sock: net.Socket): void {
    sock.off('data', this.#onClientData).off('end', this.#onClientEnd).off('close', this.#onClientClose);
    sock.off('error', this.#onClientError).off('drain', this.#onClientDrain);
  }

  readonly #onClientData = (chunk: Buffer): void => {
    const f = this.#fromClient;
    const wasInPdu = f.inPdu;
    const completed = f.completed;
    f.push(chunk);
    // Only whole requests count as activity: trickled bytes must not keep a connection open.
    if (f.completed !== completed) this.#lastActivity = this.#d.clock.now();
    if (f.inPdu && (!wasInPdu || f.completed !== completed)) this.#pduStartedAt = this.#d.clock.now();
    // Well-behaved clients send nothing while a bind is pending; pause only a flood.
    if (this.#fromClient.queuedBytes > HELD_INPUT_LIMIT) this.#client.pause();
  };
  readonly #onClientEnd = (): void => this.close();
  readonly #onClientClose = (): void => this.close();
  readonly #onClientError = (err: Error): void => {
    this.#d.log.debug({ event: 'client_error', conn: this.id, error: describeError(err) }, 'client connection error');
  };
  readonly #onClientDrain = (): void => {
    if (this.#clientStalledSince !== 0) {
      this.#clientStalledSince = 0;
      this.#upstreamQuietSince = this.#d.clock.now(); // the directory was held back by us, not silent
    }
    this.#upstream?.resume();
  };
  readonly #onUpstreamData = (chunk: Buffer): void => {
    const f = this.#fromUpstream;
    const completed = f.completed;
    f.push(chunk);
    if (f.completed !== completed) this.#lastActivity = this.#upstreamQuietSince = this.#d.clock.now();
  };
  readonly #onUpstreamDrain = (): void => {
    if (!this.#fromClient.held) this.#client.resume();
  };
  readonly #onUpstreamClose = (): void => {
    if (this.#state === 'closed') return;
    if (this.#unbinding) {
      this.close(); // the directory closes after the client's UnbindRequest, as it should
      return;
    }
    this.#d.log.warn({ event: 'directory_lost', conn: this.id, url: this.#upstreamUrl }, 'directory closed the connection');
    const p = this.#pending;
    if (p && (p.phase === 'directory' || p.phase === 'rebind') && this.#client.writable) {
      this.#client.write(encodeResult(p.req.msgId, Op.BindResponse, ResultCode.unavailable, Diagnostics.directoryLost));
      this.#emit(p, BindOutcome.Unavailable, ResultCode.unavailable);
      this.#setPending(null);
      this.close();
      return;
    }
    this.close({ code: ResultCode.unavailable, text: Diagnostics.directoryLost });
  };

  async #connectUpstream(): Promise<void> {
    try {
      const { socket, url } = await this.#d.pool.connect();
      if (this.#state === 'closed') {
        socket.destroy();
        return;
      }
      this.#attachUpstream(socket, url);
      this.#state = 'ready';
      this.#resumeClient();
    } catch (err) {
      if (this.#state === 'closed') return;
      this.#state = 'unavailable';
      this.#unavailableError = err;
      // Answer whatever the client sends with `unavailable`, then close shortly after.
      this.#resumeClient();
      this.#d.clock.setTimer(this.#d.config.directory.operationTimeoutMs, () => this.close({ code: ResultCode.unavailable, text: this.#unavailableText() }));
    }
  }

  #attachUpstream(socket: UpstreamSocket, url: string): void {
    this.#upstream = socket;
    this.#upstreamUrl = url;
    socket.on('data', this.#onUpstreamData);
    socket.on('drain', this.#onUpstreamDrain);
    socket.on('close', this.#onUpstreamClose);
    socket.resume();
  }

  #unavailableText(): string {
    return resultForError(this.#unavailableError, `conn-${this.id}`).diagnostic;
  }

  #resumeClient(): void {
    if (this.#state === 'closed') return;
    this.#fromClient.resume();
    // resume() on a flowing socket still schedules work; only undo a real pause.
    if (!this.#fromClient.held && this.#client.isPaused()) this.#client.resume();
  }

  #toUpstream(bytes: Buffer): void {
    if (!this.#upstream!.write(bytes)) this.#client.pause();
  }

  #toClient(bytes: Buffer): void {
    if (!this.#client.write(bytes) && this.#upstream) {
      this.#upstream.pause();
      if (this.#clientStalledSince === 0) this.#clientStalledSince = this.#d.clock.now();
    }
  }

  /** An operation goes to the directory: its answer is now awaited (with a deadline). */
  #track(msgId: number, op: number): void {
    if (this.#outstanding.size === 0) this.#upstreamQuietSince = this.#d.clock.now();
    if (this.#outstanding.has(msgId)) this.#untrack(msgId); // a client reusing an ID it still waits on
    this.#outstanding.set(msgId, op);
    this.#opsSinceBind++;
    if (op === Op.SearchRequest) this.#searchesOutstanding++;
  }

  #untrack(msgId: number): void {
    const op = this.#outstanding.get(msgId);
    if (op === undefined) return;
    this.#outstanding.delete(msgId);
    if (op === Op.SearchRequest) this.#searchesOutstanding--;
  }

  // ---- client → directory ----

  #clientHandler(): FrameHandler {
    return {
      classify: (msgId, op, pduBytes) => {
        if (!isRequestOp(op)) {
          this.#protocolViolation(`unexpected protocolOp 0x${op.toString(16)} from client`);
          return Disposition.Skip;
        }
        if (this.#firstBindBy !== 0 && (op === Op.BindRequest || this.#d.config.binds.anonymous === 'forward')) this.#firstBindBy = 0;
        if (op === Op.BindRequest) {
          const max = this.#d.config.limits.maxBindRequestBytes;
          if (pduBytes > max) {
            this.#protocolViolation(`BindRequest of ${pduBytes} bytes exceeds the limit of ${max}`, new BindwallError(ErrorCode.BindRequestTooLarge, `BindRequest of ${pduBytes} bytes exceeds the limit of ${max}`));
            return Disposition.Skip;
          }
          return Disposition.Collect; // decoded even when refused, for the event
        }
        if (this.#state === 'unavailable' || (this.#draining && op !== Op.UnbindRequest && op !== Op.AbandonRequest)) return Disposition.Skip;
        switch (op) {
          case Op.BindRequest:
          case Op.ExtendedRequest:
          case Op.AbandonRequest:
            return Disposition.Collect;
          case Op.UnbindRequest:
            if (this.#canHandBack()) return Disposition.Collect;
            this.#unbinding = true;
            return Disposition.Pass;
          default:
            if (op !== Op.SearchRequest && op !== Op.CompareRequest) this.#reusable = false;
            if (this.#restricted !== null) {
              if (isWriteOp(op)) return Disposition.Skip;
              // Searches and compares of a read-restricted session are inspected first.
              if (this.#restricted.readRestricted && (op === Op.SearchRequest || op === Op.CompareRequest)) return Disposition.Collect;
            }
            // A compare may test a password: looked at first when password oracles are guarded.
            if (op === Op.CompareRequest && this.#d.guard?.oracles) return Disposition.Collect;
            // A modify may set a password (AD's unicodePwd): whose, to tell them once it is accepted.
            if (op === Op.ModifyRequest && this.#d.onPasswordChanged) return Disposition.Collect;
            this.#track(msgId, op);
            return Disposition.Pass;
        }
      },
      pass: (bytes) => this.#toUpstream(bytes),
      collected: (pdu, _msgId, op) => this.#onClientPdu(pdu, op),
      skipped: (msgId, op) => this.#refuse(msgId, op),
      failed: (err) => this.#protocolViolation(err.message, err),
    };
  }

  /** Answers a skipped request with the right error response for its kind. */
  #refuse(msgId: number, op: number): boolean {
    const responseOp = ResponseFor[op];
    if (this.#state === 'unavailable') {
      if (responseOp !== undefined) this.#client.write(encodeResult(msgId, responseOp, ResultCode.unavailable, this.#unavailableText()));
      this.#scheduleClose({ code: ResultCode.unavailable, text: this.#unavailableText() });
      return true;
    }
    if (this.#draining) {
      if (responseOp !== undefined) this.#client.write(encodeResult(msgId, responseOp, ResultCode.unavailable, Diagnostics.shuttingDown));
      this.#closeIfDrained();
      return true;
    }
    if (responseOp !== undefined) this.#client.write(encodeResult(msgId, responseOp, ResultCode.insufficientAccessRights, Diagnostics.demoted));
    this.#d.noteAbout?.(this.clientAddress, { event: 'demoted_write_refused', conn: this.id, listener: this.#d.listener.name, dn: this.#lastBoundName ?? '', op }, 'a demoted session\'s write was refused');
    return true;
  }

  #onClientPdu(pdu: Buffer, op: number): boolean {
    try {
      if (op === Op.UnbindRequest) return this.#handBack();
      if (op === Op.BindRequest) return this.#onBindRequest(pdu);
      if (op === Op.CompareRequest && this.#d.guard?.oracles) {
        const cmp = decodeCompare(pdu);
        const forward = (): void => {
          if (this.#restricted?.readRestricted) {
            this.#onRestrictedRead(pdu, op);
            if (!this.#outstanding.has(cmp.msgId)) this.#oracleWaits.delete(cmp.msgId); // answered by the restriction
            return;
          }
          this.#track(cmp.msgId, op);
          this.#toUpstream(pdu);
        };
        if (isPasswordAttribute(cmp.attribute)) return this.#passwordTest(OracleKind.Compare, cmp.msgId, cmp.entry, cmp.value, forward);
        forward();
        return true;
      }
      if (op === Op.ModifyRequest) {
        // Read only to tell a person; the directory judges the request itself.
        const change = decodePasswordChange(pdu);
        if (change.setsPassword) this.#passwordChanges.set(change.msgId, change.object);
        this.#track(change.msgId, op);
        this.#toUpstream(pdu);
        return true;
      }
      if (op === Op.SearchRequest || op === Op.CompareRequest) return this.#onRestrictedRead(pdu, op);
      if (op === Op.ExtendedRequest) {
        const ext = decodeExtendedRequest(pdu);
        if (ext.oid === Oid.startTls) return this.#onStartTls(ext.msgId);
        if (ext.oid === Oid.passwordModify && (this.#d.guard?.oracles || this.#d.onPasswordChanged)) {
          const pm = decodePasswordModify(pdu);
          const name = pm?.userIdentity !== undefined ? identityName(pm.userIdentity) : this.#lastBoundName ?? '';
          const forward = (): void => {
            // Whose password this changes, to tell them once the directory accepts it (one per outstanding operation).
            if (this.#d.onPasswordChanged && name !== '') this.#passwordChanges.set(ext.msgId, name);
            this.#reusable = false;
            this.#track(ext.msgId, op);
            this.#toUpstream(pdu);
          };
          if (this.#d.guard?.oracles && pm?.oldPassword && name !== '') return this.#passwordTest(OracleKind.PasswordModify, ext.msgId, name, pm.oldPassword, forward);
          forward();
          return true;
        }
        if (ext.oid !== Oid.whoAmI) this.#reusable = false;
        this.#track(ext.msgId, op);
        this.#toUpstream(pdu);
        return true;
      }
      // AbandonRequest: the abandoned operation may never answer, so stop waiting for it.
      this.#reusable = false;
      this.#untrack(decodeAbandonTarget(pdu));
      this.#toUpstream(pdu);
      return true;
    } catch (err) {
      if (err instanceof BindwallError && err.code === ErrorCode.ProtocolMalformed) {
        this.#protocolViolation(err.message, err);
        return false;
      }
      throw err;
    }
  }

  /** Password modifies sent to the directory, by message ID: whose password (at most one per outstanding operation). */
  readonly #passwordChanges = new Map<number, string>();

  /** Password tests sent to the directory, by message ID, awaiting its answer (at most one per outstanding operation). */
  readonly #oracleWaits = new Map<number, OracleAttempt>();

  /**
   * A compare on a password attribute or a password modify with the old password: refused by
   * configuration, answered as a wrong password (a blocked source, a locked identity, a
   * known-wrong retry), or sent on (`forward`) and counted when the directory answers. A verdict
   * from another process (workers) holds the client's next requests until it arrives; the
   * return value is the framer's (false: hold).
   */
  #passwordTest(kind: OracleKind, msgId: number, name: string, secret: Buffer, forward: () => void): boolean {
    const v = this.#d.guard!.oracles!.check(kind, name, this.clientAddress, secret);
    if (!isThenable(v)) {
      this.#onOracleVerdict(kind, msgId, v, forward);
      return true;
    }
    v.then((verdict) => {
      if (this.#isClosed()) return;
      this.#onOracleVerdict(kind, msgId, verdict, forward);
      this.#resumeClient();
    }, (err: unknown) => {
      const ref = `conn-${this.id}-msg-${msgId}`;
      this.#d.log.error({ event: 'decision_error', conn: this.id, ref, error: describeError(err) }, 'password test could not be checked; refusing it');
      if (this.#isClosed()) return;
      const { resultCode, diagnostic } = resultForError(err, ref);
      this.#client.write(kind === OracleKind.Compare ? encodeResult(msgId, Op.CompareResponse, resultCode, diagnostic) : encodeExtendedResponse(msgId, resultCode, diagnostic));
      this.#resumeClient();
    });
    return false;
  }

  #onOracleVerdict(kind: OracleKind, msgId: number, v: OracleVerdict, forward: () => void): void {
    if (v.action === 'forward') {
      this.#oracleWaits.set(msgId, v.attempt);
      forward();
      return;
    }
    const refused = v.action === 'refuse';
    if (kind === OracleKind.Compare) {
      this.#client.write(refused ? encodeResult(msgId, Op.CompareResponse, ResultCode.insufficientAccessRights, Diagnostics.oracleRefused)
        : encodeResult(msgId, Op.CompareResponse, ResultCode.compareFalse));
    } else {
      const wrong = this.#d.passwordModifyWrong;
      this.#client.write(refused ? encodeExtendedResponse(msgId, ResultCode.unwillingToPerform, Diagnostics.passwordModifyRefused)
        : encodeExtendedResponse(msgId, wrong.code, wrong.text));
    }
  }

  /** The directory answered a password test (counted as wrong or right) or a password change (its owner told): passed on unchanged. */
  #onPasswordAnswer(pdu: Buffer, msgId: number, op: number): void {
    const attempt = this.#oracleWaits.get(msgId);
    this.#oracleWaits.delete(msgId);
    const res = decodeResult(pdu, op);
    const changed = op === Op.ExtendedResponse || op === Op.ModifyResponse ? this.#passwordChanges.get(msgId) : undefined;
    if (changed !== undefined) {
      this.#passwordChanges.delete(msgId);
      if (res.resultCode === ResultCode.success) this.#d.onPasswordChanged?.({ bindName: changed, address: this.clientAddress, listener: this.#d.listener.name });
    }
    if (!attempt) {
      this.#toClient(pdu);
      return;
    }
    const wrong = op === Op.CompareResponse ? compareVerdict(res.resultCode) : passwordModifyVerdict(res.resultCode, res.diagnosticMessage);
    if (op === Op.ExtendedResponse && wrong === true) Object.assign(this.#d.passwordModifyWrong, { code: res.resultCode, text: res.diagnosticMessage });
    if (wrong !== undefined) this.#d.guard!.oracles!.settle(attempt, wrong);
    this.#toClient(pdu);
  }

  /**
   * A demoted session's search or compare: a filter that tests a stripped attribute could
   * reveal what stripping hides (e.g. memberOf=cn=admins…), so it is refused, as is a
   * compare of a stripped attribute; a compare inside a hidden subtree finds nothing.
   */
  #onRestrictedRead(pdu: Buffer, op: number): boolean {
    const r = this.#restricted ?? writesRefused;
    let msgId: number;
    if (op === Op.SearchRequest) {
      const info = decodeSearchRequestInfo(pdu);
      msgId = info.msgId;
      // A hidden subtree answers like one that does not exist.
      if (r.hidesDn(info.baseDn)) {
        this.#client.write(encodeResult(info.msgId, Op.SearchResultDone, ResultCode.noSuchObject));
        return true;
      }
      if (info.filterAttributes.some((a) => r.stripsAttribute(a))) {
        this.#client.write(encodeResult(info.msgId, Op.SearchResultDone, ResultCode.insufficientAccessRights, Diagnostics.demotedFilter));
        return true;
      }
    } else {
      const cmp = decodeCompareRequest(pdu);
      msgId = cmp.msgId;
      if (r.hidesDn(cmp.entry)) {
        this.#client.write(encodeResult(cmp.msgId, Op.CompareResponse, ResultCode.noSuchObject));
        return true;
      }
      if (r.stripsAttribute(cmp.attribute)) {
        this.#client.write(encodeResult(cmp.msgId, Op.CompareResponse, ResultCode.insufficientAccessRights, Diagnostics.demotedCompare));
        return true;
      }
    }
    this.#track(msgId, op);
    this.#toUpstream(pdu);
    return true;
  }

  #protocolViolation(message: string, err?: BindwallError): void {
    this.#warn('protocol_violation', { code: err?.code ?? ErrorCode.ProtocolMalformed, reason: message }, 'closing connection: malformed request');
    const { resultCode, diagnostic } = resultForError(err ?? new BindwallError(ErrorCode.ProtocolMalformed, message), `conn-${this.id}`);
    this.close({ code: resultCode, text: diagnostic });
  }

  /** A warning a client can cause at will: within the per-address budget, with what was held back. */
  #warn(event: string, fields: Record<string, unknown>, msg: string): void {
    this.#d.warnAbout(this.clientAddress, { event, conn: this.id, ...fields }, msg);
  }

  /** Closes for a limit the client ran into (slowloris, no bind), with its stable code. */
  #limitClose(err: BindwallError): void {
    this.#warn('connection_limit', { code: err.code, reason: err.message }, `closing connection: ${err.message}`);
    const { resultCode, diagnostic } = resultForError(err, `conn-${this.id}`);
    this.close({ code: resultCode, text: diagnostic });
  }

  // ---- binds ----

  #onBindRequest(received: Buffer): boolean {
    let pdu = received;
    const req = decodeBindRequest(pdu);
    const receivedAt = this.#d.clock.now();
    const password = req.auth.kind === 'simple' ? req.auth.password.reveal() : null;
    const method: BindMethod = req.auth.kind === 'sasl' ? BindMethod.Sasl
      : req.name === '' && password!.length === 0 ? BindMethod.Anonymous
        : password!.length === 0 ? BindMethod.Unauthenticated : BindMethod.Simple;
    const mechanism = req.auth.kind === 'sasl' ? req.auth.mechanism : undefined;
    const mechanismValid = mechanism === undefined || isValidSaslMechanism(mechanism);
    // A client controls the mechanism field: only a registered name is ever logged or stored.
    const connection: ConnectionContext = this.#lastBoundName === undefined ? { opsBefore: this.#opsSinceBind } : { previousBind: this.#lastBoundName, opsBefore: this.#opsSinceBind };
    const pending: PendingBind = { req, method, receivedAt, phase: 'directory', deadline: Infinity, connection, ...(mechanism !== undefined ? { saslMechanism: mechanismValid ? loggableSaslMechanism(mechanism) : '(invalid)' } : {}) };
    // Any bind resets the connection's authorization (RFC 4511 §4.2.1), and with it a demotion.
    this.#restricted = null;
    // A SASL exchange may leave a security layer on the directory's connection.
    if (method === BindMethod.Sasl) this.#reusable = false;

    const binds = this.#d.config.binds;
    const limits = this.#d.config.limits;
    const refuse = (code: number, text: string, outcome: BindOutcome | null = BindOutcome.Refused): boolean => {
      this.#client.write(encodeResult(req.msgId, Op.BindResponse, code, text));
      if (outcome !== null) this.#emit(pending, outcome, code);
      // The upstream may still be bound from an earlier bind on this connection.
      this.#resetUpstream(pending);
      return !this.#pending;
    };
    // Limits first: nothing over them reaches the directory, the behaviour state, storage or a log line.
    const nameBytes = Buffer.byteLength(req.name, 'utf8');
    if (nameBytes > limits.maxBindNameBytes) {
      this.#warn('bind_limit', { code: ErrorCode.BindNameTooLong, nameBytes, limit: limits.maxBindNameBytes }, 'bind refused: bind name too long');
      return refuse(ResultCode.invalidCredentials, Diagnostics.bindNameTooLong, null);
    }
    if (password && password.length > limits.maxPasswordBytes) {
      this.#warn('bind_limit', { code: ErrorCode.PasswordTooLong, passwordBytes: password.length, limit: limits.maxPasswordBytes }, 'bind refused: password too long');
      return refuse(ResultCode.invalidCredentials, Diagnostics.passwordTooLong);
    }
    if (!mechanismValid) {
      this.#warn('bind_limit', { code: ErrorCode.SaslMechanismInvalid, mechanismBytes: Buffer.byteLength(mechanism!, 'utf8') }, 'bind refused: invalid SASL mechanism name');
      return refuse(ResultCode.authMethodNotSupported, Diagnostics.saslMechanismInvalid);
    }
    if (this.#state === 'unavailable') {
      refuse(ResultCode.unavailable, this.#unavailableText(), BindOutcome.Unavailable);
      this.#scheduleClose({ code: ResultCode.unavailable, text: this.#unavailableText() });
      return true;
    }
    if (this.#draining) {
      refuse(ResultCode.unavailable, Diagnostics.shuttingDown, BindOutcome.Unavailable);
      this.#closeIfDrained();
      return !this.#pending;
    }
    if ((method === BindMethod.Simple || method === BindMethod.Unauthenticated) && this.#d.listener.requireTls && !this.#tls) {
      return refuse(ResultCode.confidentialityRequired, Diagnostics.tlsRequired);
    }
    if (method === BindMethod.Anonymous && binds.anonymous === 'refuse') return refuse(ResultCode.inappropriateAuthentication, Diagnostics.anonymousRefused);
    if (method === BindMethod.Unauthenticated && binds.unauthenticated === 'refuse') return refuse(ResultCode.unwillingToPerform, Diagnostics.unauthenticatedRefused);
    if (method === BindMethod.Sasl && binds.sasl === 'refuse') return refuse(ResultCode.authMethodNotSupported, Diagnostics.saslRefused);

    // A honeytoken: whatever password came, the directory gets a random one, so the answer is
    // its own wrong-password answer, in its own time.
    if (method === BindMethod.Simple && this.#d.isHoneytoken?.(req.name)) {
      pending.honeytoken = true;
      pdu = encodeSimpleBindRequest(req.msgId, req.name, randomBytes(24).toString('base64url'));
    }
    // The threat pool and smart lockout, in one question (asked of another process in a worker).
    const guard = this.#d.guard;
    if (!guard || method === BindMethod.Anonymous) return this.#screened(pending, pdu, password, refuse, undefined);
    const input = { bindName: req.name, address: this.clientAddress, connection, ...(method === BindMethod.Simple && !pending.honeytoken ? { lockout: { password: password! } } : {}) };
    let screen: Screen | Promise<Screen>;
    try {
      screen = guard.screen(input);
    } catch (err) {
      this.#failClosed(pending, err);
      return !this.#pending;
    }
    if (!isThenable(screen)) return this.#screened(pending, pdu, password, refuse, screen);
    pending.phase = 'screening';
    this.#setPending(pending);
    screen.then((sc) => {
      if (this.#isClosed() || this.#pending !== pending) return;
      this.#setPending(null);
      if (this.#screened(pending, pdu, password, refuse, sc)) this.#resumeClient();
    }, (err: unknown) => {
      if (this.#isClosed() || this.#pending !== pending) return;
      this.#failClosed(pending, err);
    });
    return false;
  }

  /**
   * The rest of a bind once screened: a blocked source or a locked identity is answered here,
   * low and medium threat waits in the tarpit, an appended one-time code is split off, and the
   * bind goes to the directory. The return value is the framer's (false: hold the client).
   */
  #screened(pending: PendingBind, received: Buffer, password: Buffer | null, refuse: (code: number, text: string, outcome?: BindOutcome | null) => boolean, screen: Screen | undefined): boolean {
    let pdu = received;
    const req = pending.req;
    const method = pending.method;
    const guard = this.#d.guard;
    // A source in the threat pool at high is answered here, as a wrong password would be: its
    // guesses never reach the directory, whose failure counters (and lockouts) do not move.
    // First, and cheapest: a spray's guesses cost bindwall as little as possible.
    const threat = screen?.threat;
    const slow = threat?.entry !== undefined && guard!.enforce && threat.action === 'slow';
    if (threat?.entry) {
      const enforced = guard!.enforce && threat.action !== 'allow';
      pending.threat = { level: threat.entry.level, action: threat.action, enforced, reasons: threat.entry.reasons, ...(threat.entry.kinds ? { kinds: threat.entry.kinds } : {}) };
      if (enforced && threat.action === 'block') return refuse(ResultCode.invalidCredentials, this.#d.invalidCredentialsText.value, BindOutcome.ThreatBlocked);
    }
    // Smart lockout: an identity locked out from this kind of source is answered here, and the
    // directory's own counter does not move.
    const key = screen?.lockout;
    if (key) {
      if (key.until > 0) {
        pending.lockout = { bucket: key.bucket, until: key.until, enforced: guard!.enforce };
        if (guard!.enforce) return refuse(ResultCode.invalidCredentials, this.#d.invalidCredentialsText.value, BindOutcome.LockedOut);
      }
      pending.lockoutKey = key;
      pending.lockoutPassword = password!;
      // A password the directory already called wrong (an app or phone retrying a stale one):
      // in enforce mode answered here as the directory answered it, so retries cannot lock the account.
      if (screen!.repeated) {
        pending.repeatedPassword = true;
        if (guard!.enforce) return refuse(ResultCode.invalidCredentials, this.#d.invalidCredentialsText.value, BindOutcome.RepeatedWrong);
      }
    }
    // Low and medium threat is slowed, in a bounded number of slots: when they are all taken
    // the bind is answered busy (a client retries), never queued without limit.
    let slowed = false;
    if (slow && this.#d.tarpit) {
      if (!this.#d.tarpit.acquire()) return refuse(ResultCode.busy, Diagnostics.tarpitFull, BindOutcome.Refused);
      slowed = true;
    }

    const delimiter = this.#d.config.mfa.otpDelimiter;
    if (delimiter !== undefined && method === BindMethod.Simple && !pending.honeytoken) {
      // "password,123456": the directory sees the password, the challenge gets the code.
      const split = splitOtp(password!, delimiter);
      if (split) {
        pending.otp = new Secret(split.code);
        pdu = encodeSimpleBindRequest(req.msgId, req.name, split.password);
      }
    }
    this.#setPending(pending);
    if (slowed) {
      pending.phase = 'tarpit';
      const tarpit = this.#d.tarpit!;
      this.#tarpitRelease = () => {
        this.#tarpitRelease = undefined;
        timer.cancel();
        tarpit.release();
      };
      const timer = this.#d.clock.setTimer(tarpit.delayMs, () => {
        this.#tarpitRelease?.();
        if (this.#pending !== pending || this.#isClosed()) return;
        this.#forwardBind(pending, pdu);
      });
      return false;
    }
    this.#forwardBind(pending, pdu);
    return false; // hold the client until the bind is decided
  }

  /** Set while a bind is held in the tarpit: frees its slot (on time, or when the session closes). */
  #tarpitRelease: (() => void) | undefined;

  #forwardBind(pending: PendingBind, pdu: Buffer): void {
    pending.phase = 'directory';
    pending.forwarded = pdu;
    this.#upstreamBound = true; // from now on, until a failed or reset bind says otherwise
    pending.deadline = this.#d.clock.now() + this.#d.config.directory.operationTimeoutMs;
    this.#toUpstream(pdu);
  }

  #setPending(p: PendingBind | null): void {
    this.#pending = p;
  }

  /**
   * Called by the proxy's deadline sweep (about once a second): every time limit of the
   * connection, whoever controls it — the client (first bind, a PDU's arrival, reading what
   * it asked for, idleness) or the directory (a bind's or an operation's answer).
   */
  checkDeadline(now: number): void {
    if (this.#state === 'closed') return;
    const p = this.#pending;
    if (p && p.phase !== 'deciding' && now >= p.deadline) return this.#onBindTimeout(p);
    const limits = this.#d.config.limits;
    if (this.#firstBindBy !== 0 && now >= this.#firstBindBy) {
      return this.#limitClose(new BindwallError(ErrorCode.FirstBindTimeout, `no bind within ${limits.firstBindTimeoutMs} ms of connecting`));
    }
    const f = this.#fromClient;
    if (f.inPdu && !f.held) {
      // While we hold the client back (paused for backpressure), its PDU cannot progress.
      if (this.#client.isPaused()) this.#pduStartedAt = now;
      else if (now - this.#pduStartedAt >= limits.pduTimeoutMs) {
        return this.#limitClose(new BindwallError(ErrorCode.PduTimeout, `request not complete ${limits.pduTimeoutMs} ms after its first byte`));
      }
    }
    if (this.#clientStalledSince !== 0 && now - this.#clientStalledSince >= limits.idleTimeoutMs) {
      this.#d.log.info({ event: 'idle_timeout', conn: this.id, client: this.clientAddress, reason: 'client not reading' }, 'closing connection: the client stopped reading');
      return this.close({ code: ResultCode.unavailable, text: Diagnostics.idle });
    }
    if (this.#outstanding.size > 0 && this.#clientStalledSince === 0 && !this.#probing) {
      const dir = this.#d.config.directory;
      const limit = this.#searchesOutstanding > 0 ? dir.searchTimeoutMs : dir.operationTimeoutMs;
      if (now - this.#upstreamQuietSince >= limit) return this.#onOperationTimeout(limit);
    }
    const busy = p !== null || this.#outstanding.size > 0;
    const idleFor = now - this.#lastActivity;
    if (!busy && idleFor >= limits.idleTimeoutMs) {
      this.#d.log.info({ event: 'idle_timeout', conn: this.id, client: this.clientAddress, idleMs: idleFor }, 'closing idle connection');
      this.close({ code: ResultCode.unavailable, text: Diagnostics.idle });
    }
  }

  /**
   * The directory has said nothing for `limitMs` while operations wait. A long search (or a
   * persistent one) is legitimate if the directory is alive, so it is asked for its root
   * DSE on a fresh connection: alive → keep waiting; silent → it is marked down (new
   * connections fail over), every waiting operation gets `unavailable`, and the session closes.
   */
  #onOperationTimeout(limitMs: number): void {
    this.#probing = true;
    const url = this.#upstreamUrl;
    void this.#d.pool.suspect(url).then((alive) => {
      this.#probing = false;
      if (this.#isClosed()) return;
      if (alive) {
        this.#upstreamQuietSince = this.#d.clock.now();
        return;
      }
      const ref = `conn-${this.id}`;
      this.#d.log.warn({ event: 'directory_timeout', conn: this.id, ref, url, waitingOperations: this.#outstanding.size, limitMs }, 'directory did not answer operations in time; failing them');
      const text = `${Diagnostics.operationTimeout} (ref ${ref})`;
      for (const [msgId, op] of this.#outstanding) {
        const responseOp = ResponseFor[op];
        if (responseOp !== undefined) this.#client.write(encodeResult(msgId, responseOp, ResultCode.unavailable, text));
      }
      this.#outstanding.clear();
      this.#searchesOutstanding = 0;
      this.close({ code: ResultCode.unavailable, text });
    });
  }

  #onBindTimeout(p: PendingBind): void {
    if (this.#pending !== p || p.phase === 'deciding') return;
    this.#d.log.warn({ event: 'directory_timeout', conn: this.id, url: this.#upstreamUrl, phase: p.phase }, 'directory did not answer a bind');
    // Slow or hung? A hung directory is marked down so that new connections fail over.
    void this.#d.pool.suspect(this.#upstreamUrl);
    if (p.phase === 'directory' || p.phase === 'rebind') {
      this.#client.write(encodeResult(p.req.msgId, Op.BindResponse, ResultCode.unavailable, Diagnostics.bindTimeout));
      this.#emit(p, BindOutcome.Unavailable, ResultCode.unavailable);
    }
    this.#setPending(null);
    this.close(); // the upstream's state is unknown: never reuse it
  }

  #onBindResponse(pdu: Buffer): boolean {
    const p = this.#pending!;
    const res = decodeResult(pdu, Op.BindResponse);
    if (p.phase === 'reset') {
      // Success or failure, a bind attempt leaves the connection anonymous (RFC 4511 §4.2.1).
      this.#setPending(null);
      this.#upstreamBound = false;
      this.#resumeClient();
      this.#closeIfDrained();
      return true;
    }
    if (p.phase === 'rebind') {
      // The same bind again, after a challenge on a parked connection passed.
      if (res.resultCode === ResultCode.success) {
        this.#grant(p, pdu, BindOutcome.ChallengePassed);
        return true;
      }
      this.#upstreamBound = false;
      p.directoryResultCode = res.resultCode;
      if (res.diagnosticMessage) p.directoryDiagnostic = res.diagnosticMessage;
      p.detail = `${p.detail ? `${p.detail}; ` : ''}the directory refused the bind when it was sent again after the challenge`;
      this.#toClient(pdu);
      this.#emit(p, BindOutcome.Failed, res.resultCode);
      this.#setPending(null);
      this.#resumeClient();
      return true;
    }
    p.directoryResultCode = res.resultCode;
    if (res.diagnosticMessage) p.directoryDiagnostic = res.diagnosticMessage;
    if (p.lockoutPassword !== undefined && p.lockoutKey && this.#d.guard) {
      // Only a plain wrong password counts: AD answers an expired or must-change password (a right one) with 49 too.
      if (res.resultCode === ResultCode.invalidCredentials && isPlainWrongPassword(res.diagnosticMessage)) this.#d.guard.failed(p.lockoutKey, this.clientAddress, p.lockoutPassword);
      else if (res.resultCode === ResultCode.success) this.#d.guard.succeeded(p.lockoutKey);
      delete p.lockoutPassword;
    }
    if ((res.resultCode !== ResultCode.success && res.resultCode !== ResultCode.saslBindInProgress) || p.method === BindMethod.Anonymous) {
      this.#upstreamBound = false;
    }
    if (p.method !== BindMethod.Simple || res.resultCode !== ResultCode.success) {
      if (p.method === BindMethod.Simple && res.resultCode === ResultCode.invalidCredentials && isPlainWrongPassword(res.diagnosticMessage)) {
        this.#d.invalidCredentialsText.value = res.diagnosticMessage;
      }
      this.#toClient(pdu);
      const outcome = res.resultCode === ResultCode.success || res.resultCode === ResultCode.saslBindInProgress ? BindOutcome.Forwarded : BindOutcome.Failed;
      this.#emit(p, outcome, res.resultCode);
      this.#setPending(null);
      this.#resumeClient();
      return true;
    }
    p.phase = 'deciding';
    this.#decide(p, pdu);
    return true;
  }

  /** Scores (when behaviour is on), then decides; synchronous answers skip the promise machinery. */
  #decide(p: PendingBind, successPdu: Buffer): void {
    const attempt = new Attempt(this, p);
    const assess = this.#d.assess;
    if (!assess) return this.#decideScored(p, attempt, successPdu);
    this.#step(p, () => assess(attempt), (a) => {
      if (this.#isClosed()) return this.#emit(p, BindOutcome.Abandoned, ResultCode.other);
      p.assessment = attempt.assessment = a;
      this.#decideScored(p, attempt, successPdu);
    });
  }

  #decideScored(p: PendingBind, attempt: Attempt, successPdu: Buffer): void {
    this.#step(p, () => this.#d.decide(attempt), (d) => {
      if (attempt.logon) p.logon = attempt.logon;
      // Scored by the decision itself (a worker's hub scores and decides in one question).
      if (attempt.assessment && !p.assessment) p.assessment = attempt.assessment;
      this.#apply(p, attempt, d, successPdu);
    });
  }

  /**
   * Runs one step of deciding: a value continues at once, a promise when it settles, and
   * anything thrown or rejected fails the bind closed.
   */
  #step<T>(p: PendingBind, produce: () => T | Promise<T>, next: (value: T) => void): void {
    let value: T | Promise<T>;
    try {
      value = produce();
    } catch (err) {
      this.#failClosed(p, err);
      return;
    }
    if (isThenable(value)) value.then(next, (err: unknown) => this.#failClosed(p, err));
    else next(value);
  }

  #apply(p: PendingBind, attempt: BindAttempt, decision: Decision, successPdu: Buffer): void {
    try {
      validateDecision(decision);
      p.decision = decision;
      if (this.#isClosed()) return this.#emit(p, BindOutcome.Abandoned, ResultCode.other);
      switch (decision.action) {
        case Action.Approve:
          return this.#grant(p, successPdu, BindOutcome.Approved);
        case Action.Demote:
          this.#restricted = decision.restriction ?? writesRefused;
          return this.#grant(p, successPdu, BindOutcome.Demoted);
        case Action.Block:
          return this.#refuseAfterSuccess(p, BindOutcome.Blocked);
        case Action.Challenge:
          this.#park(p);
          this.#d.challenge(attempt, decision).then((outcome) => {
            if (this.#isClosed()) return this.#emit(p, BindOutcome.Abandoned, ResultCode.other);
            if (outcome.detail) p.detail = outcome.detail;
            if (outcome.outcome?.method) p.mfaMethod = outcome.outcome.method;
            if (outcome.incidentId !== undefined) p.incidentId = outcome.incidentId;
            if (outcome.result === ChallengeResult.Passed) return this.#passed(p, successPdu);
            this.#refuseAfterSuccess(p, BindOutcome.ChallengeFailed);
            if (p.parked) this.#reconnect();
          }).catch((err: unknown) => this.#failClosed(p, err));
      }
    } catch (err) {
      this.#failClosed(p, err);
    }
  }

  /**
   * A challenge can take a minute, and thousands may wait at once: the upstream connection,
   * bound as the user, goes back to the pool (re-bound anonymously there) instead of being held,
   * when the session sent nothing but binds, searches, compares and WhoAmI and nothing else is
   * outstanding. If the challenge passes, the same bind is sent again on a fresh connection and
   * the directory judges the password once more (changed or locked meanwhile: its answer stands).
   */
  #park(p: PendingBind): void {
    if (!p.forwarded || !this.#upstreamClean()) return;
    const up = this.#detachUpstream();
    this.#upstreamBound = false;
    this.#state = 'connecting';
    p.parked = true;
    this.#d.pool.release(up, this.#upstreamUrl, 'challenge');
  }

  /** A passed challenge: granted, on a parked connection once the directory has accepted the same bind again. */
  #passed(p: PendingBind, successPdu: Buffer): void {
    if (!p.parked) return this.#grant(p, successPdu, BindOutcome.ChallengePassed);
    void this.#d.pool.connect().then(({ socket, url }) => {
      if (this.#isClosed()) {
        socket.destroy();
        return this.#emit(p, BindOutcome.Abandoned, ResultCode.other);
      }
      this.#attachUpstream(socket, url);
      this.#state = 'ready';
      p.phase = 'rebind';
      this.#upstreamBound = true;
      p.deadline = this.#d.clock.now() + this.#d.config.directory.operationTimeoutMs;
      this.#toUpstream(p.forwarded!);
    }, (err: unknown) => {
      if (this.#isClosed()) return;
      const { resultCode, diagnostic } = resultForError(err, `conn-${this.id}`);
      this.#emit(p, BindOutcome.Unavailable, resultCode);
      this.#client.write(encodeResult(p.req.msgId, Op.BindResponse, resultCode, diagnostic));
      this.#setPending(null);
      this.close({ code: resultCode, text: diagnostic });
    });
  }

  /** A refused challenge on a parked connection: the session goes on, on a fresh one (held until it is up). */
  #reconnect(): void {
    if (this.#isClosed() || this.#upstream) return;
    this.#fromClient.hold();
    void this.#connectUpstream();
  }

  #grant(p: PendingBind, successPdu: Buffer, outcome: BindOutcome): void {
    // The event (and its log line) first when every decision must be logged before the answer.
    if (this.#d.config.log.flushBeforeAnswer === 'decisions') {
      this.#emit(p, outcome, ResultCode.success);
      this.#toClient(successPdu);
    } else {
      this.#toClient(successPdu);
      this.#emit(p, outcome, ResultCode.success);
    }
    this.#setPending(null);
    this.#resumeClient();
    this.#closeIfDrained();
  }

  /** Fail closed: an error anywhere in deciding refuses the bind and un-binds the upstream. */
  #failClosed(p: PendingBind, err: unknown): void {
    const ref = `conn-${this.id}-msg-${p.req.msgId}`;
    this.#d.log.error({ event: 'decision_error', conn: this.id, ref, error: describeError(err) }, 'bind decision failed; refusing the bind');
    if (this.#isClosed()) return;
    const { resultCode, diagnostic } = resultForError(err, ref);
    this.#emit(p, BindOutcome.Error, resultCode); // logged (and flushed) before the answer
    this.#client.write(encodeResult(p.req.msgId, Op.BindResponse, resultCode, diagnostic));
    this.#resetUpstream(p);
  }

  /** The directory accepted the password but we refuse: answer as a wrong password would be answered. */
  #refuseAfterSuccess(p: PendingBind, outcome: BindOutcome): void {
    this.#emit(p, outcome, ResultCode.invalidCredentials); // logged (and flushed) before the answer
    this.#client.write(encodeResult(p.req.msgId, Op.BindResponse, ResultCode.invalidCredentials, this.#d.invalidCredentialsText.value));
    this.#resetUpstream(p);
  }

  /**
   * Leaves the upstream connection un-bound: an anonymous bind replaces whatever identity
   * it had. Client traffic stays held until the directory confirms; if it does not answer
   * in time the whole session is closed rather than reused.
   */
  #resetUpstream(p: PendingBind): void {
    if (!this.#upstream || this.#state !== 'ready' || !this.#upstreamBound) {
      this.#setPending(null);
      this.#resumeClient();
      return;
    }
    p.phase = 'reset';
    this.#setPending(p);
    p.deadline = this.#d.clock.now() + this.#d.config.directory.operationTimeoutMs;
    this.#upstream.write(encodeSimpleBindRequest(p.req.msgId, '', ''));
  }

  #emit(p: PendingBind, outcome: BindOutcome, resultCode: number): void {
    // Whatever the answer, the connection's next bind follows this one.
    this.#lastBoundName = resultCode === ResultCode.success ? p.req.name : '';
    this.#opsSinceBind = 0;
    const d = p.decision;
    this.#d.emit({
      time: p.receivedAt,
      connectionId: this.id,
      listener: this.#d.listener.name,
      clientAddress: this.clientAddress,
      clientPort: this.clientPort,
      bindDn: p.req.name,
      method: p.method,
      saslMechanism: p.saslMechanism,
      tls: this.#tls,
      outcome,
      resultCode,
      directoryResultCode: p.directoryResultCode,
      directoryDiagnostic: p.directoryDiagnostic,
      reasons: d?.reasons,
      ruleId: d?.ruleId,
      policyHash: d?.policyHash,
      ...(d?.audit ? { audit: d.audit } : {}),
      action: d?.action,
      detail: p.detail,
      ...(p.threat ? { threat: p.threat } : {}),
      ...(p.honeytoken ? { honeytoken: true as const } : {}),
      ...(p.lockout ? { lockout: p.lockout } : {}),
      ...(p.repeatedPassword ? { repeatedPassword: true as const } : {}),
      assessment: p.assessment,
      latencyMs: this.#d.clock.now() - p.receivedAt,
      connection: p.connection,
      ...(p.logon ? { identity: p.logon.account, accountKind: p.logon.kind, app: p.logon.app, ...(p.logon.endpointName ? { endpointName: p.logon.endpointName } : {}) } : {}),
      ...(this.#tls ? { tlsVersion: (this.#client as tls.TLSSocket).getProtocol?.() ?? undefined } : {}),
      ...(p.mfaMethod ? { mfaMethod: p.mfaMethod } : {}),
      ...(p.incidentId !== undefined ? { incidentId: p.incidentId } : {}),
    });
  }

  /** For the lazy abort signal of an attempt. */
  isClosedNow(): boolean {
    return this.#isClosed();
  }

  // ---- StartTLS on the listener ----

  #onStartTls(msgId: number): boolean {
    const reply = (code: number, text = ''): boolean => {
      this.#client.write(encodeExtendedResponse(msgId, code, text, Oid.startTls));
      return true;
    };
    if (!this.#d.secureContext || this.#d.listener.kind === 'ldaps') return reply(ResultCode.protocolError, Diagnostics.startTlsNotOffered);
    if (this.#tls) return reply(ResultCode.operationsError, Diagnostics.startTlsActive);
    if (this.#outstanding.size > 0) return reply(ResultCode.operationsError, Diagnostics.startTlsOutstanding);
    const raw = this.#client;
    raw.write(encodeExtendedResponse(msgId, ResultCode.success, '', Oid.startTls));
    this.#detachClient(raw);
    raw.pause();
    const secure = new tls.TLSSocket(raw, { isServer: true, secureContext: this.#d.secureContext, requestCert: false });
    this.#client = secure;
    secure.on('error', this.#onClientError);
    secure.on('close', this.#onClientClose);
    secure.once('secure', () => {
      if (this.#state === 'closed') return;
      if (!this.#fromClient.atBoundary) {
        // The client sent more before the upgrade; that is a protocol violation (RFC 4511 §4.14.1).
        this.#protocolViolation('data after StartTLS request before the TLS handshake');
        return;
      }
      this.#tls = true;
      secure.off('error', this.#onClientError).off('close', this.#onClientClose);
      this.#attachClient(secure);
      this.#resumeClient();
    });
    return false;
  }

  // ---- directory → client ----

  #upstreamHandler(): FrameHandler {
    return {
      classify: (msgId, op) => {
        const p = this.#pending;
        if (p !== null && op === Op.BindResponse && msgId === p.req.msgId) return Disposition.Collect;
        if (op === Op.SearchResultEntry && this.#restricted?.readRestricted) return Disposition.Collect;
        if (msgId !== 0 && this.#outstanding.size > 0 && isFinalResponse(op)) this.#untrack(msgId);
        if (this.#oracleWaits.size > 0 && (op === Op.CompareResponse || op === Op.ExtendedResponse) && this.#oracleWaits.has(msgId)) return Disposition.Collect;
        if (this.#passwordChanges.size > 0 && (op === Op.ExtendedResponse || op === Op.ModifyResponse) && this.#passwordChanges.has(msgId)) return Disposition.Collect;
        return Disposition.Pass;
      },
      pass: (bytes) => {
        this.#toClient(bytes);
        if (this.#draining) this.#closeIfDrained();
      },
      collected: (pdu, msgId, op) => {
        try {
          if (op === Op.SearchResultEntry) {
            const r = this.#restricted ?? writesRefused;
            const entry = restrictSearchEntry(pdu, r.hidesDn, r.stripsValue, r.stripsWhole);
            if (entry) this.#toClient(entry);
            return true;
          }
          if (op === Op.CompareResponse || op === Op.ExtendedResponse || op === Op.ModifyResponse) {
            this.#onPasswordAnswer(pdu, msgId, op);
            return true;
          }
          return this.#onBindResponse(pdu);
        } catch (err) {
          this.#directoryMalformed(err);
          return false;
        }
      },
      skipped: () => true,
      failed: (err) => this.#directoryMalformed(err),
    };
  }

  #directoryMalformed(err: unknown): void {
    this.#d.log.error({ event: 'directory_protocol_error', conn: this.id, url: this.#upstreamUrl, error: describeError(err) }, 'directory sent a malformed response');
    const p = this.#pending;
    if (p && (p.phase === 'directory' || p.phase === 'rebind')) {
      this.#client.write(encodeResult(p.req.msgId, Op.BindResponse, ResultCode.unavailable, Diagnostics.directoryMalformed));
      this.#emit(p, BindOutcome.Unavailable, ResultCode.unavailable);
      this.#setPending(null);
    }
    this.close({ code: ResultCode.unavailable, text: Diagnostics.directoryMalformed });
  }

  // ---- lifecycle helpers ----

  #closeIfDrained(): void {
    if (!this.#draining || this.#state === 'closed') return;
    if (this.#outstanding.size === 0 && this.#pending === null && this.#fromClient.atBoundary) {
      this.#scheduleClose({ code: ResultCode.unavailable, text: Diagnostics.shuttingDown });
    }
  }

  /** Closes after the current I/O callback, so responses already written go out first. */
  #scheduleClose(reason: { code: number; text: string }): void {
    if (this.#closeScheduled) return;
    this.#closeScheduled = true;
    setImmediate(() => this.close(reason));
  }
}

/** Splits "password<delimiter>123456" into the password and a six-digit code. */
function splitOtp(password: Buffer, delimiter: string): { password: Buffer; code: string } | undefined {
  const d = Buffer.from(delimiter, 'utf8');
  const codeStart = password.length - 6;
  const at = codeStart - d.length;
  if (at <= 0 || !password.subarray(at, codeStart).equals(d)) return undefined;
  const code = password.subarray(codeStart).toString('latin1');
  return /^\d{6}$/.test(code) ? { password: password.subarray(0, at), code } : undefined;
}

/** AD answers a plain wrong password with "data 52e"; OpenLDAP with an empty message. */
function isPlainWrongPassword(diagnostic: string): boolean {
  return diagnostic === '' || /\bdata 52e\b/i.test(diagnostic);
}

const ACTIONS: ReadonlySet<string> = new Set(Object.values(Action));
function validateDecision(d: unknown): asserts d is Decision {
  if (!d || typeof d !== 'object' || !ACTIONS.has((d as Decision).action)) {
    throw new BindwallError(ErrorCode.DecisionFailed, `decision function returned an invalid decision`);
  }
}
