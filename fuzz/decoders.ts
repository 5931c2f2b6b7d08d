/**
 * In-process fuzzing of the framer and every decoder bindwall runs on untrusted bytes.
 * A decoder may only refuse with BW_PROTOCOL_MALFORMED (a BindwallError); anything else
 * thrown is a crash. The framer is fed in random chunk sizes and must report every PDU
 * or fail cleanly, holding no more memory than the bytes it was given.
 */
import { BindwallError, ErrorCode } from '../src/errors.js';
import { Disposition, PduFramer } from '../src/ldap/framer.js';
import { decodeAbandonTarget, decodeBindRequest, decodeExtendedRequest, decodeResult, decodeSearchEntry } from '../src/ldap/messages.js';
import { Op } from '../src/ldap/protocol.js';
import { decodeCompareRequest, decodeSearchRequestInfo, restrictSearchEntry } from '../src/ldap/restricted-ops.js';
import { Rng } from '../src/util/random.js';
import { decodeCompare, decodePasswordChange, decodePasswordModify } from '../src/ldap/password-ops.js';
import { mutate, seeds } from './corpus.js';

export interface DecoderFuzzReport {
  inputs: number;
  pdus: number;
  refused: number;
  crashes: { input: string; error: string }[];
  slowestMs: number;
}

const DECODERS: Readonly<Record<number, (pdu: Buffer) => unknown>> = {
  [Op.BindRequest]: decodeBindRequest,
  [Op.ExtendedRequest]: (p) => [decodeExtendedRequest(p), decodePasswordModify(p)],
  [Op.ModifyRequest]: decodePasswordChange,
  [Op.AbandonRequest]: decodeAbandonTarget,
  [Op.SearchRequest]: decodeSearchRequestInfo,
  [Op.CompareRequest]: (p) => [decodeCompareRequest(p), decodeCompare(p)],
  [Op.SearchResultEntry]: (p) => { decodeSearchEntry(p); return restrictSearchEntry(p, (dn) => dn.startsWith('ou=hidden'), (a) => a === 'memberof', (a) => a === 'cn'); },
  [Op.BindResponse]: (p) => decodeResult(p, Op.BindResponse),
  [Op.SearchResultDone]: (p) => decodeResult(p, Op.SearchResultDone),
};

export function fuzzDecoders(o: { seed: number; inputs: number; maxPduBytes?: number }): DecoderFuzzReport {
  const rng = new Rng(o.seed);
  const corpus = seeds();
  const report: DecoderFuzzReport = { inputs: 0, pdus: 0, refused: 0, crashes: [], slowestMs: 0 };
  for (let i = 0; i < o.inputs; i++) {
    const input = mutate(rng, rng.pick(corpus), rng.pick(corpus));
    const started = performance.now();
    let failed = false;
    const framer = new PduFramer({
      classify: () => Disposition.Collect,
      pass: () => undefined,
      collected: (pdu, _msgId, op) => {
        report.pdus++;
        const decode = DECODERS[op];
        // Every decoder also sees PDUs of other kinds: the op check must refuse them cleanly.
        for (const d of decode ? [decode, rng.pick(Object.values(DECODERS))] : [rng.pick(Object.values(DECODERS))]) {
          try {
            d(pdu);
          } catch (err) {
            if (err instanceof BindwallError && err.code === ErrorCode.ProtocolMalformed) report.refused++;
            else report.crashes.push({ input: input.toString('hex').slice(0, 400), error: String((err as Error)?.stack ?? err).slice(0, 400) });
          }
        }
        return true;
      },
      skipped: () => true,
      failed: () => { failed = true; },
    }, o.maxPduBytes ?? 10 * 1024 * 1024);
    try {
      for (let pos = 0; pos < input.length && !failed;) {
        const n = rng.int(1, Math.max(1, input.length - pos));
        framer.push(input.subarray(pos, pos + n));
        pos += n;
      }
    } catch (err) {
      report.crashes.push({ input: input.toString('hex').slice(0, 400), error: `framer threw: ${String((err as Error)?.stack ?? err).slice(0, 400)}` });
    }
    report.slowestMs = Math.max(report.slowestMs, performance.now() - started);
    report.inputs++;
  }
  return report;
}
