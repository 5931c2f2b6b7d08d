/**
 * Every command behaves the same (a table over all of them): `--help` prints its usage on
 * stdout and exits 0; `--json` prints pure JSON on stdout; usage errors exit 2 with the
 * reason on stderr; "not found" goes to stderr with exit 1; --until means from now.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBindwall } from '../helpers/cli.js';
import { repoRoot, tempDir } from '../helpers/paths.js';

const COMMANDS = ['start', 'demo', 'doctor', 'health', 'completion', 'status', 'config', 'risk', 'endpoints', 'policy', 'incidents', 'dead-letters', 'quarantine', 'threats', 'connectors', 'lockouts', 'import', 'simulate'];

test('every command answers --help with its usage, exit 0', async (t) => {
  for (const c of COMMANDS) {
    const r = await runBindwall([c, '--help']);
    t.is(r.status, 0, `${c}: ${r.stderr}`);
    t.regex(r.stdout, new RegExp(`^Usage:\\n {2}bindwall ${c}`), c);
    t.is(r.stderr, '', c);
  }
  for (const sub of [['policy', 'check', '--help'], ['quarantine', 'add', '-h'], ['config', 'check', '--help']]) t.is((await runBindwall(sub)).status, 0, sub.join(' '));
});

test('every command that prints data: --json is pure JSON on stdout', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'b.db');
  const config = join(dir, 'c.yaml');
  writeFileSync(config, `listeners:\n  - name: l\n    port: 0\ndirectory:\n  urls: [ldap://127.0.0.1:1]\nstorage:\n  path: ${db}\n`);
  const runs: string[][] = [
    ['quarantine', 'list', '--json', '--db', db], // creates the storage
    ['incidents', 'list', '--json', '--db', db], ['dead-letters', 'list', '--json', '--db', db], ['quarantine', 'list', '--json', '--db', db],
    ['threats', 'list', '--json', '--db', db], ['lockouts', 'list', '--json', '--db', db], ['connectors', '--json', '--db', db],
    ['endpoints', '--roles', '--json', '--db', db], ['risk', 'show', 'nobody', '--json', '--db', db],
    ['policy', 'check', '--json'], ['policy', 'schema'], ['import', 'schema'],
    ['config', 'check', join(repoRoot, 'bindwall.example.yaml'), '--json'], ['config', 'check', config, '--json'],
    ['quarantine', 'add', 'zed', '--json', '--db', db], ['quarantine', 'release', 'zed', '--json', '--db', db],
  ];
  for (const args of runs) {
    const r = await runBindwall(args);
    t.notThrows(() => JSON.parse(r.stdout), `${args.join(' ')}: ${r.stdout.slice(0, 200)}`);
    t.true(r.status === 0 || r.status === 1, args.join(' '));
  }
});

test('usage errors exit 2, "not found" is stderr with exit 1, a second quarantine add needs --force, --until is from now', async (t) => {
  const dir = tempDir(t);
  const db = join(dir, 'b.db');
  for (const args of [['start', 'real.yaml'], ['start', '--config', 'x', '--log-level', 'verbose'], ['incidents', 'show'], ['quarantine', 'add'], ['frobnicate']]) {
    const r = await runBindwall(args);
    t.is(r.status, 2, args.join(' '));
    t.regex(r.stderr, /^bindwall: /, args.join(' '));
  }
  t.regex((await runBindwall(['start', '--config', 'x', '--log-level', 'verbose'])).stderr, /--log-level must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"/);
  t.is((await runBindwall(['quarantine', 'list', '--db', db])).status, 0);
  const missing = await runBindwall(['incidents', 'list', '--db', join(dir, 'nowhere.db')]);
  t.is(missing.status, 1);
  t.regex(missing.stderr, /no storage at .*nowhere\.db: bindwall has not run with it yet/);
  for (const args of [['incidents', 'show', '7', '--db', db], ['lockouts', 'show', 'alice', '--db', db], ['threats', 'show', '10.1.2.3', '--db', db], ['quarantine', 'release', 'alice', '--db', db]]) {
    const r = await runBindwall(args);
    t.is(r.status, 1, args.join(' '));
    t.is(r.stdout, '', args.join(' '));
    t.regex(r.stderr, /^bindwall: /, args.join(' '));
  }
  const before = Date.now();
  const addRun = await runBindwall(['quarantine', 'add', 'alice', '--until', '2h', '--reason', 'phished', '--operator', 'dana', '--json', '--db', db]);
  t.regex(addRun.stderr, /warning: alice has never logged on through bindwall \(a typo\?\)/);
  const added = JSON.parse(addRun.stdout) as { until: number; source: string };
  t.true(added.until >= before + 2 * 3_600_000 - 1_000, '--until 2h is two hours from now');
  t.is(added.source, 'cli:dana');
  const again = await runBindwall(['quarantine', 'add', 'alice', '--reason', 'other', '--db', db]);
  t.is(again.status, 1);
  t.regex(again.stderr, /alice is already quarantined since .* \(cli:dana\): phished; --force replaces it/);
  t.is((await runBindwall(['quarantine', 'add', 'alice', '--reason', 'other', '--force', '--db', db])).status, 0);
});

test('shell completion: the bash script completes commands and subcommands', async (t) => {
  const script = (await runBindwall(['completion', 'bash'])).stdout;
  const { execFileSync } = await import('node:child_process');
  const complete = (words: string[]): string => execFileSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; _bindwall; echo "\${COMPREPLY[@]}"`], { encoding: 'utf8' }).trim();
  t.is(complete(['bindwall', 'quar']), 'quarantine');
  t.is(complete(['bindwall', 'dead-letters', 're']), 'retry');
  t.regex(complete(['bindwall', 'incidents', 'list', '--js']), /--json/);
  t.regex((await runBindwall(['completion', 'zsh'])).stdout, /^#compdef bindwall/);
  t.is((await runBindwall(['completion', 'fish'])).status, 2);
});
