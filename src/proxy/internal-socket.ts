/**
 * Two connected in-memory stream ends that behave like a TCP socket pair, for binds that
 * start inside bindwall (the admin console's sign-in): they meet the same session, threat
 * pool, lockout, behaviour and policy as a client on the network, without a port anyone
 * else could connect to. Backpressure is real: a write waits until the other end reads.
 */
import { Duplex } from 'node:stream';
import type net from 'node:net';

class InternalEnd extends Duplex {
  other!: InternalEnd;
  /** The writer's callback, held while the other end's buffer is full. */
  #waiting: (() => void) | null = null;

  constructor(readonly remoteAddress: string, readonly remotePort: number) {
    super({ allowHalfOpen: false });
  }

  setNoDelay(): this {
    return this;
  }

  setKeepAlive(): this {
    return this;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.other.destroyed) return done(new Error('the other end is closed'));
    if (this.other.push(chunk)) done();
    else this.other.#waiting = () => done();
  }

  override _read(): void {
    const w = this.#waiting;
    this.#waiting = null;
    w?.();
  }

  override _final(done: (err?: Error | null) => void): void {
    if (!this.other.destroyed) this.other.push(null);
    done();
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    const w = this.#waiting;
    this.#waiting = null;
    w?.();
    if (!this.other.destroyed) {
      this.other.push(null);
      this.other.destroy();
    }
    done(err);
  }
}

/** [client end, server end]; the server end reports `peer` as its remote address. */
export function internalSocketPair(peer: { address: string; port: number }): [net.Socket, net.Socket] {
  const client = new InternalEnd('internal', 0);
  const server = new InternalEnd(peer.address, peer.port);
  client.other = server;
  server.other = client;
  return [client as unknown as net.Socket, server as unknown as net.Socket];
}
