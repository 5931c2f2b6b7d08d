/**
 * `bindwall import`: the published JSONL format, an Okta System Log export and Windows
 * Security events (EVTX XML and Get-WinEvent JSON) seed baselines; malformed records are
 * reported with their line and the rest imported; a re-import changes nothing; a file that
 * looks like it carries a password is refused whole; the JSON Schema is published.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnBindwall } from '../helpers/cli.js';
import { fixture, repoRoot, tempDir } from '../helpers/paths.js';
import { readHistoryFile } from '../../src/history/import.js';

const f = (name: string): string => fixture('history', name);

function configIn(dir: string): string {
  const file = join(dir, 'bindwall.yaml');
  writeFileSync(file, 'listeners:\n  - name: edge\n    port: 0\ndirectory:\n  urls: [ldap://127.0.0.1:1]\nstorage:\n  path: data/bindwall.db\n');
  return file;
}

test('each format maps to logons; rejects carry their line; other event types are skipped, not errors', (t) => {
  const jsonl = readHistoryFile(f('logons.jsonl'));
  t.like(jsonl.report, { format: 'jsonl', records: 7, events: 4, rejected: 3 });
  t.deepEqual(jsonl.report.rejects.map((r) => r.line), [4, 5, 6]);
  t.regex(jsonl.report.rejects[1]!.reason, /result/);
  t.regex(jsonl.report.rejects[2]!.reason, /needs account or bindName/);
  t.like(jsonl.entries[0]!.event, { account: 'alice', bindName: 'CORP\\alice', endpointName: 'ws-lon-0101', app: 'desktop' });
  t.like(jsonl.entries.find((e) => e.id === 'portal-7731')!.event, { account: 'bob', time: 1762082400000 });
  t.like(jsonl.entries.at(-1), { label: { attack: 'password_spray_fast', campaign: 1 } });
  const xml = readHistoryFile(f('dc-security.xml'));
  t.like(xml.report, { format: 'windows-xml', records: 7, events: 5, skipped: 1, rejected: 1 });
  const [a, fail, krb, ntlm, machine] = xml.entries.map((e) => e.event);
  t.like(a, { account: 'alice', bindName: 'CORP\\alice', endpoint: '10.20.1.15', endpointName: 'ws-lon-0101', app: 'windows:network', result: 'success', source: 'windows' });
  t.like(fail, { account: 'alice', endpoint: '10.99.0.5', result: 'bad_password' });
  t.like(krb, { account: 'bob', endpoint: '10.20.1.16', app: 'windows:kerberos', result: 'bad_password' });
  t.like(ntlm, { account: 'carol', endpoint: 'ws-lon-0203', app: 'windows:ntlm', result: 'success' });
  t.like(machine, { kind: 'computer', account: 'ws-lon-0101$' });
  const json = readHistoryFile(f('dc-security.json'));
  t.like(json.report, { format: 'windows-json', records: 4, events: 3, rejected: 1 });
  t.like(json.entries[0]!.event, { account: 'dave', endpoint: '10.30.0.9', endpointName: 'jump01', app: 'windows:remote-interactive', result: 'success', time: 1762070400000 });
  t.like(json.entries[1]!.event, { account: 'dave', endpoint: '203.0.113.66', result: 'bad_password' });
  t.like(json.entries[2]!.event, { account: 'erin', endpoint: '10.30.0.12', result: 'success', app: 'windows:kerberos' });
  const okta = readHistoryFile(f('okta-export.json'));
  t.like(okta.report, { format: 'okta', records: 4, events: 2, skipped: 1, rejected: 1 });
  t.like(okta.entries[1]!.event, { account: 'alice', app: 'okta:Salesforce', endpoint: '81.2.69.160', source: 'okta' });
});

test('bindwall import seeds baselines, is idempotent, refuses a file with a password field, and publishes its schema', async (t) => {
  const dir = tempDir(t);
  const config = configIn(dir);
  const run = async (...args: string[]): Promise<{ code: number | null; out: string; err: string }> => {
    const c = spawnBindwall(['import', ...args], { cwd: dir });
    return { code: await c.exited, out: c.stdout(), err: c.stderr() };
  };
  const first = await run(f('dc-security.xml'), f('okta-export.json'), f('dc-security.json'), '--config', config, '--json');
  t.is(first.code, 1, 'some records were rejected (the rest imported)');
  const report = JSON.parse(first.out) as { imported: number; duplicates: number; files: { file: string; imported: number; rejected: number }[] };
  t.is(report.imported, 10);
  t.is(report.duplicates, 0);
  const again = await run(f('dc-security.xml'), f('okta-export.json'), f('dc-security.json'), '--config', config, '--json');
  t.like(JSON.parse(again.out), { imported: 0, duplicates: 10 }, 'a re-import changes nothing');
  const risk = spawnBindwall(['risk', 'show', 'alice', '--db', join(dir, 'data', 'bindwall.db'), '--json']);
  t.is(await risk.exited, 0, risk.stderr());
  const view = JSON.parse(risk.stdout()) as { apps: { app: string }[]; endpoints: number };
  t.true(view.apps.some((x) => x.app === 'okta:Salesforce') && view.apps.some((x) => x.app === 'windows:network'), 'DC logons and cloud sign-ins in one baseline');
  const text = await run(f('logons.jsonl'), '--config', config);
  t.regex(text.out, /logons\.jsonl \(jsonl\): 7 records, 4 logons — 4 imported/);
  t.regex(text.out, /logons\.jsonl:4: not JSON/);
  const secret = await run(f('secret.jsonl'), '--config', config);
  t.is(secret.code, 1);
  t.regex(secret.err, /secret\.jsonl: refused \(line 2: field "password" looks like it carries a secret/);
  t.false(`${secret.out}${secret.err}`.includes('Winter2026!'), 'the secret is never echoed');
  t.regex(secret.out, /0 logons imported/);
  const dry = await run(f('logons.jsonl'), '--config', config, '--dry-run', '--json');
  t.like(JSON.parse(dry.out), { dryRun: true, imported: 0, duplicates: 4 });
  const schema = await run('schema');
  t.is(schema.code, 0);
  const published = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'logon-event.v1.json'), 'utf8')) as unknown;
  t.deepEqual(JSON.parse(schema.out), published, 'schemas/logon-event.v1.json is what bindwall import schema prints');
  t.is((await run('--config', config)).code, 2, 'no file is a usage error');
});

test('import refuses to write beside a running bindwall on the same storage, and works once it has stopped', async (t) => {
  const dir = tempDir(t);
  const config = configIn(dir);
  const bw = spawnBindwall(['start', '--config', config], { cwd: dir });
  t.teardown(() => bw.child.kill('SIGKILL'));
  await bw.waitFor(/"event":"listening"/);
  for (let i = 0; i < 100 && !(await import('node:fs')).existsSync(join(dir, 'data', 'bindwall.db.pid')); i++) await new Promise((r) => setTimeout(r, 20));
  const busy = spawnBindwall(['import', f('logons.jsonl'), '--config', config], { cwd: dir });
  t.is(await busy.exited, 1);
  t.regex(busy.stderr(), /bindwall \(pid \d+\) is running on .*bindwall\.db; stop it, import, then start it again/);
  bw.child.kill('SIGTERM');
  t.is(await bw.exited, 0);
  const ok = spawnBindwall(['import', f('logons.jsonl'), '--config', config], { cwd: dir });
  await ok.exited;
  t.regex(ok.stdout(), /4 logons imported/);
});
