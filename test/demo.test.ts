/**
 * `bindwall demo` starts with no setup, and every command its cheat-sheet prints works
 * as described (run verbatim through a shell).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import https from 'node:https';
import { spawnBindwall } from './helpers/cli.js';
import { tempDir } from './helpers/paths.js';

function sh(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('sh', ['-c', command], { env: { PATH: process.env.PATH, HOME: '/nonexistent', LDAPRC: '/dev/null' }, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr });
    });
  });
}

test('the demo starts with no setup and its cheat-sheet commands work', async (t) => {
  const cwd = tempDir(t);
  const demo = spawnBindwall(['demo', '--port', '0'], { cwd });
  t.teardown(() => demo.child.kill('SIGKILL'));
  await demo.waitFor(/Ctrl-C stops/);
  const commands = demo.stdout().split('\n')
    .reduce<string[]>((acc, line) => {
      if (/^ {4}(ldap|printf)/.test(line)) acc.push(line.trim());
      else if (/^ {6}ldap/.test(line) && acc.length > 0) acc[acc.length - 1] = `${acc[acc.length - 1]!.replace(/\\$/, '')} ${line.trim()}`;
      return acc;
    }, []);
  t.is(commands.length, 7, commands.join('\n'));
  // Carol's bind steps up: it waits for the push, which the test approves like the phone would.
  const approve = /curl -X POST (\S+\/push\/approve)/.exec(demo.stdout())![1]!;
  const stepUp = sh(commands[6]!);
  let approved = false;
  for (let i = 0; i < 300 && !approved; i++) {
    await new Promise((r) => setTimeout(r, 20));
    approved = (await fetch(approve, { method: 'POST' })).status === 200;
  }
  t.true(approved, 'a push was waiting for Carol');
  const [whoami, wrong, unauthenticated, search, groups, modify, carol] = await Promise.all([...commands.slice(0, 6).map((c) => sh(c)), stepUp]);
  t.is(carol!.code, 0, carol!.stderr);
  t.regex(carol!.stdout, /uid=carol\.chen/);
  t.is(whoami!.code, 0);
  t.regex(whoami!.stdout, /^dn:uid=alice\.archer,ou=Finance,ou=People,dc=acme,dc=test/);
  t.is(wrong!.code, 49);
  t.is(unauthenticated!.code, 53);
  t.is(search!.code, 0);
  t.regex(search!.stdout, /cn: Alice Archer/);
  t.regex(groups!.stdout, /member: cn=Tier0 Operators/);
  t.is(modify!.code, 0, modify!.stderr);
  // Live mode from the cheat-sheet: real binds from many 127.x addresses into the demo.
  const url = /proxy (ldap:\/\/127\.0\.0\.1:\d+)/.exec(demo.stdout())![1]!;
  const live = spawnBindwall(['simulate', '--live', url, '--days', '14', '--max-events', '300'], { cwd });
  t.is(await live.exited, 0, live.stderr());
  t.regex(live.stdout(), /live: 300 binds from \d+ source addresses .* 300 as expected, 0 unexpected, 0 connection errors/);
  // The SSO connector reads the simulator's System Log at start: green within a minute.
  let health: { name: string; state: string; events: number }[] = [];
  for (let i = 0; i < 100 && health[0]?.state !== 'ok'; i++) {
    const c = spawnBindwall(['connectors', '--db', `${cwd}/data/demo/bindwall.db`, '--json']);
    await c.exited;
    health = JSON.parse(c.stdout() || '[]') as typeof health;
    if (health[0]?.state !== 'ok') await new Promise((r) => setTimeout(r, 100));
  }
  // Alice's three cloud sign-ins, and the simulator's own events for Carol's push when a poll came after it.
  t.like(health[0], { name: 'okta-sso', state: 'ok' });
  t.true(health[0]!.events >= 3, `events: ${health[0]!.events}`);
  // The console the cheat-sheet names answers with its sign-in page (over HTTPS, self-signed).
  const consoleUrl = /The admin console: (https:\/\/127\.0\.0\.1:\d+\/console\/)/.exec(demo.stdout())![1]!;
  const signIn = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    https.get(`${consoleUrl}login`, { rejectUnauthorized: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
  t.is(signIn.status, 200);
  t.regex(signIn.body, /<label for="user">Directory user name<\/label>/);
  demo.child.kill('SIGTERM');
  t.is(await demo.exited, 0);
  const cloud = spawnBindwall(['risk', 'show', 'alice.archer', '--db', `${cwd}/data/demo/bindwall.db`, '--json']);
  t.is(await cloud.exited, 0, cloud.stderr());
  t.true((JSON.parse(cloud.stdout()) as { apps: { app: string }[] }).apps.some((a) => a.app === 'okta:Salesforce'), 'a cloud sign-in arrived in risk show');
  t.regex(demo.stdout(), /"outcome":"approved"/);
  t.regex(demo.stdout(), /"client":"127\.30\./, 'binds came from simulated source addresses');
  const shown = spawnBindwall(['risk', 'show', 'svc-001', '--db', `${cwd}/data/demo/bindwall.db`]);
  t.is(await shown.exited, 0, shown.stdout() + shown.stderr());
  t.regex(shown.stdout(), /^svc-001 \(service/);
  const explained = spawnBindwall(['policy', 'explain', '--user', 'u00127', '--endpoint', '10.66.6.6', '--policy', 'data/demo/policies', '--db', 'data/demo/bindwall.db'], { cwd });
  t.is(await explained.exited, 0, explained.stdout() + explained.stderr());
  t.regex(explained.stdout(), /Policy {4}10-demo\.yaml, default\.yaml/);
  t.regex(explained.stdout(), /\nDecision {2}\w+/);
});

test('the demo on a busy port stops everything it started and exits 1 with a hint', async (t) => {
  const net = await import('node:net');
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => blocker.close());
  const cwd = tempDir(t);
  const demo = spawnBindwall(['demo', '--port', String((blocker.address() as import('node:net').AddressInfo).port)], { cwd });
  t.teardown(() => demo.child.kill('SIGKILL'));
  t.is(await demo.exited, 1);
  t.regex(demo.stderr(), /EADDRINUSE.*try another port with --port/);
});
