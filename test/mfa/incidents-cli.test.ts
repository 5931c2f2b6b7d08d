/** `bindwall incidents` for the analyst: list, show, acknowledge, resolve. */
import test from 'ava';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/db.js';
import { IncidentStore } from '../../src/store/incident-store.js';
import { runBindwall } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

test('list, show, ack and resolve incidents from the command line', async (t) => {
  const path = join(tempDir(t), 'bindwall.db');
  const db = openDatabase(path);
  const store = new IncidentStore(db);
  const time = Date.UTC(2026, 10, 20, 23, 5);
  store.insert({
    time, account: 'alice', kind: 'human', endpoint: '10.9.9.9', app: 'vpn', score: 72, reasons: ['first logon by alice from 10.9.9.9'], signals: ['new_endpoint'],
    ruleId: 'medium-risk-step-up', policyHash: 'a085e2cb0ea1841e', method: 'push', failure: 'denied', severity: 'medium', status: 'open',
    timeline: [{ time, what: 'challenge failed (denied): push denied on the phone' }],
  });
  db.close();
  const list = await runBindwall(['incidents', 'list', '--db', path]);
  t.is(list.status, 0, list.stderr);
  t.is(list.stdout, '#1  2026-11-20T23:05:00Z  medium   open         denied        alice from 10.9.9.9 via vpn (rule medium-risk-step-up, risk 72)\n');
  const show = await runBindwall(['incidents', 'show', '1', '--db', path]);
  t.regex(show.stdout, /why it was challenged: first logon by alice from 10\.9\.9\.9/);
  t.regex(show.stdout, /2026-11-20T23:05:00Z {2}challenge failed \(denied\): push denied on the phone/);
  t.regex((await runBindwall(['incidents', 'ack', '1', '--db', path, '--operator', 'dana'])).stdout, / acknowledged /);
  t.regex((await runBindwall(['incidents', 'ack', '1', '--db', path, '--operator', 'dana'])).stdout, /\(already acknowledged\)/, 'a second ack adds nothing');
  t.regex((await runBindwall(['incidents', 'resolve', '1', '--note', 'user travelling', '--db', path, '--operator', 'dana'])).stdout, / resolved /);
  t.regex((await runBindwall(['incidents', 'ack', '1', '--db', path])).stdout, /\(already resolved\)/, 'an ack does not reopen a resolved incident');
  const json = JSON.parse((await runBindwall(['incidents', 'show', '1', '--json', '--db', path])).stdout) as { status: string; timeline: { what: string }[] };
  t.is(json.status, 'resolved');
  t.deepEqual(json.timeline.slice(1).map((e) => e.what), ['acknowledged by dana', 'resolved by dana: user travelling']);
  t.is((await runBindwall(['incidents', 'list', '--status', 'open', '--db', path])).stdout, 'no incidents\n');
  const bad = await runBindwall(['incidents', 'list', '--status', 'closed', '--db', path]);
  t.is(bad.status, 2);
  const missing = await runBindwall(['incidents', 'show', '9', '--db', path]);
  t.is(missing.status, 1);
  t.is(missing.stdout, '');
  t.regex(missing.stderr, /no incident #9/);
});
