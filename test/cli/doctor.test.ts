/**
 * `bindwall doctor` against real parts: a wrong lookup password, a dead directory URL, a
 * certificate whose name is not the one asked for, an Okta service app without the scope
 * MFA needs, a policy naming a notify target nobody configured — each found, with its fix.
 */
import test from 'ava';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OktaSimulator } from '../../src/okta/simulator/server.js';
import { runBindwall } from '../helpers/cli.js';
import { testCerts } from '../helpers/certs.js';
import { tempDir } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { ADMIN_DN, BASE_DN, startSlapd } from '../helpers/slapd.js';

interface Finding { what: string; ok: boolean; code?: string; message?: string; fix?: string }

test('doctor finds each problem with its fix, and exits 1; the same config fixed is all ok', async (t) => {
  const certs = testCerts();
  const slapd = await startSlapd({ certs });
  t.teardown(() => slapd.stop());
  const key = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const sim = new OktaSimulator({ apiTokens: ['sim-token-0001'], serviceApps: [{ clientId: '0oa-readonly', publicKey: key.publicKey, scopes: ['okta.users.read'] }] });
  await sim.start();
  t.teardown(() => sim.stop());
  const dir = tempDir(t);
  writeFileSync(join(dir, 'okta.pem'), key.privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(dir, 'lookup.pw'), 'not-the-password');
  mkdirSync(join(dir, 'policies'));
  writeFileSync(join(dir, 'policies', 'p.yaml'), 'version: 1\nrules:\n  - id: admins\n    when: { user: alice }\n    action: mfa\n    onFailure: { notify: [security-team] }\ndefault: { action: approve }\n');
  const dead = `ldap://127.0.0.1:${await freePort()}`;
  const file = join(dir, 'bindwall.yaml');
  const config = (urls: string[], lookupPw: string, oauth: boolean): string => `listeners:\n  - name: edge\n    port: 0\n` +
    `directory:\n  urls: [${urls.join(', ')}]\n  caFile: ${certs.caFile}\n  tlsServerName: ${oauth ? 'wrong.example' : 'localhost'}\n  connectTimeoutMs: 1000\n  probeTimeoutMs: 1000\n` +
    `  lookup: { bindDn: "${ADMIN_DN}", passwordFile: ${lookupPw}, baseDn: "${BASE_DN}" }\n` +
    `policy:\n  dir: policies\nmfa:\n  okta:\n    orgUrl: ${sim.url}\n` + (oauth ? `    oauth: { clientId: 0oa-readonly, privateKeyFile: okta.pem }\n` : `    apiToken: sim-token-0001\n`);
  writeFileSync(file, config([slapd.url, dead, slapd.ldapsUrl!], 'lookup.pw', true));
  const r = await runBindwall(['doctor', '--config', file, '--json'], { cwd: dir });
  t.is(r.status, 1, r.stderr);
  const report = JSON.parse(r.stdout) as { connections: Finding[]; diagnostics: string[] };
  const find = (re: RegExp): Finding => report.connections.find((c) => re.test(c.what))!;
  t.like(find(new RegExp(`^directory ${slapd.url.replace(/[.]/g, '\\.')}$`)), { ok: true });
  t.like(find(new RegExp(`^directory ${dead.replace(/[.]/g, '\\.')}$`)), { ok: false, code: 'BW_UPSTREAM_UNAVAILABLE' });
  const tls = find(/^directory ldaps:/);
  t.false(tls.ok);
  t.regex(`${tls.message}`, /wrong\.example|altname|certificate/i);
  t.like(find(/^lookup account/), { ok: false, code: 'BW_LOOKUP_BIND_FAILED', fix: 'check directory.lookup.bindDn and the password in its passwordFile' });
  const okta = find(/^Okta API at/);
  t.like(okta, { ok: false, code: 'BW_OKTA_AUTH' });
  t.regex(okta.fix!, /grant the service app okta\.users\.manage/);
  t.true(report.diagnostics.some((d) => /p\.yaml:6:\d+: warning: notify target "security-team" is not configured under incidents\.notify/.test(d)), report.diagnostics.join('\n'));
  t.false(r.stdout.includes('not-the-password'));

  // Fixed: the right password, no dead URL, the right name, an API token.
  writeFileSync(join(dir, 'lookup.pw'), (await import('../helpers/slapd.js')).ADMIN_PW);
  writeFileSync(file, config([slapd.url, slapd.ldapsUrl!], 'lookup.pw', false));
  const fixed = await runBindwall(['doctor', '--config', file], { cwd: dir });
  t.is(fixed.status, 0, fixed.stderr);
  t.regex(fixed.stdout, /Okta API at .* \(mfa\.okta\): ok/);
  t.regex(fixed.stdout, /lookup account .*: ok/);
  t.regex(fixed.stdout, /directory ldaps:.*: ok/);
});
