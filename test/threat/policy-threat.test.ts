/**
 * A policy `threat` condition: a source the pool holds below the block level can be stepped
 * up or blocked by a rule; `explain` shows it; elsewhere the same account is approved.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadPolicyDir } from '../../src/policy/compile.js';
import { tempDir } from '../helpers/paths.js';
import { bindFrom } from '../helpers/bind-from.js';
import { spawnBindwall } from '../helpers/cli.js';
import { startProxy } from '../helpers/proxy.js';
import { BASE_DN, startSlapd, type Slapd } from '../helpers/slapd.js';

let slapd: Slapd;
test.before(async () => {
  slapd = await startSlapd();
});
test.after.always(async () => {
  await slapd?.stop();
});

const POLICY = `version: 1
rules:
  - id: brute-forcing-sources
    description: A source brute-forcing an account steps up whoever binds from it (it is not spraying).
    when: { threatKind: [brute_force] }
    action: mfa
  - id: threatened-sources
    description: A source spraying at medium or above is refused, whoever binds from it.
    when: { threat: medium }
    action: block
default: { action: approve }
`;

const bind = async (url: string, from: string, uid: string, pw: string): Promise<number> => (await bindFrom(url, from, `uid=${uid},ou=people,${BASE_DN}`, pw)).resultCode;

test('threat: medium matches a source at medium (and above), not one without an entry', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'p.yaml'), POLICY);
  const p = await startProxy({ directory: { urls: [slapd.url] }, threat: { mode: 'enforce', tarpit: { delayMs: 0 } }, policy: { dir, watch: false } }, { policy: true, behavior: true });
  t.teardown(() => p.stop());
  for (let i = 1; i <= 6; i++) await bind(p.url, '127.0.0.71', `nobody${i}`, 'x');
  t.is(p.proxy.threat!.verdict('127.0.0.71').entry?.level, 'medium');
  t.is(await bind(p.url, '127.0.0.71', 'alice', 'Alice-Pass-1'), 49, 'refused by the rule');
  t.like(p.events.at(-1), { outcome: 'blocked', ruleId: 'threatened-sources', directoryResultCode: 0 });
  t.is(await bind(p.url, '127.0.0.72', 'alice', 'Alice-Pass-1'), 0, 'approved from elsewhere');
  // explain and risk show read the same decision back from storage.
  p.behavior!.flush();
  const db = p.config.storage.path;
  const explain = spawnBindwall(['policy', 'explain', '--user', 'alice', '--endpoint', '127.0.0.71', '--policy', dir, '--db', db]);
  t.is(await explain.exited, 0, explain.stderr());
  t.regex(explain.stdout(), /threatened-sources/);
  t.regex(explain.stdout(), /127\.0\.0\.71 is in the threat pool at medium until .*password spraying.*: its binds wait in the tarpit/);
  const json = spawnBindwall(['policy', 'explain', '--user', 'alice', '--endpoint', '127.0.0.71', '--policy', dir, '--db', db, '--json']);
  t.is(await json.exited, 0, json.stderr());
  t.like(JSON.parse(json.stdout()), { input: { threatLevel: 'medium', threatKinds: ['spraying'] }, threat: { entry: { key: '127.0.0.71', level: 'medium', kinds: ['spraying'] } } });
  t.regex(explain.stdout(), /✗ brute-forcing-sources[\s\S]*threat kinds: spraying/, 'a spraying source is not a brute-forcing one');
  const risk = spawnBindwall(['risk', 'show', 'alice', '--db', db, '--json']);
  t.is(await risk.exited, 0, risk.stderr());
  const view = JSON.parse(risk.stdout()) as { recent: { endpoint: string; outcome: string; threat?: unknown }[] };
  t.like(view.recent.find((e) => e.outcome === 'blocked'), { threat: { pool: { level: 'medium', action: 'slow', enforced: true } } });
  const text = spawnBindwall(['risk', 'show', 'alice', '--db', db]);
  t.is(await text.exited, 0, text.stderr());
  t.regex(text.stdout(), /threat pool: source at medium, slow/);
  const badKind = tempDir(t);
  writeFileSync(join(badKind, 'p.yaml'), POLICY.replace('threatKind: [brute_force]', 'threatKind: [brute-force]'));
  t.regex(loadPolicyDir(badKind).diagnostics.map((d) => `${d.message} ${d.hint ?? ''}`).join('\n'), /unknown threat kind "brute-force".*did you mean "brute_force"/);
  const bad = tempDir(t);
  writeFileSync(join(bad, 'p.yaml'), POLICY.replace('threat: medium', 'threat: severe'));
  const { policy, diagnostics } = loadPolicyDir(bad);
  t.is(policy, undefined);
  t.regex(diagnostics.map((d) => `${d.line} ${d.message}`).join('\n'), /^9 .*"low", "medium", "high"/m);
});
