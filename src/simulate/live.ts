/**
 * Live mode: replays simulated logons as real binds through a running proxy, each from
 * its own loopback source address (127.x.y.z), with the right password for a success and
 * a wrong one for a failure. Bounded in events and seconds.
 */
import { LdapClient } from '../ldap/client.js';
import type { Simulation } from './generate.js';
import { simPassword } from './directory-entries.js';

export interface LiveOptions {
  url: string;
  /** Bind name for a simulated account: {uid} and {department} are replaced. */
  bindDnTemplate: string;
  maxEvents: number;
  maxSeconds: number;
  concurrency: number;
  /** Skip the simulation's first N days (warm-up happens elsewhere). */
  fromDay?: number;
}

export interface LiveReport {
  sent: number;
  asExpected: number;
  /** Examples (the first 20) of binds answered otherwise than expected; `unexpectedCount` counts all of them. */
  unexpected: { account: string; endpoint: string; expected: string; resultCode: number }[];
  unexpectedCount: number;
  connectErrors: number;
  seconds: number;
  endpoints: number;
}

export async function replayLive(sim: Simulation, o: LiveOptions): Promise<LiveReport> {
  const from = sim.options.start + (o.fromDay ?? 0) * 86_400_000;
  // Binds only: cloud sign-ins are Okta's, not the directory's (the connector brings those).
  const events = sim.events.filter((e) => e.event.time >= from && e.event.source === undefined).slice(0, o.maxEvents);
  const deadline = Date.now() + o.maxSeconds * 1000;
  const report: LiveReport = { sent: 0, asExpected: 0, unexpected: [], unexpectedCount: 0, connectErrors: 0, seconds: 0, endpoints: new Set(events.map((e) => e.event.endpoint)).size };
  const t0 = Date.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < events.length && Date.now() < deadline) {
      const { event } = events[next++]!;
      const dn = o.bindDnTemplate.replaceAll('{uid}', event.account).replaceAll('{department}', event.peerGroup ?? 'services');
      const success = event.result === 'success';
      let client: LdapClient;
      try {
        client = await LdapClient.connect(o.url, { localAddress: event.endpoint, timeoutMs: 5_000 });
      } catch {
        report.connectErrors++;
        continue;
      }
      try {
        const r = await client.bind(dn, success ? simPassword(event.account) : `wrong-${event.account}`);
        report.sent++;
        if ((r.resultCode === 0) === success) report.asExpected++;
        else if (++report.unexpectedCount <= 20) report.unexpected.push({ account: event.account, endpoint: event.endpoint, expected: event.result, resultCode: r.resultCode });
        await client.unbind();
      } catch {
        report.connectErrors++;
        client.destroy();
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  report.seconds = (Date.now() - t0) / 1000;
  return report;
}
