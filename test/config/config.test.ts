import test from 'ava';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { formatDiagnostic } from '../../src/config/diagnostics.js';
import { loadConfigFile, parseConfig } from '../../src/config/load.js';
import { fixture, repoRoot, tempDir } from '../helpers/paths.js';

/** Diagnostics as text, with paths relative to the repository (golden files stay portable). */
function report(file: string): string {
  const { diagnostics } = parseConfig(relative(repoRoot, file), readFileSync(file, 'utf8'));
  return `${diagnostics.map(formatDiagnostic).join('\n')}\n`;
}

for (const name of ['invalid', 'invalid-semantic']) {
  test(`every problem in ${name}.yaml is reported at once, matching the golden file`, (t) => {
    const actual = report(fixture('config', `${name}.yaml`)).replaceAll(repoRoot, '<repo>');
    const golden = fixture('config', `${name}.expected.txt`);
    if (process.env.UPDATE_GOLDEN) writeFileSync(golden, actual);
    t.true(existsSync(golden), `missing golden file; run with UPDATE_GOLDEN=1 to create ${golden}`);
    t.is(actual, readFileSync(golden, 'utf8'));
  });
}

test('the documented example config is valid and fully defaulted', (t) => {
  const config = loadConfigFile(join(repoRoot, 'bindwall.example.yaml'));
  t.is(config.listeners[0]!.port, 1389);
  t.is(config.directory.urls[0]!.url, 'ldap://127.0.0.1:389');
  t.is(config.binds.unauthenticated, 'refuse');
  t.is(config.limits.maxPduBytes, 10 * 1024 * 1024);
  t.true(Object.isFrozen(config) && Object.isFrozen(config.listeners[0]));
  t.is(config.storage.path, join(repoRoot, 'data', 'bindwall.db'), 'relative paths start at the config file');
});

test('a minimal config gets safe defaults', (t) => {
  const { config, diagnostics } = parseConfig('min.yaml', 'listeners:\n  - name: l\n    port: 0\ndirectory:\n  urls: [ldaps://dc.corp.example]\n');
  t.deepEqual(diagnostics, []);
  t.deepEqual(config!.binds, { anonymous: 'forward', unauthenticated: 'refuse', sasl: 'refuse' });
  t.deepEqual(config!.directory.urls[0], { url: 'ldaps://dc.corp.example', secure: true, host: 'dc.corp.example', port: 636 });
});

test('YAML syntax errors and duplicate keys are positioned', (t) => {
  const { diagnostics } = parseConfig('bad.yaml', 'listeners:\n  - name: a\n    port: 1\n    port: 2\ndirectory: [unclosed\n');
  t.true(diagnostics.length >= 1);
  t.true(diagnostics.every((d) => d.file === 'bad.yaml' && d.line > 0 && d.col > 0 && d.severity === 'error'));
});

test('an empty file names the missing sections', (t) => {
  const { diagnostics } = parseConfig('empty.yaml', '');
  t.deepEqual(diagnostics.map((d) => d.message).sort(), [
    'missing required key "directory" in the top level',
    'missing required key "listeners" in the top level',
  ]);
});

test('certificates are read and checked at load time', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'not-pem.crt'), 'hello');
  writeFileSync(join(dir, 'key.pem'), '-----BEGIN PRIVATE KEY-----\n');
  const yaml = `listeners:\n  - name: s\n    port: 0\n    tls:\n      certFile: not-pem.crt\n      keyFile: key.pem\ndirectory:\n  urls: [ldap://x]\n`;
  writeFileSync(join(dir, 'c.yaml'), yaml);
  const err = t.throws(() => loadConfigFile(join(dir, 'c.yaml')));
  t.regex(err!.message, /c\.yaml:5:17: error: certificate .*not-pem\.crt is not PEM/);
});

test('mfa.okta and incidents: credentials, org URL and key files are checked, every problem at once', (t) => {
  const text = `listeners:\n  - name: l\n    port: 0\ndirectory:\n  urls: [ldap://127.0.0.1:1]\nmfa:\n  okta:\n    orgUrl: http://corp.okta.com/api\n    apiToken: abc\n    oauth: { clientId: x, privateKeyFile: missing.pem }\nincidents:\n  notify:\n    pd: { type: pagerduty, url: https://events.pagerduty.com/v2/enqueue }\n`;
  const { config, diagnostics } = parseConfig('m.yaml', text);
  t.is(config, undefined);
  const lines = diagnostics.map(formatDiagnostic).map((l) => l.replace(/cannot read private key file \S+/, 'cannot read private key file X'));
  t.deepEqual(lines, [
    'm.yaml:7:3: error: mfa.okta: give one of apiToken, oauth, not several (hint: use apiTokenFile: /path/to/token, or oauth: { clientId, privateKeyFile })',
    'm.yaml:8:13: error: orgUrl must be the org\'s base URL, got "http://corp.okta.com/api" (hint: e.g. https://corp.okta.com (no path))',
    'm.yaml:10:43: error: cannot read private key file X ENOENT (hint: check the path (relative paths start at the config file) and its permissions)',
    'm.yaml:13:5: error: notify target "pd" (pagerduty) needs routingKeyFile (hint: add routingKeyFile: /path/to/routing-key)',
  ]);
  const ok = parseConfig('m.yaml', `listeners:\n  - name: l\n    port: 0\ndirectory:\n  urls: [ldap://127.0.0.1:1]\nmfa:\n  okta:\n    orgUrl: https://corp.okta.com/\n    apiToken: abc\n`);
  t.deepEqual(ok.diagnostics, []);
  t.is(ok.config!.mfa.okta!.orgUrl, 'https://corp.okta.com');
  t.is(ok.config!.mfa.okta!.auth.type, 'ssws');
  t.notRegex(JSON.stringify(ok.config), /abc/, 'the token is a Secret and never serialises');
});
