/**
 * Log lines to a syslog receiver as RFC 5424 messages: over UDP (RFC 5426, one line a
 * datagram, cut at 8 KiB), TCP or TLS (RFC 5425/6587 octet counting). The message is the JSON
 * line itself; MSGID is its `event`. A receiver that is down never blocks or grows bindwall:
 * at most `maxQueued` lines wait for the connection, the oldest are dropped and counted, and
 * the connection is retried with backoff.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { hostname } from 'node:os';
import { isIP } from 'node:net';

export const SyslogFacility = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
} as const;
export type SyslogFacility = keyof typeof SyslogFacility;

export interface SyslogOptions {
  host: string;
  port: number;
  protocol: 'udp' | 'tcp' | 'tls';
  facility: SyslogFacility;
  appName: string;
  ca?: Buffer;
  maxQueued?: number;
  /** The message text: the JSON line (default), or ArcSight CEF for SIEMs that want it. */
  format?: 'json' | 'cef';
  /** bindwall's version, for the CEF header. */
  version?: string;
}

/** pino level label → syslog severity. */
const SEVERITY: Readonly<Record<string, number>> = { fatal: 2, error: 3, warn: 4, info: 6, debug: 7, trace: 7 };
const MAX_DATAGRAM = 8192;

/** One JSON log line as an RFC 5424 message. */
export function formatSyslog(line: string, o: { facility: SyslogFacility; appName: string; host: string; pid: number; now: Date }): string {
  const level = /"level":"(\w+)"/.exec(line)?.[1] ?? 'info';
  const event = /"event":"([\w.:-]{1,32})"/.exec(line)?.[1] ?? '-';
  const pri = SyslogFacility[o.facility] * 8 + (SEVERITY[level] ?? 6);
  return `<${pri}>1 ${o.now.toISOString()} ${o.host} ${o.appName} ${o.pid} ${event} - ${line.replace(/\n$/, '')}`;
}

const CEF_SEVERITY: Readonly<Record<string, number>> = { fatal: 10, error: 8, warn: 6, info: 3, debug: 1, trace: 1 };
const cefHeader = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ');
const cefValue = (s: string): string => s.replace(/\\/g, '\\\\').replace(/=/g, '\\=').replace(/\r?\n/g, '\\n');

/** One JSON log line as CEF:0 — the event as signature and name, the fields a SIEM keys on as extensions. */
export function formatCef(line: string, version: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    o = { msg: line };
  }
  const ext: [string, unknown][] = [
    ['rt', Date.parse(String(o.time ?? '')) || Date.now()], ['src', o.client], ['spt', o.clientPort], ['suser', o.dn ?? o.account], ['duser', o.identity],
    ['outcome', o.outcome], ['cs1Label', o.ruleId !== undefined ? 'rule' : undefined], ['cs1', o.ruleId], ['cn1Label', o.risk !== undefined ? 'risk' : undefined], ['cn1', o.risk],
    ['cs2Label', o.listener !== undefined ? 'listener' : undefined], ['cs2', o.listener], ['cs3Label', o.app !== undefined ? 'app' : undefined], ['cs3', o.app],
    ['cn2Label', o.incident !== undefined || o.incidentId !== undefined ? 'incident' : undefined], ['cn2', o.incident ?? o.incidentId], ['dvchost', o.host], ['dvcpid', o.pid],
  ];
  const extension = ext.filter(([, v]) => v !== undefined && v !== null && v !== '').map(([k, v]) => `${k}=${cefValue(String(v))}`).join(' ');
  return `CEF:0|bindwall|bindwall|${cefHeader(version)}|${cefHeader(String(o.event ?? 'log'))}|${cefHeader(String(o.msg ?? ''))}|${CEF_SEVERITY[String(o.level)] ?? 3}|${extension}`;
}

export class SyslogStream {
  readonly #o: Required<Omit<SyslogOptions, 'ca' | 'version'>> & { ca?: Buffer };
  readonly #host = hostname().replace(/[^!-~]/g, '') || '-';
  readonly #version: string;
  #udp: dgram.Socket | undefined;
  #socket: net.Socket | undefined;
  #connected = false;
  #queue: string[] = [];
  #backoffMs = 1_000;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Lines dropped because the receiver was away too long (said on stderr once it is back). */
  dropped = 0;

  constructor(o: SyslogOptions) {
    this.#o = { maxQueued: 10_000, format: 'json', ...o };
    this.#version = o.version ?? '0';
    if (o.protocol === 'udp') {
      this.#udp = dgram.createSocket(isIP(o.host) === 6 ? 'udp6' : 'udp4');
      this.#udp.on('error', () => undefined); // a datagram that cannot go is lost, as UDP syslog is
      this.#udp.unref();
    } else this.#connect();
  }

  write(line: string): boolean {
    const text = this.#o.format === 'cef' ? formatCef(line, this.#version) : line;
    const msg = formatSyslog(text, { facility: this.#o.facility, appName: this.#o.appName, host: this.#host, pid: process.pid, now: new Date() });
    if (this.#udp) {
      const buf = Buffer.from(msg, 'utf8');
      this.#udp.send(buf.length > MAX_DATAGRAM ? buf.subarray(0, MAX_DATAGRAM) : buf, this.#o.port, this.#o.host);
      return true;
    }
    const framed = `${Buffer.byteLength(msg, 'utf8')} ${msg}`;
    if (this.#connected && this.#socket) this.#socket.write(framed);
    else {
      this.#queue.push(framed);
      if (this.#queue.length > this.#o.maxQueued) {
        this.#queue.shift();
        this.dropped++;
      }
    }
    return true;
  }

  #connect(): void {
    if (this.#closed) return;
    const { host, port } = this.#o;
    const socket = this.#o.protocol === 'tls'
      ? tls.connect({ host, port, ...(this.#o.ca ? { ca: this.#o.ca } : {}), ...(isIP(host) ? {} : { servername: host }), minVersion: 'TLSv1.2' })
      : net.connect({ host, port });
    socket.setTimeout(30_000, () => socket.destroy());
    socket.unref();
    this.#socket = socket;
    socket.once(this.#o.protocol === 'tls' ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      this.#connected = true;
      this.#backoffMs = 1_000;
      if (this.dropped > 0) {
        process.stderr.write(`bindwall: syslog ${host}:${port} is back; ${this.dropped} log line(s) were dropped while it was away\n`);
        this.dropped = 0;
      }
      for (const line of this.#queue.splice(0)) socket.write(line);
    });
    socket.on('error', () => undefined);
    socket.once('close', () => {
      this.#connected = false;
      if (this.#closed) return;
      this.#timer = setTimeout(() => this.#connect(), this.#backoffMs);
      this.#timer.unref();
      this.#backoffMs = Math.min(30_000, this.#backoffMs * 2);
    });
  }

  /** Sends what is queued and closes. */
  end(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#udp?.close();
    this.#socket?.end();
  }
}
