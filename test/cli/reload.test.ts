/**
 * SIGHUP on the real binary: a renewed certificate is served to new connections, the log
 * level changes, what needs a restart is named; an edit with errors is refused and the proxy
 * keeps serving. Then SIGTERM still stops it cleanly.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import tls from 'node:tls';
import { join } from 'node:path';
import { spawnBindwall } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { testCerts } from '../helpers/certs.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd;
test.before(async () => {
  slapd = await startSlapd();
});
test.after.always(async () => {
  await slapd?.stop();
});

/** The common name of the certificate a new TLS connection is shown. */
function servedName(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false }, () => {
      const cn = s.getPeerCertificate().subject.CN;
      s.destroy();
      resolve(String(cn));
    });
    s.once('error', reject);
  });
}

test('SIGHUP: new certificate and log level applied, restart-only changes named, a bad edit refused; the proxy keeps serving', async (t) => {
  const dir = tempDir(t);
  const certs = testCerts();
  copyFileSync(certs.certFile, join(dir, 'server.crt'));
  copyFileSync(certs.keyFile, join(dir, 'server.key'));
  const file = join(dir, 'bindwall.yaml');
  const config = (level: string, connectTimeoutMs: number): string => `listeners:\n  - name: ldaps\n    port: 0\n    tls: { certFile: server.crt, keyFile: server.key }\n` +
    `directory:\n  urls: [${slapd.url}]\n  connectTimeoutMs: ${connectTimeoutMs}\nstorage:\n  path: data/bindwall.db\nlog:\n  level: ${level}\n` +
    `mfa:\n  challengeTimeoutMs: ${level === 'info' ? '60s' : '90s'}\n`;
  writeFileSync(file, config('info', 3000));
  const bw = spawnBindwall(['start', '--config', file], { cwd: dir });
  t.teardown(() => bw.child.kill('SIGKILL'));
  const [, url] = (await bw.waitFor(/"url":"(ldaps:\/\/127\.0\.0\.1:\d+)"/)) as unknown as [string, string];
  t.is(await servedName(url), 'localhost');

  // Renewed: a new key and certificate in the same files, a debug log level, a directory change.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=renewed', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.crt'),
    '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
  writeFileSync(file, config('debug', 5000));
  bw.child.kill('SIGHUP');
  const [line] = (await bw.waitFor(/\{[^\n]*"event":"config_reloaded"[^\n]*\}/)) as unknown as [string];
  const reloaded = JSON.parse(line) as { applied: string[]; needsRestart: string[] };
  t.deepEqual(reloaded.applied, ['listener ldaps: certificate and key', 'log.level info → debug', 'mfa (challengeTimeoutMs)']);
  t.deepEqual(reloaded.needsRestart, ['directory']);
  t.is(await servedName(url), 'renewed');

  // An edit with errors: refused with its diagnostics, still serving.
  writeFileSync(file, 'listeners: nope\n');
  bw.child.kill('SIGHUP');
  await bw.waitFor(/"event":"config_reload_failed"/);
  t.regex(bw.stdout(), /bindwall\.yaml:1:12: error: listeners must be an array/);
  t.is(await servedName(url), 'renewed');
  t.is(bw.child.exitCode, null, 'still running');

  // Another policy directory: compiled, checked against the config, swapped in.
  mkdirSync(join(dir, 'strict'));
  writeFileSync(join(dir, 'strict', 'p.yaml'), 'version: 1\nrules:\n  - { id: nobody, when: { user: mallory }, action: block }\ndefault: { action: approve }\n');
  writeFileSync(file, `${config('debug', 5000)}policy:\n  dir: strict\n  watch: false\n`);
  bw.child.kill('SIGHUP');
  await bw.waitFor(/"applied":\["policy from [^"]*strict"\]/);
  t.regex(bw.stdout(), /"event":"policy_loaded","dir":"[^"]*strict"/);

  bw.child.kill('SIGTERM');
  t.is(await bw.exited, 0);
});
