/**
 * The fleet database over TLS (storage.postgres.tls): with the CA that signed the server's
 * certificate the node connects; without it the connection is refused, said with the reason
 * and no secret, and the node keeps deciding (no fail-open into an unverified server).
 */
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetSync } from '../../src/fleet/sync.js';
import { createLogger } from '../../src/log/logger.js';
import { Secret } from '../../src/log/secret.js';
import { openDatabase, type Db } from '../../src/store/db.js';
import { FleetOutbox } from '../../src/store/fleet-outbox.js';
import { systemClock } from '../../src/util/clock.js';
import { testCerts } from '../helpers/certs.js';
import { PG_PASSWORD, startPostgres, type Postgres } from '../helpers/postgres.js';

let pgs: Postgres;
let dir: string;
const dbs: Db[] = [];

test.before(async () => {
  pgs = await startPostgres({ tls: testCerts() });
  dir = mkdtempSync(join(tmpdir(), 'bindwall-fleet-tls-'));
});

test.after.always(async () => {
  for (const db of dbs) db.close();
  await pgs?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function link(name: string, tls: { rejectUnauthorized: boolean; ca?: Buffer }): { sync: FleetSync; lines: string[] } {
  const db = openDatabase(join(dir, `${name}.db`));
  dbs.push(db);
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: { write: (l: string) => { lines.push(l); return true; } } as unknown as NodeJS.WritableStream });
  const sync = new FleetSync({
    config: { url: pgs.url, password: new Secret(PG_PASSWORD), node: name, tls, reloadMs: 500, snapshotEveryMs: 300_000, connectTimeoutMs: 2_000, queryTimeoutMs: 2_000 },
    outbox: new FleetOutbox(db), clock: systemClock, log, kinds: [],
  });
  return { sync, lines };
}

test('with the CA: connected over TLS, verified', async (t) => {
  const { sync } = link('verified', { rejectUnauthorized: true, ca: testCerts().ca });
  sync.start();
  t.teardown(() => sync.stop());
  await sync.nextRound();
  t.true(sync.status().connected);
});

test('without the CA: refused and said (the certificate is not trusted); nothing connects', async (t) => {
  const { sync, lines } = link('untrusted', { rejectUnauthorized: true });
  sync.start();
  t.teardown(() => sync.stop());
  for (let i = 0; i < 200 && !lines.some((l) => l.includes('"event":"fleet_unavailable"')); i++) await new Promise((r) => setTimeout(r, 20));
  const s = sync.status();
  t.false(s.connected);
  t.regex(s.lastError ?? '', /certificate/i);
  t.false(lines.join('').includes(PG_PASSWORD));
});
