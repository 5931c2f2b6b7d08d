/**
 * The one log line per bind, written without going through pino's generic serializer:
 * it is on the hot path of every bind, and its shape is fixed. The fields are enumerated
 * here, so no secret can enter it; the output matches pino's format (level label, ISO time,
 * service, msg), so log readers see one format.
 */
import { pino, type Logger } from 'pino';
import { hostname } from 'node:os';
import { flushLogSync, LOG_SCHEMA } from './logger.js';
import type { BindEvent } from '../proxy/bind-event.js';

let lastMs = 0;
let lastIso = '';
function isoNow(): string {
  const now = Date.now();
  if (now !== lastMs) {
    lastMs = now;
    lastIso = new Date(now).toISOString();
  }
  return lastIso;
}

const q = JSON.stringify;
/** What every line carries (logger.ts's base), fixed for the process. */
const BASE = `"service":"bindwall","schema":${q(LOG_SCHEMA)},"host":${q(hostname())},"pid":${process.pid}`;

export function formatBindLine(ev: BindEvent): string {
  let s = `{"level":"info","time":"${isoNow()}",${BASE},"event":"bind","conn":${ev.connectionId},"listener":${q(ev.listener)}` +
    `,"client":${q(ev.clientAddress)},"clientPort":${ev.clientPort},"dn":${q(ev.bindDn)},"method":"${ev.method}"` +
    `${ev.saslMechanism ? `,"saslMechanism":${q(ev.saslMechanism)}` : ''},"tls":${ev.tls},"outcome":"${ev.outcome}","resultCode":${ev.resultCode}`;
  if (ev.directoryResultCode !== undefined) s += `,"directoryResultCode":${ev.directoryResultCode}`;
  if (ev.directoryDiagnostic) s += `,"directoryDiagnostic":${q(ev.directoryDiagnostic)}`;
  if (ev.reasons) s += `,"reasons":${q(ev.reasons)}`;
  if (ev.identity !== undefined) s += `,"identity":${q(ev.identity)},"accountKind":${q(ev.accountKind)},"app":${q(ev.app)}${ev.endpointName ? `,"endpointName":${q(ev.endpointName)}` : ''}`;
  if (ev.tlsVersion) s += `,"tlsVersion":${q(ev.tlsVersion)}`;
  if (ev.ruleId) s += `,"ruleId":${q(ev.ruleId)}`;
  if (ev.mfaMethod) s += `,"mfaMethod":${q(ev.mfaMethod)}`;
  if (ev.incidentId !== undefined) s += `,"incidentId":${ev.incidentId}`;
  if (ev.policyHash) s += `,"policy":${q(ev.policyHash)}`;
  if (ev.audit) s += `,"audit":{"ruleId":${q(ev.audit.ruleId)},"action":${q(ev.audit.action)}}`;
  if (ev.detail) s += `,"detail":${q(ev.detail)}`;
  if (ev.honeytoken) s += ',"honeytoken":true';
  const t = ev.threat;
  if (t) s += `,"threat":{"level":"${t.level}","action":"${t.action}","enforced":${t.enforced},"reasons":${q(t.reasons)}}`;
  const a = ev.assessment;
  if (a) s += `,"risk":${a.score},"signals":${q(a.signals.map((x) => x.code))},"riskReasons":${q(a.reasons)}${a.endpointRole ? `,"endpointRole":"${a.endpointRole}"` : ''}`;
  return `${s},"latencyMs":${ev.latencyMs},"msg":"bind"}\n`;
}

/** Outcomes whose line is on disk before the client hears the answer (see flushBeforeAnswer). */
// Not threat_blocked: a spray's lines (budgeted per address) are not worth an fsync each.
const REFUSALS: ReadonlySet<string> = new Set(['blocked', 'challenge_failed', 'error']);
const DECISIONS: ReadonlySet<string> = new Set([...REFUSALS, 'approved', 'demoted', 'challenge_passed']);

/**
 * A writer for bind lines into the logger's own destination (same file, same order).
 * Lines are buffered (4 KiB or 250 ms, whichever comes first); the lines of refused binds
 * — and with `flush: 'decisions'` of every decided bind — are written through at once,
 * because the session emits them before it answers the client.
 */
export function bindLineWriter(log: Logger, flush: 'refusals' | 'decisions' = 'refusals'): (ev: BindEvent) => void {
  const stream = (log as unknown as Record<symbol, { write(s: string): unknown; flushSync?: () => void } | undefined>)[pino.symbols.streamSym];
  if (!stream || typeof stream.write !== 'function') {
    return (ev) => log.info({ ...ev }, 'bind');
  }
  const durable = flush === 'decisions' ? DECISIONS : REFUSALS;
  return (ev) => {
    if (!log.isLevelEnabled('info')) return;
    stream.write(formatBindLine(ev));
    if (durable.has(ev.outcome)) flushLogSync(log);
  };
}
