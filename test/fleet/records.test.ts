/**
 * The fleet's records between two nodes' stores, in-process but with every part real: two
 * SQLite stores, two FleetSync links, one throwaway PostgreSQL cluster. Console sessions and
 * HealthInsight dismissals reach the other node; the latest change wins even when an older one
 * arrives later; a record that cannot be read is skipped and said, and the rest goes on.
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { consoleAuditKind, consoleInsightKind, consoleSessionKind, healthDismissalKind, quarantineKind } from '../../src/fleet/kinds.js';
import { FleetSync } from '../../src/fleet/sync.js';
import { pruneFleet } from '../../src/fleet/prune.js';
import { Quarantine } from '../../src/incidents/quarantine.js';
import { createLogger } from '../../src/log/logger.js';
import { Secret } from '../../src/log/secret.js';
import { ConsoleStore } from '../../src/store/console-store.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { FleetOutbox } from '../../src/store/fleet-outbox.js';
import { HealthStore } from '../../src/store/health-store.js';
import { QuarantineStore } from '../../src/store/quarantine-store.js';
import { systemClock } from '../../src/util/clock.js';
import { PG_PASSWORD, startPostgres, type Postgres } from '../helpers/postgres.js';

interface Side { db: Db; outbox: FleetOutbox; consoleStore: ConsoleStore; health: HealthStore; quarantineStore: QuarantineStore; quarantine: Quarantine; sync: FleetSync; lines: string[] }

let pgs: Postgres;
let dir: string;
const sides: Side[] = [];

function side(name: string): Side {
  const db = openDatabase(join(dir, `${name}.db`));
  const outbox = new FleetOutbox(db);
  const consoleStore = new ConsoleStore(db, { outbox, node: name });
  const health = new HealthStore(db, { outbox });
  const quarantineStore = new QuarantineStore(db, { outbox });
  const quarantine = new Quarantine({ store: quarantineStore, clock: systemClock });
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (l: string) => { lines.push(l); return true; } } as unknown as NodeJS.WritableStream });
  const sync = new FleetSync({
    config: { url: pgs.url, password: new Secret(PG_PASSWORD), node: name, reloadMs: 500, snapshotEveryMs: 300_000, connectTimeoutMs: 2_000, queryTimeoutMs: 2_000 },
    outbox, clock: systemClock, log,
    kinds: [consoleSessionKind(new ConsoleStore(db)), consoleInsightKind(new ConsoleStore(db)), consoleAuditKind(new ConsoleStore(db)), healthDismissalKind(new HealthStore(db)), quarantineKind(new QuarantineStore(db), quarantine)],
  });
  sync.start();
  const s = { db, outbox, consoleStore, health, quarantineStore, quarantine, sync, lines };
  sides.push(s);
  return s;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test.before(async () => {
  pgs = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'bindwall-fleet-records-'));
});

test.after.always(async () => {
  for (const s of sides) {
    await s.sync.stop();
    s.quarantine.close();
    s.db.close();
  }
  await pgs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test.serial('a console session and a dismissal made on one node are on the other; their end too', async (t) => {
  const a = side('a');
  const b = side('b');
  await Promise.all([a.sync.nextRound(), b.sync.nextRound()]);
  const now = Date.now();
  a.consoleStore.putSession({ tokenHash: 'h1', operator: 'ann', dn: 'uid=ann,dc=x', role: 'admin', csrf: 'c1', address: '127.0.0.1', created: now, lastSeen: now });
  await until(() => b.consoleStore.session('h1') !== undefined, 'the session on b');
  t.is(b.consoleStore.session('h1')!.operator, 'ann');
  b.consoleStore.endSession('h1', Date.now());
  await until(() => a.consoleStore.session('h1') === undefined, 'the session ended on a');
  b.health.dismiss({ task: 'tls-off', time: Date.now(), reason: 'lab only', operator: 'bo' });
  await until(() => a.health.all().has('tls-off'), 'the dismissal on a');
  a.health.restore('tls-off', Date.now());
  await until(() => !b.health.all().has('tls-off'), 'restored on b');
  // Saved Insights by name, and the audit trail, from either side.
  a.consoleStore.saveInsight({ name: 'Finance admins', filter: { department: 'Finance' }, operator: 'ann', created: Date.now() });
  b.consoleStore.audit({ time: Date.now(), operator: 'bo', role: 'admin', action: 'saved insight', subject: 'x' });
  await until(() => b.consoleStore.insights().some((i) => i.name === 'Finance admins'), 'the insight on b');
  await until(() => a.consoleStore.auditLog(10).some((e) => e.operator === 'bo'), 'the audit entry on a');
  const id = b.consoleStore.insights().find((i) => i.name === 'Finance admins')!.id;
  t.true(b.consoleStore.deleteInsight(id, Date.now()));
  await until(() => !a.consoleStore.insights().some((i) => i.name === 'Finance admins'), 'the insight deleted on a');
  t.is(a.consoleStore.auditLog(10).filter((e) => e.operator === 'bo').length, 1, 'the entry once');
  t.is(a.outbox.size() + b.outbox.size(), 0, 'both outboxes drained');
});

test.serial('the latest change wins: an older change replayed late does not undo a newer one', async (t) => {
  const [a, b] = sides as [Side, Side];
  const now = Date.now();
  // Node a's quarantine of zoe is older than b's release, but reaches the database after it.
  await a.sync.stop();
  a.quarantineStore.put({ account: 'zoe', since: now - 10_000, until: null, reason: 'old', source: 'test' }, now - 10_000);
  b.quarantineStore.put({ account: 'zoe', since: now - 5_000, until: null, reason: 'newer', source: 'test' }, now - 5_000);
  b.quarantineStore.remove('zoe', now);
  await b.sync.nextRound();
  const client = new pg.Client({ connectionString: pgs.urlWithPassword });
  await client.connect();
  try {
    // a's link comes back and replays its outbox: the database keeps b's release.
    const a2 = new FleetSync({
      config: { url: pgs.url, password: new Secret(PG_PASSWORD), node: 'a', reloadMs: 500, snapshotEveryMs: 300_000, connectTimeoutMs: 2_000, queryTimeoutMs: 2_000 },
      outbox: a.outbox, clock: systemClock, log: createLogger({ level: 'silent', destination: 2 }), kinds: [quarantineKind(new QuarantineStore(a.db), a.quarantine)],
    });
    a2.start();
    a.sync = a2;
    await until(() => a.outbox.size() === 0, "a's outbox replayed");
    const r = await client.query("SELECT data->'row' AS row, node FROM fleet_records WHERE kind = 'quarantine' AND key = 'zoe'");
    t.deepEqual(r.rows, [{ row: null, node: 'b' }]);
  } finally {
    await client.end();
  }
});

test.serial('a record that cannot be read is skipped and said; the next ones are applied', async (t) => {
  const [a, b] = sides as [Side, Side];
  const client = new pg.Client({ connectionString: pgs.urlWithPassword });
  await client.connect();
  try {
    await client.query("INSERT INTO fleet_records (kind, key, data, changed_at, node, seq) VALUES ('console-session', 'bad', '{\"session\": 42}', 1, 'x', nextval('fleet_seq'))");
    await client.query("SELECT pg_notify('bindwall_fleet', 'console-session')");
  } finally {
    await client.end();
  }
  const now = Date.now();
  a.consoleStore.putSession({ tokenHash: 'h2', operator: 'ann', dn: 'uid=ann,dc=x', role: 'viewer', csrf: 'c2', address: '127.0.0.1', created: now, lastSeen: now });
  await until(() => b.consoleStore.session('h2') !== undefined, 'the next session on b');
  t.true(b.lines.some((l) => l.includes('"event":"fleet_record_invalid"') && l.includes('"key":"bad"')));
  t.is(b.consoleStore.session('bad'), undefined);
});

test.serial('a NUL in a record (a client may send one in a bind name) reaches the other node as U+FFFD instead of blocking the outbox', async (t) => {
  const [a, b] = sides as [Side, Side];
  a.health.dismiss({ task: 'odd\u0000task', time: Date.now(), reason: 'nul\u0000inside', operator: 'ann' });
  a.health.dismiss({ task: 'after', time: Date.now(), reason: 'next', operator: 'ann' });
  await until(() => b.health.all().has('after'), 'the record behind it');
  t.is(b.health.all().get('odd\ufffdtask')?.reason, 'nul\ufffdinside');
  t.is(a.outbox.size(), 0);
});

test.serial('the fleet database forgets what no node needs: ended challenges, old sessions, old releases; what is in force stays', async (t) => {
  const client = new pg.Client({ connectionString: pgs.urlWithPassword });
  await client.connect();
  const now = Date.now();
  const old = now - 60 * 86_400_000;
  try {
    await client.query('INSERT INTO fleet_challenges (key, id, owner, heartbeat, deadline) VALUES ($1, $2, $3, $4, $4), ($5, $6, $3, $7, $7)', ['old-login', 'c1', 'a', old, 'live-login', 'c2', now + 60_000]);
    const put = (kind: string, key: string, data: unknown, at: number) => client.query("INSERT INTO fleet_records (kind, key, data, changed_at, node, seq) VALUES ($1, $2, $3::jsonb, $4, 'x', nextval('fleet_seq'))", [kind, key, JSON.stringify(data), at]);
    await put('console-session', 'old-session', { session: null }, old);
    await put('quarantine', 'released-long-ago', { account: 'released-long-ago', row: null, changedAt: old }, old);
    await put('quarantine', 'quarantined-long-ago', { account: 'quarantined-long-ago', row: { account: 'quarantined-long-ago', since: old, until: null, reason: 'r', source: 's' }, changedAt: old }, old);
    await put('threat-entry', '10.9.9.9', { key: '10.9.9.9', entry: { key: '10.9.9.9', level: 'high', reasons: [], since: old, updated: old, expires: old + 1 }, changedAt: old }, old);
    const pruned = await pruneFleet(sides[0]!.sync.pool!, now);
    // (The unreadable session record of the test above is as old: it goes too.)
    for (const what of ['ended challenges', 'console sessions', 'quarantine releases', 'threat-pool entries']) t.true((pruned[what] ?? 0) >= 1, `${what}: ${JSON.stringify(pruned)}`);
    const left = await client.query("SELECT kind, key FROM fleet_records WHERE key IN ('old-session', 'released-long-ago', 'quarantined-long-ago', '10.9.9.9')");
    t.deepEqual(left.rows, [{ kind: 'quarantine', key: 'quarantined-long-ago' }], 'a quarantine in force stays, however old');
    t.is((await client.query("SELECT count(*)::int AS n FROM fleet_challenges WHERE key = 'live-login'")).rows[0].n, 1);
  } finally {
    await client.end();
  }
});
