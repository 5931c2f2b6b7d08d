/**
 * Console sessions and config, without a browser: a session ends after its idle timeout and
 * after its absolute timeout however busy it is; only the token's hash is stored; a person
 * keeps a few browsers at most. admin.console's problems are reported all at once, positioned.
 */
import test from 'ava';
import type http from 'node:http';
import { join } from 'node:path';
import { parseConfig, configFromObject } from '../../src/config/load.js';
import { formatDiagnostic } from '../../src/config/diagnostics.js';
import { Sessions, SESSION_COOKIE } from '../../src/console/sessions.js';
import { ConsoleStore } from '../../src/store/console-store.js';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/util/clock.js';
import { tempDir } from '../helpers/paths.js';

const MIN = 60_000;
const BASE = { listeners: [{ name: 'edge', host: '127.0.0.1', port: 0 }], directory: { urls: ['ldaps://dc.corp.example'], lookup: { bindDn: 'cn=l', password: 'lookup-pass', baseDn: 'dc=corp' } }, mfa: { okta: { orgUrl: 'https://corp.okta.com', apiToken: 'okta-token-0001' } } };

function setup(t: { teardown(fn: () => void): void }) {
  const dir = tempDir(t);
  const config = configFromObject(join(dir, 'c.yaml'), { ...BASE, storage: { path: join(dir, 'b.db') }, admin: { port: 0, console: { roles: { admin: ['admins'] } } } });
  const db = openDatabase(config.storage.path);
  t.teardown(() => db.close());
  const clock = new ManualClock();
  const store = new ConsoleStore(db);
  return { db, clock, store, sessions: new Sessions({ store, clock, console: config.admin!.console! }) };
}

const request = (token: string): http.IncomingMessage => ({ headers: { cookie: `other=1; ${SESSION_COOKIE}=${token}` } }) as unknown as http.IncomingMessage;

test('idle for 15 minutes: signed out; busy, still signed out after 8 hours', (t) => {
  const { clock, sessions } = setup(t);
  const idle = sessions.create({ operator: 'carol', dn: 'uid=carol', role: 'admin', address: '127.0.0.1' });
  clock.advance(14 * MIN);
  t.is(sessions.resolve(request(idle.token))?.operator, 'carol');
  clock.advance(14 * MIN);
  t.truthy(sessions.resolve(request(idle.token)), 'each request restarts the idle timer');
  clock.advance(16 * MIN);
  t.is(sessions.resolve(request(idle.token)), undefined);

  const busy = sessions.create({ operator: 'carol', dn: 'uid=carol', role: 'admin', address: '127.0.0.1' });
  for (let m = 0; m < 8 * 60 - 10; m += 10) {
    clock.advance(10 * MIN);
    t.truthy(sessions.resolve(request(busy.token)), `at ${m + 10} min`);
  }
  clock.advance(11 * MIN);
  t.is(sessions.resolve(request(busy.token)), undefined, 'the absolute timeout ends it');
});

test('only a hash of the token is stored; an unknown or oversized cookie is no session; five browsers at most', (t) => {
  const { db, clock, sessions } = setup(t);
  const s = sessions.create({ operator: 'carol', dn: 'uid=carol', role: 'analyst', address: '127.0.0.1' });
  const rows = JSON.stringify(db.prepare('SELECT * FROM console_sessions').all());
  t.false(rows.includes(s.token));
  t.is(sessions.resolve(request('x'.repeat(43))), undefined);
  t.is(sessions.resolve(request('x'.repeat(5000))), undefined);
  const more = Array.from({ length: 6 }, () => {
    clock.advance(1_000);
    return sessions.create({ operator: 'carol', dn: 'uid=carol', role: 'analyst', address: '127.0.0.1' });
  });
  t.is(sessions.resolve(request(s.token)), undefined, 'the oldest went');
  t.truthy(sessions.resolve(request(more.at(-1)!.token)));
  t.is((db.prepare("SELECT COUNT(*) AS n FROM console_sessions WHERE operator = 'carol'").get() as { n: number }).n, 5);
});

test('admin.console: every problem at once, each positioned with a fix', (t) => {
  const { diagnostics } = parseConfig('c.yaml', `listeners:
  - { name: edge, port: 0 }
directory:
  urls: [ldaps://dc.corp.example]
admin:
  port: 0
  console:
    via: egde
    roles: { admin: [] }
`);
  const text = diagnostics.map(formatDiagnostic).join('\n');
  t.regex(text, /c\.yaml:8:\d+: error: admin\.console\.via names "egde", which no listener is.*did you mean "edge"/s);
  t.regex(text, /c\.yaml:9:\d+: error: no directory group gives a console role/);
  t.regex(text, /c\.yaml:[78]:\d+: error: the console reads its users' groups through directory\.lookup/);
  t.regex(text, /c\.yaml:[78]:\d+: error: console sign-ins step up with Okta, and mfa\.okta is not configured/);
});
