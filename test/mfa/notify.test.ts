/** Incident notifications: PagerDuty Events v2 and Slack payloads at local receivers; retries, then a dead letter. */
import test from 'ava';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createLogger } from '../../src/log/logger.js';
import { Secret } from '../../src/log/secret.js';
import { Notifier } from '../../src/incidents/notify.js';
import { openDatabase } from '../../src/store/db.js';
import { IncidentStore } from '../../src/store/incident-store.js';
import { systemClock } from '../../src/util/clock.js';
import { tempDir } from '../helpers/paths.js';

async function receiver(t: { teardown(fn: () => unknown): void }, statuses: number[]): Promise<{ url: string; bodies: unknown[] }> {
  const bodies: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      res.writeHead(statuses.shift() ?? 202, { 'content-type': 'application/json' }).end('{"status":"success"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies };
}

test('PagerDuty and Slack get their own payloads; a failing target is retried, then dead-lettered without the routing key', async (t) => {
  const db = openDatabase(join(tempDir(t), 'b.db'));
  t.teardown(() => db.close());
  const store = new IncidentStore(db);
  const incident = store.insert({
    time: Date.UTC(2026, 10, 20, 23, 5), account: 'alice', kind: 'privileged', endpoint: '10.9.9.9', app: 'vpn', score: 81, reasons: ['new endpoint'], signals: ['new_endpoint'],
    ruleId: 'privileged-unfamiliar-endpoint', policyHash: 'h', method: 'push', failure: 'denied', severity: 'high', status: 'open', timeline: [],
  });
  const pd = await receiver(t, [202]);
  const slack = await receiver(t, [200]);
  const down = await receiver(t, [503, 503, 503]);
  const notifier = new Notifier({
    store, clock: systemClock, log: createLogger({ level: 'silent' }), backoffMs: 5,
    targets: {
      pd: { type: 'pagerduty', url: `${pd.url}/v2/enqueue`, routingKey: new Secret('R0UT1NG-KEY-123'), timeoutMs: 2_000, retries: 0 },
      chat: { type: 'slack', url: `${slack.url}/services/x`, timeoutMs: 2_000, retries: 0 },
      flaky: { type: 'webhook', url: `${down.url}/hook`, timeoutMs: 2_000, retries: 2 },
    },
  });
  notifier.notify(incident, ['pd', 'chat', 'flaky', 'nobody']);
  await notifier.drain();
  t.like(pd.bodies[0], {
    routing_key: 'R0UT1NG-KEY-123', event_action: 'trigger', dedup_key: `bindwall-incident-${incident.id}`,
    payload: { severity: 'error', source: '10.9.9.9', component: 'vpn', class: 'denied', custom_details: { account: 'alice', rule: 'privileged-unfamiliar-endpoint' } },
  });
  t.regex((slack.bodies[0] as { text: string }).text, /^bindwall incident #1: denied step-up for alice from 10\.9\.9\.9 via vpn \(high\)/);
  t.is(down.bodies.length, 3, 'two retries after the first try');
  const letters = store.deadLetters();
  t.is(letters.length, 1);
  t.like(letters[0], { target: 'flaky', incidentId: incident.id, error: 'HTTP 503', attempts: 3 });
  const timeline = store.get(incident.id)!.timeline.map((e) => e.what);
  t.true(timeline.includes('notified pd (pagerduty)') && timeline.includes('notified chat (slack)'));
  t.true(timeline.some((w) => /^notifying flaky failed \(HTTP 503\); dead letter kept$/.test(w)));
  const stored = db.prepare('SELECT payload FROM dead_letters').all() as { payload: string }[];
  t.notRegex(JSON.stringify(stored), /R0UT1NG/);
});
