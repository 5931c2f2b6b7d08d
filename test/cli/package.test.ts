/**
 * The package as `npm pack` makes it works outside the checkout: its bindwall prints its
 * version, checks the example config and the shipped policy from an unrelated folder, and
 * holds no tests. Storage it creates is readable by its owner only.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdirSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, tempDir } from '../helpers/paths.js';

const run = promisify(execFile);

test('npm pack: an installable package whose bindwall works anywhere; storage files 0600', async (t) => {
  const dir = tempDir(t);
  // --ignore-scripts: dist/ is already built (a build here would pull it from under the running tests).
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: repoRoot });
  const [packed] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  const files = packed!.files.map((f) => f.path);
  for (const f of ['bin/bindwall.js', 'dist/src/cli/main.js', 'policies/default.yaml', 'templates/user-insight/en/new_device.txt', 'fixtures/demo/directory.ldif', 'packaging/bindwall.service', 'bindwall.example.yaml']) {
    t.true(files.includes(f), f);
  }
  t.false(files.some((f) => f.startsWith('dist/test/') || f.startsWith('test/') || f.startsWith('src/')), 'no tests or sources');
  await run('tar', ['-xzf', join(dir, packed!.filename), '-C', dir]);
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'package', 'node_modules'));
  const elsewhere = join(dir, 'elsewhere');
  mkdirSync(elsewhere);
  const bw = (...args: string[]) => run(process.execPath, [join(dir, 'package', 'bin', 'bindwall.js'), ...args], { cwd: elsewhere });
  t.regex((await bw('--version')).stdout, /^\d+\.\d+\.\d+\n$/);
  t.regex((await bw('config', 'check', join(dir, 'package', 'bindwall.example.yaml'))).stdout, /bindwall\.example\.yaml: ok/);
  t.regex((await bw('policy', 'check')).stdout, /policies: ok — \d+ rule\(s\)/);
  await bw('quarantine', 'list', '--db', join(elsewhere, 'data', 'bindwall.db'));
  t.is(statSync(join(elsewhere, 'data', 'bindwall.db')).mode & 0o777, 0o600);
  t.is(statSync(join(elsewhere, 'data')).mode & 0o777, 0o700);
});
