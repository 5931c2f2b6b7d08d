/** `responses:` and `userInsight:` in bindwall.yaml: every problem at once, positioned, with a fix hint. */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatDiagnostic } from '../../src/config/diagnostics.js';
import { parseConfig } from '../../src/config/load.js';
import { StepKind } from '../../src/config/responses.js';
import { readTemplates, renderNotice } from '../../src/insight/templates.js';
import { LinkSigner, newReference } from '../../src/insight/links.js';
import { Secret } from '../../src/log/secret.js';
import { packageRoot } from '../../src/util/package-root.js';
import { compilePolicy } from '../../src/policy/compile.js';
import { checkPolicyAgainstConfig } from '../../src/policy/config-check.js';

const HEAD = 'listeners:\n  - name: l\n    port: 0\ndirectory:\n  urls: [ldap://127.0.0.1:1]\n';

test('response workflows: unknown steps, missing targets, Okta steps without Okta and dangling references, all at once', (t) => {
  const text = `${HEAD}incidents:
  notify:
    on-call: { type: webhook, url: http://127.0.0.1:9/x }
threat:
  honeytokens:
    respond: contian
userInsight:
  smtp: { host: 127.0.0.1, from: a@b.c }
  links: { keyFile: /nonexistent/key }
  onReport: nobody
responses:
  contain:
    - quarantine: { releaseOn: later }
    - okta.suspnd
    - notify: [oncall]
    - okta.clearSessions
    - webhook: { url: ftp://x }
    - notify
`;
  const { config, diagnostics } = parseConfig('r.yaml', text);
  t.is(config, undefined);
  const lines = diagnostics.map(formatDiagnostic);
  const has = (re: RegExp): void => {
    t.true(lines.some((l) => re.test(l)), `${re} in\n${lines.join('\n')}`);
  };
  has(/^r\.yaml:11:14: error: response workflow "contian" is not configured under responses: \(hint: did you mean "contain"\?\)/);
  has(/^r\.yaml:15:13: error: response workflow "nobody" is not configured/);
  has(/r\.yaml:18:\d+: error: quarantine takes \{ releaseOn: analyst \| verified, forMs \}/);
  has(/r\.yaml:19:\d+: error: unknown response step "okta\.suspnd" \(hint: did you mean "okta\.suspend"\?\)/);
  has(/r\.yaml:20:\d+: error: notify target "oncall" is not configured under incidents\.notify \(hint: did you mean "on-call"\?\)/);
  has(/r\.yaml:21:\d+: error: step okta\.clearSessions needs mfa\.okta/);
  has(/r\.yaml:22:\d+: error: webhook needs url: an http\(s\) URL/);
  has(/r\.yaml:23:\d+: error: step notify needs its options/);
  has(/error: userInsight needs a web listener to serve its links: mfa\.challengePage is not configured/);
  has(/error: cannot read link key file \/nonexistent\/key: ENOENT/);
});

test('userInsight: key length, SMTP security and credentials are checked; a valid one loads with its templates', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-ui-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'short.key'), 'too-short\n');
  writeFileSync(join(dir, 'good.key'), 'k'.repeat(48));
  writeFileSync(join(dir, 'smtp.pw'), 'pw\n');
  const page = 'mfa:\n  challengePage: { port: 0 }\n';
  const bad = parseConfig(join(dir, 'b.yaml'), `${HEAD}${page}userInsight:\n  smtp: { host: smtp.corp.example, security: none, user: x, from: a@b.c }\n  links: { keyFile: short.key }\n  language: xx\n`);
  const lines = bad.diagnostics.map(formatDiagnostic);
  const has = (re: RegExp): void => {
    t.true(lines.some((l) => re.test(l)), `${re} in\n${lines.join('\n')}`);
  };
  has(/error: the link key is 9 bytes; links need a key of 32 bytes or more \(hint: openssl rand -base64 48 > report-link\.key\)/);
  has(/error: security: none sends mail \(and its report links\) unencrypted; it is allowed only to a relay on loopback/);
  has(/error: SMTP authentication needs both user and passwordFile/);
  has(/error: cannot read template .*\/xx\/new_device\.txt: ENOENT/);
  const ok = parseConfig(join(dir, 'g.yaml'), `${HEAD}${page}responses:\n  contain: [quarantine, revokeRemembered]\nuserInsight:\n  smtp: { host: smtp.corp.example, user: x, passwordFile: smtp.pw, from: a@b.c }\n  links: { keyFile: good.key }\n  language: de\n  onReport: contain\n`);
  t.deepEqual(ok.diagnostics.filter((d) => d.severity === 'error'), []);
  const ui = ok.config!.userInsight!;
  t.is(ui.smtp.security, 'starttls');
  t.is(ui.smtp.password!.reveal(), 'pw');
  t.is(JSON.stringify(ui.links), `{"key":"[redacted]","validForMs":${7 * 86_400_000}}`);
  t.is(ui.templates.new_device.subject, 'Neue Anmeldung an Ihrem Konto');
  t.deepEqual(ok.config!.responses.contain, [{ kind: StepKind.Quarantine, releaseOn: 'analyst' }, { kind: StepKind.RevokeRemembered }]);
});

test('templates: every shipped language has every kind; values are escaped in HTML, sections drop when empty; unknown names are errors', (t) => {
  for (const lang of ['en', 'de', 'fr']) t.deepEqual(readTemplates(join(packageRoot, 'templates', 'user-insight'), lang).problems, [], lang);
  const { templates } = readTemplates(join(packageRoot, 'templates', 'user-insight'), 'en');
  const r = renderNotice(templates!.new_device, { account: 'alice', time: 'now', app: '<script>x</script>', reportUrl: 'https://x/r/a', confirmUrl: 'https://x/r/b', validDays: '7' });
  t.regex(r.html, /&#60;script&#62;x&#60;\/script&#62;/);
  t.regex(r.text, /Application: <script>x<\/script>/);
  t.false(/Place:/.test(r.text));
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-tpl-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'x'), '');
  t.true(readTemplates(dir, 'en').problems.length > 0);
});

test('links: opaque, verified only under their key and answer; anything changed is refused', (t) => {
  const a = new LinkSigner(new Secret(Buffer.alloc(32, 1)));
  const b = new LinkSigner(new Secret(Buffer.alloc(32, 2)));
  const ref = newReference();
  const path = a.path(ref, 'denied');
  t.regex(path, /^\/r\/[A-Za-z0-9_-]{22}\.n\.[A-Za-z0-9_-]{43}$/);
  const token = path.slice(3);
  t.deepEqual(a.verify(token), { ref, answer: 'denied' });
  t.is(b.verify(token), undefined);
  t.is(a.verify(token.replace('.n.', '.y.')), undefined, 'the answer is signed too');
  t.is(a.verify(`${token}x`), undefined);
  t.is(a.verify(''), undefined);
});

test('a policy rule naming a workflow or notify target the config lacks: an error (workflow) or a warning (target), positioned', (t) => {
  const { config } = parseConfig('c.yaml', `${HEAD}responses:\n  contain-account: [quarantine]\n`);
  const { policy } = compilePolicy([{ file: 'p.yaml', text: `version: 1
rules:
  - id: a
    action: mfa
    onFailure: contain-acount
  - id: b
    action: mfa
    onFailure: { notify: [pager], respond: contain-account }
default: { action: approve }
` }]);
  const lines = checkPolicyAgainstConfig(policy!, config!).map(formatDiagnostic);
  t.true(lines.some((l) => /^p\.yaml:5:16: error: response workflow "contain-acount" is not configured under responses: in .*c\.yaml \(hint: did you mean "contain-account"\?\)/.test(l)), lines.join('\n'));
  t.true(lines.some((l) => /^p\.yaml:8:27: warning: notify target "pager" is not configured under incidents\.notify/.test(l)), lines.join('\n'));
  t.is(lines.filter((l) => /contain-account"? is not/.test(l)).length, 0);
});

test('a workflow that quarantines until verified, under a policy with no rule that asks: a warning that says what to add', (t) => {
  const { config } = parseConfig('c.yaml', `${HEAD}responses:\n  contain: [{ quarantine: { releaseOn: verified } }]\n`);
  const without = compilePolicy([{ file: 'p.yaml', text: 'version: 1\nrules:\n  - { id: q, when: { quarantined: true }, action: block }\ndefault: { action: approve }\n' }]).policy!;
  const lines = checkPolicyAgainstConfig(without, config!).map(formatDiagnostic);
  t.true(lines.some((l) => /warning: response contain quarantines until the person verifies, but no rule asks a quarantined person to/.test(l)), lines.join('\n'));
  const withRule = compilePolicy([{ file: 'p.yaml', text: 'version: 1\nrules:\n  - { id: v, when: { quarantined: until-verified }, action: mfa }\n  - { id: q, when: { quarantined: true }, action: block }\ndefault: { action: approve }\n' }]).policy!;
  t.false(checkPolicyAgainstConfig(withRule, config!).some((d) => /until the person verifies/.test(d.message)));
});

test('durations: milliseconds or 90s / 15m / 1h30m / 7d wherever a key ends in Ms; anything else is a clear error', (t) => {
  const { config } = parseConfig('d.yaml', `${HEAD}limits:\n  idleTimeoutMs: 15m\n  pduTimeoutMs: 30000\nmfa:\n  challengeTimeoutMs: 1m30s\n  appTimeoutsMs: { vpn: 45s }\nthreat:\n  tarpit: { delayMs: 1500ms }\n`);
  t.is(config!.limits.idleTimeoutMs, 900_000);
  t.is(config!.limits.pduTimeoutMs, 30_000);
  t.is(config!.mfa.challengeTimeoutMs, 90_000);
  t.is(config!.mfa.appTimeoutsMs.vpn, 45_000);
  t.is(config!.threat.tarpit.delayMs, 1_500);
  const bad = parseConfig('d.yaml', `${HEAD}limits:\n  idleTimeoutMs: 15 minutes\n  firstBindTimeoutMs: 0.5ms\n`);
  const lines = bad.diagnostics.map(formatDiagnostic);
  t.true(lines.some((l) => /^d\.yaml:7:18: error: limits\.idleTimeoutMs: "15 minutes" is not a duration \(hint: write milliseconds \(900000\) or a duration such as 90s, 15m, 1h30m or 7d\)/.test(l)), lines.join('\n'));
  t.true(lines.some((l) => /firstBindTimeoutMs: "0\.5ms" is not a duration/.test(l)), lines.join('\n'));
});
