/**
 * Connections to one directory URL opened ahead of need: a client's new connection starts
 * on one that is already connected (and through TLS), so the directory's connect time is
 * not on its path. Never bound, or handed back by a clean session and re-bound anonymously:
 * a warm connection carries nobody's identity.
 * Only kept while there is demand (taken from within the last idleMs), closed when idle
 * longer than that (directories close idle connections themselves), dropped at once when
 * the directory closes one or sends anything on it.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { UpstreamSocket } from './upstream.js';

interface Idle {
  socket: UpstreamSocket;
  since: number;
  onData: () => void;
  onClose: () => void;
}

/** At most this many opened at once while refilling. */
const OPENING_AT_ONCE = 4;

export class WarmConnections {
  /** Oldest first. */
  #idle: Idle[] = [];
  #opening = 0;
  /** Taken and still open, with what ends their loan: they may come back (give), and are not replaced while they might. */
  readonly #lent = new Map<UpstreamSocket, () => void>();
  #lastTake = Number.NEGATIVE_INFINITY;
  #sweep: TimerHandle | undefined;
  #closed = false;

  constructor(private readonly o: { size: number; idleMs: number; clock: Clock; open: () => Promise<UpstreamSocket> }) {}

  get idle(): number {
    return this.#idle.length;
  }

  /** An open, unused connection (the newest), or undefined; refills behind. */
  take(): UpstreamSocket | undefined {
    if (this.o.size === 0 || this.#closed) return undefined;
    const now = this.o.clock.now();
    this.#lastTake = now;
    this.#expire(now);
    let taken: UpstreamSocket | undefined;
    for (let w = this.#idle.pop(); w; w = this.#idle.pop()) {
      this.#detach(w);
      if (!w.socket.destroyed && w.socket.writable && !w.socket.readableEnded) {
        taken = w.socket;
        this.#lend(taken);
        break;
      }
      w.socket.destroy();
    }
    this.#refill();
    return taken;
  }

  /** Would a connection handed back be kept (there is demand and room)? */
  wants(): boolean {
    return !this.#closed && this.o.size > 0 && this.#idle.length < this.o.size && this.o.clock.now() - this.#lastTake <= this.o.idleMs;
  }

  /** A client's connection, re-bound anonymously (upstream.ts release): kept like a new one. */
  give(socket: UpstreamSocket): void {
    this.#lent.get(socket)?.();
    if (!this.wants() || socket.destroyed) {
      socket.destroy();
      return;
    }
    this.#keep(socket, this.o.clock.now());
  }

  /** Closes every idle connection (the URL failed, or bindwall stops). `stop` also ends refilling for good. */
  drain(stop = false): void {
    if (stop) this.#closed = true;
    for (const w of this.#idle.splice(0)) {
      this.#detach(w);
      w.socket.destroy();
    }
    this.#sweep?.cancel();
    this.#sweep = undefined;
  }

  /**
   * Opens connections up to the size once fewer than half are idle or out on loan: clients
   * that unbind cleanly hand theirs back, so steady traffic refills the pool without opening any.
   */
  #refill(): void {
    if (this.#idle.length + this.#opening + this.#lent.size < Math.ceil(this.o.size / 2)) this.#fill();
  }

  /** Counts a taken connection until it comes back or closes. */
  #lend(socket: UpstreamSocket): void {
    const back = (): void => {
      socket.off('close', back);
      this.#lent.delete(socket);
    };
    this.#lent.set(socket, back);
    socket.once('close', back);
  }


  #fill(): void {
    while (!this.#closed && this.#opening < OPENING_AT_ONCE && this.#idle.length + this.#opening < this.o.size) {
      this.#opening++;
      this.o.open().then((socket) => {
        this.#opening--;
        const now = this.o.clock.now();
        if (this.#closed || now - this.#lastTake > this.o.idleMs) {
          socket.destroy();
          return;
        }
        this.#keep(socket, now);
        this.#fill();
      }, () => {
        // The directory refused or timed out: the pool's own connect says so when a client needs
        // it; refilling waits for the next take rather than hammering a failing directory.
        this.#opening--;
      });
    }
  }

  #keep(socket: UpstreamSocket, now: number): void {
    const w: Idle = {
      socket, since: now,
      // Anything from the directory on a connection nobody uses is a notice of disconnection.
      onData: () => this.#drop(w),
      onClose: () => this.#drop(w),
    };
    socket.on('data', w.onData).on('close', w.onClose);
    socket.resume();
    this.#idle.push(w);
    if (!this.#sweep) this.#sweep = this.o.clock.setTimer(this.o.idleMs, () => this.#onSweep());
  }

  #onSweep(): void {
    this.#sweep = undefined;
    this.#expire(this.o.clock.now());
    if (this.#idle.length > 0) this.#sweep = this.o.clock.setTimer(this.o.idleMs, () => this.#onSweep());
  }

  #expire(now: number): void {
    while (this.#idle.length > 0 && now - this.#idle[0]!.since >= this.o.idleMs) {
      const w = this.#idle.shift()!;
      this.#detach(w);
      w.socket.destroy();
    }
  }

  #drop(w: Idle): void {
    const i = this.#idle.indexOf(w);
    if (i >= 0) this.#idle.splice(i, 1);
    this.#detach(w);
    w.socket.destroy();
  }

  #detach(w: Idle): void {
    w.socket.off('data', w.onData).off('close', w.onClose);
    w.socket.pause();
  }
}
