/**
 * Fuzzing a running proxy over loopback: each input is a fresh connection that may first
 * bind for real (so mutations reach a bound session), then sends mutated PDUs and
 * half-closes. The proxy must answer or close every connection within a deadline (no
 * hangs), keep serving a valid client, and keep its memory bounded.
 */
import net from 'node:net';
import { encodeSimpleBindRequest } from '../src/ldap/messages.js';
import { Rng } from '../src/util/random.js';
import { mutate, seeds } from './corpus.js';

export interface ProxyFuzzReport {
  inputs: number;
  hangs: number;
  validChecks: number;
  validFailures: number;
  maxRssMb: number;
  /** RSS at each valid-client check, in order (a plateau, not a climb, is what bounded looks like). */
  rssSamplesMb: number[];
}

export interface ProxyFuzzOptions {
  url: string;
  seed: number;
  inputs: number;
  /** Connections in flight at once. */
  concurrency?: number;
  /** A connection not closed by the proxy within this is a hang. */
  hangMs?: number;
  /** A real client's check, run every `checkEvery` inputs; resolves true when it worked. */
  validClient: () => Promise<boolean>;
  checkEvery?: number;
  /** A bind the directory accepts, sent first on some connections. */
  bind: { dn: string; password: string };
  /** Memory of the process that runs the proxy (defaults to this one). */
  rssMb?: () => number;
  onProgress?: (r: ProxyFuzzReport) => void;
}

function one(url: URL, bind: Buffer | null, bytes: Buffer, hangMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: url.hostname, port: Number(url.port) });
    const timer = setTimeout(() => { s.destroy(); resolve(false); }, hangMs);
    s.on('error', () => undefined);
    s.on('close', () => { clearTimeout(timer); resolve(true); });
    if (bind) {
      // Bind first and wait for the answer, so the mutation reaches a bound session.
      s.once('data', () => { s.resume(); s.end(bytes); });
      s.write(bind);
    } else {
      s.resume();
      s.end(bytes);
    }
  });
}

export async function fuzzProxy(o: ProxyFuzzOptions): Promise<ProxyFuzzReport> {
  const rng = new Rng(o.seed);
  const corpus = seeds();
  const url = new URL(o.url);
  const rss = o.rssMb ?? (() => process.memoryUsage().rss / 1048576);
  const report: ProxyFuzzReport = { inputs: 0, hangs: 0, validChecks: 0, validFailures: 0, maxRssMb: rss(), rssSamplesMb: [] };
  const bind = encodeSimpleBindRequest(1, o.bind.dn, o.bind.password);
  const checkEvery = o.checkEvery ?? 1_000;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < o.inputs) {
      const i = next++;
      const mutated = mutate(rng, rng.pick(corpus), rng.pick(corpus));
      if (!(await one(url, rng.chance(0.3) ? bind : null, mutated, o.hangMs ?? 15_000))) report.hangs++;
      report.inputs++;
      if ((i + 1) % checkEvery === 0) {
        report.validChecks++;
        if (!(await o.validClient())) report.validFailures++;
        const now = rss();
        report.rssSamplesMb.push(now);
        report.maxRssMb = Math.max(report.maxRssMb, now);
        o.onProgress?.(report);
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 16 }, worker));
  report.maxRssMb = Math.max(report.maxRssMb, rss());
  return report;
}
