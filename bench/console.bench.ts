/**
 * `npm run bench` (console part): the overview with 10,000 identities in the database —
 * learned by the real engine from 200,000 logons and written by the real store, with their
 * directory facts, what Okta says of 60% of them, entity risk and 300 incidents. Serves the
 * console over HTTPS in-process and measures, over rounds: the server's time to build the
 * overview, search, a user page and HealthInsight (whose traffic checks read every endpoint);
 * the page weight; and in headless Chromium the time from navigation to both charts drawn.
 * Target: the overview rendered within 1 s of navigation.
 *
 * BENCH_IDENTITIES (default 10000) and BENCH_ROUNDS (default 5) change the size and rounds.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { chromium } from 'playwright-core';
import { BehaviorEngine } from '../src/behavior/engine.js';
import type { LogonEvent } from '../src/behavior/logon-event.js';
import { configFromObject } from '../src/config/load.js';
import type { UserFacts } from '../src/directory/facts.js';
import { mapperFor } from '../src/behavior/setup.js';
import { AdminServer } from '../src/admin/server.js';
import { Metrics } from '../src/admin/metrics.js';
import { ConsoleApp } from '../src/console/app.js';
import { BindRates } from '../src/console/bind-rates.js';
import { consoleCertificate } from '../src/console/certificate.js';
import { ConsoleQueries } from '../src/console/queries.js';
import { Sessions } from '../src/console/sessions.js';
import { SignIns } from '../src/console/sign-in.js';
import { Quarantine } from '../src/incidents/quarantine.js';
import { createLogger } from '../src/log/logger.js';
import { BehaviorStore, type StoredEvent } from '../src/store/behavior-store.js';
import { ConnectorStore } from '../src/store/connector-store.js';
import { ConsoleStore } from '../src/store/console-store.js';
import { openDatabase } from '../src/store/db.js';
import { IncidentStatus, IncidentStore } from '../src/store/incident-store.js';
import { QuarantineStore } from '../src/store/quarantine-store.js';
import { ThreatStore } from '../src/store/threat-store.js';
import { systemClock } from '../src/util/clock.js';
import { CHROMIUM } from '../test/helpers/browser.js';
import { CHECKS } from '../src/health/checks.js';
import { TRAFFIC_CHECKS } from '../src/health/traffic.js';

const IDENTITIES = Number(process.env.BENCH_IDENTITIES ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LOGONS_EACH = 20;
const DAY = 86_400_000;
const TARGET_MS = 1_000;

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function populate(dir: string, now: number) {
  const config = configFromObject(join(dir, 'bindwall.yaml'), {
    listeners: [{ name: 'edge', host: '127.0.0.1', port: 0 }], storage: { path: join(dir, 'bindwall.db') },
    // The console's config check wants a lookup; nothing connects to it here.
    directory: { urls: ['ldap://127.0.0.1:1'], lookup: { bindDn: 'cn=lookup', password: 'unused-in-bench', baseDn: 'dc=corp,dc=example' } },
    admin: { host: '127.0.0.1', port: 0, console: { roles: { admin: ['admins'] }, stepUp: 'policy' } },
  });
  const db = openDatabase(config.storage.path);
  const engine = new BehaviorEngine({ timeZone: 'UTC' });
  const store = new BehaviorStore(db);
  const okta = new ConnectorStore(db);
  const started = performance.now();
  const batch: StoredEvent[] = [];
  const factsBatch: { account: string; facts: UserFacts }[] = [];
  // One transaction per 10,000 logons, as the running service batches its writes.
  const flush = (): void => {
    const dirty = engine.takeDirty();
    store.write(batch.splice(0), dirty, dirty.risks, now, factsBatch.splice(0));
  };
  for (let i = 0; i < IDENTITIES; i++) {
    const account = `user${String(i).padStart(5, '0')}`;
    const desk = `10.${(i >> 8) & 255}.${i & 255}.${10 + (i % 3)}`;
    for (let k = 0; k < LOGONS_EACH; k++) {
      const time = now - (LOGONS_EACH - k) * DAY / 2 + (i % 600) * 1_000;
      const app = k % 5 === 4 && i % 10 < 6 ? 'okta:Salesforce' : 'vpn';
      const endpoint = k % 7 === 6 ? '10.200.0.5' : desk;
      const logon: LogonEvent = { time, account, bindName: `uid=${account},ou=people,dc=corp,dc=example`, kind: i % 50 === 0 ? 'privileged' : 'human', endpoint, subnet: `${endpoint.split('.').slice(0, 3).join('.')}.0/24`, app, result: 'success' };
      batch.push({ logon, assessment: engine.observe(logon), outcome: 'approved', decision: { action: 'approve', ruleId: 'default' } });
    }
    factsBatch.push({ account, facts: { dn: `uid=${account},ou=people,dc=corp,dc=example`, ous: ['people'], department: `D${i % 20}`, groups: [], groupNames: i % 50 === 0 ? ['admins'] : ['staff'], privileged: i % 50 === 0, attributes: {} } });
    if (i % 10 < 6) okta.saveFacts(account, { status: 'ACTIVE', factors: ['push'], apps: ['Salesforce', 'Slack'] }, now);
    if (batch.length >= 10_000 || i === IDENTITIES - 1) flush();
  }
  const incidents = new IncidentStore(db);
  for (let n = 0; n < 300; n++) {
    incidents.insert({ time: now - n * 3_600_000, account: `user${String(n * 7).padStart(5, '0')}`, kind: 'human', endpoint: '10.9.9.9', app: 'vpn', score: 70, reasons: ['new device'], signals: [], ruleId: 'risky', policyHash: 'h', method: 'push', failure: 'denied', severity: ['low', 'medium', 'high', 'critical'][n % 4]!, status: n % 3 === 0 ? IncidentStatus.Open : IncidentStatus.Resolved, timeline: [] });
  }
  return { config, db, engine, seconds: (performance.now() - started) / 1000 };
}

function get(url: string, cookie: string): Promise<{ ms: number; bytes: number; status: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    https.get(url, { rejectUnauthorized: false, headers: { cookie } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => resolve({ ms: performance.now() - t0, bytes, status: res.statusCode ?? 0 }));
    }).on('error', reject);
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-console-bench-'));
  const now = systemClock.now();
  try {
    const { config, db, engine, seconds } = populate(dir, now);
    console.log(`console bench: ${IDENTITIES} identities, ${IDENTITIES * LOGONS_EACH} logons learned and stored in ${seconds.toFixed(1)} s`);
    const log = createLogger({ level: 'warn', destination: join(dir, 'bench.log') });
    // What each HealthInsight check costs here (the page runs them all).
    const costs = Object.entries({ ...CHECKS, ...TRAFFIC_CHECKS }).map(([name, check]) => {
      const t0 = performance.now();
      (check as (c: typeof config, p: undefined, t: object) => unknown)(config, undefined, { db, mapper: mapperFor(config), now });
      return [name, performance.now() - t0] as const;
    }).sort((a, b) => b[1] - a[1]);
    const store = new ConsoleStore(db);
    const cert = await consoleCertificate(config.storage.path, '127.0.0.1', now);
    const app = new ConsoleApp({
      config, db, clock: systemClock, log, store, queries: new ConsoleQueries(db), rates: new BindRates(),
      engine, mapper: mapperFor(config), policy: undefined, incidents: new IncidentStore(db),
      quarantine: new Quarantine({ store: new QuarantineStore(db), clock: systemClock }),
      upstreams: () => [{ url: 'ldap://127.0.0.1:1', healthy: true }], connectors: () => [], threats: (t) => new ThreatStore(db).active(t),
    }, new SignIns({ connect: () => { throw new Error('no sign-in in the bench'); }, console: config.admin!.console!, deadlineMs: 1_000, clock: systemClock, log }));
    const server = new AdminServer({ metrics: new Metrics({}), log, readiness: async () => ({ ready: true, checks: [] }), status: async () => ({}), tls: cert, console: app });
    const base = `${await server.start('127.0.0.1', 0)}/console`;
    const session = new Sessions({ store, clock: systemClock, console: config.admin!.console! }).create({ operator: 'bench', dn: 'uid=bench', role: 'admin', address: '127.0.0.1' });
    const cookie = `__Host-bindwall-session=${session.token}`;
    const server_ms: Record<string, number[]> = { overview: [], search: [], user: [], health: [] };
    let weight = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const o = await get(`${base}/`, cookie);
      if (o.status !== 200) throw new Error(`overview answered ${o.status}`);
      server_ms.overview!.push(o.ms);
      weight = o.bytes;
      server_ms.search!.push((await get(`${base}/search?q=user0042`, cookie)).ms);
      server_ms.user!.push((await get(`${base}/users/user04242`, cookie)).ms);
      server_ms.health!.push((await get(`${base}/health`, cookie)).ms);
    }
    const assets = await Promise.all(['console.css', 'console.js', 'chart.umd.min.js'].map((a) => get(`${base}/assets/${a}`, cookie)));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'] });
    const rendered: number[] = [];
    try {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      await context.addCookies([{ name: '__Host-bindwall-session', value: session.token, url: base.replace('/console', '/'), secure: true, httpOnly: true, sameSite: 'Strict' }]);
      const page = await context.newPage();
      await page.goto(`${base}/`); // warm: the assets are cached, as they are for anyone after the first page
      for (let r = 0; r < ROUNDS; r++) {
        const t0 = performance.now();
        await page.goto(`${base}/`);
        await page.waitForFunction(() => document.querySelectorAll('canvas[data-drawn="true"]').length === 2, undefined, { timeout: 10_000 });
        rendered.push(performance.now() - t0);
      }
    } finally {
      await browser.close();
      await server.stop();
      db.close();
    }
    const fmt = (xs: number[]): string => `median ${median(xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
    console.log(`server: overview ${fmt(server_ms.overview!)}; search ${fmt(server_ms.search!)}; user page ${fmt(server_ms.user!)}; HealthInsight (checks kept for a minute) ${fmt(server_ms.health!)}`);
    console.log(`HealthInsight checks, costliest: ${costs.slice(0, 4).map(([n, ms]) => `${n} ${ms.toFixed(1)} ms`).join(', ')}`);
    console.log(`page weight: overview HTML ${(weight / 1024).toFixed(1)} KiB; assets ${assets.map((a) => (a.bytes / 1024).toFixed(1)).join(' + ')} KiB (css, js, Chart.js; cached after the first page)`);
    console.log(`chromium: navigation to both charts drawn ${fmt(rendered)}; target ≤ ${TARGET_MS} ms → ${(median(rendered) / TARGET_MS).toFixed(2)}× the target ${median(rendered) <= TARGET_MS ? '(met)' : '(MISSED)'}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
