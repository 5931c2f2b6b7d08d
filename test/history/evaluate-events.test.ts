/**
 * `simulate --evaluate --events FILE.jsonl`: the prequential evaluation on any labelled file in
 * the published format. What `simulate --out` writes is such a file, and evaluating it gives
 * the same detections as evaluating the simulation itself.
 */
import test from 'ava';
import { join } from 'node:path';
import { spawnBindwall } from '../helpers/cli.js';
import { fixture, tempDir } from '../helpers/paths.js';

interface Report { attacks: { type: string; campaigns: number; detected: number; events: number; eventsDetected: number }[]; measuredEvents: number; falseStepUps: number }

test('a labelled file is evaluated like a simulation: --out then --events gives the same detections', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'sim.jsonl');
  const args = ['--seed', '5', '--users', '120', '--services', '4', '--days', '9', '--warmup-days', '4', '--attacks', '1'];
  const okta = join(dir, 'okta.json');
  const gen = spawnBindwall(['simulate', ...args, '--out', file, '--okta-out', okta]);
  t.is(await gen.exited, 0, gen.stderr());
  t.regex(gen.stdout(), /\d+ Okta System Log events written/);
  const cfg = join(dir, 'c.yaml');
  (await import('node:fs')).writeFileSync(cfg, 'listeners:\n  - name: e\n    port: 0\ndirectory:\n  urls: [ldap://127.0.0.1:1]\nstorage:\n  path: data/bindwall.db\n');
  const imp = spawnBindwall(['import', okta, '--config', cfg, '--json'], { cwd: dir });
  t.is(await imp.exited, 0, imp.stderr());
  t.true((JSON.parse(imp.stdout()) as { imported: number }).imported > 100, 'the simulated cloud sign-ins import as an Okta export');
  const direct = spawnBindwall(['simulate', ...args, '--evaluate', '--json']);
  t.is(await direct.exited, 0, direct.stderr());
  const fromFile = spawnBindwall(['simulate', '--evaluate', '--events', file, '--warmup-days', '4', '--json']);
  t.is(await fromFile.exited, 0, fromFile.stderr());
  const a = JSON.parse(direct.stdout()) as Report;
  const b = JSON.parse(fromFile.stdout()) as Report & { source: { events: number; campaigns: number } };
  const withCampaigns = (r: Report): Report['attacks'] => r.attacks.filter((x) => x.campaigns > 0).map(({ type, campaigns, detected, events, eventsDetected }) => ({ type, campaigns, detected, events, eventsDetected }));
  t.true(b.source.campaigns > 0);
  t.deepEqual(withCampaigns(b).sort((x, y) => x.type.localeCompare(y.type)), withCampaigns(a).sort((x, y) => x.type.localeCompare(y.type)));
  t.is(b.measuredEvents, a.measuredEvents);
  t.is(b.falseStepUps, a.falseStepUps);
});

test('--events reports a malformed line and goes on; a file with a password field is refused; --events needs --evaluate', async (t) => {
  const ok = spawnBindwall(['simulate', '--evaluate', '--events', fixture('history', 'logons.jsonl')]);
  t.is(await ok.exited, 0, ok.stderr());
  t.regex(ok.stderr(), /logons\.jsonl:4: not JSON/);
  t.regex(ok.stdout(), /evaluated 4 events from .*logons\.jsonl \(1 labelled campaigns/);
  const secret = spawnBindwall(['simulate', '--evaluate', '--events', fixture('history', 'secret.jsonl')]);
  t.is(await secret.exited, 2);
  t.regex(secret.stderr(), /looks like it carries a secret/);
  const bare = spawnBindwall(['simulate', '--events', fixture('history', 'logons.jsonl')]);
  t.is(await bare.exited, 2);
});
