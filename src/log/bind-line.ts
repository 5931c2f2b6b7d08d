/**
 * The one log line per bind, written without going through pino's generic serializer:
 * it is on the hot path of every bind, and its shape is fixed. The fields are enumerated
 * here, so no secret can enter it; the output matches pino's format (level label, ISO time,
 * service, msg), so log readers see one format.
 */
import { pino, type Logger } from 'pino';
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

export function formatBindLine(ev: BindEvent): string {
  let s = `{"level":"info","time":"${isoNow()}","service":"bindwall","event":"bind","conn":${ev.connectionId},"listener":${q(ev.listener)}` +
    `,"client":${q(ev.clientAddress)},"clientPort":${ev.clientPort},"dn":${q(ev.bindDn)},"method":"${ev.method}"` +
    `${ev.saslMechanism ? `,"saslMechanism":${q(ev.saslMechanism)}` : ''},"tls":${ev.tls},"outcome":"${ev.outcome}","resultCode":${ev.resultCode}`;
  if (ev.directoryResultCode !== undefined) s += `,"directoryResultCode":${ev.directoryResultCode}`;
  if (ev.directoryDiagnostic) s += `,"directoryDiagnostic":${q(ev.directoryDiagnostic)}`;
  if (ev.reasons) s += `,"reasons":${q(ev.reasons)}`;
  if (ev.ruleId) s += `,"ruleId":${q(ev.ruleId)}`;
  if (ev.policyHash) s += `,"policy":${q(ev.policyHash)}`;
  if (ev.detail) s += `,"detail":${q(ev.detail)}`;
  const a = ev.assessment;
  if (a) s += `,"risk":${a.score},"signals":${q(a.signals.map((x) => x.code))},"riskReasons":${q(a.reasons)}`;
  return `${s},"latencyMs":${ev.latencyMs},"msg":"bind"}\n`;
}

/** A writer for bind lines into the logger's own destination (same file, same order). */
export function bindLineWriter(log: Logger): (ev: BindEvent) => void {
  const stream = (log as unknown as Record<symbol, { write(s: string): unknown } | undefined>)[pino.symbols.streamSym];
  if (!stream || typeof stream.write !== 'function') {
    return (ev) => log.info({ ...ev }, 'bind');
  }
  return (ev) => {
    if (log.isLevelEnabled('info')) stream.write(formatBindLine(ev));
  };
}
