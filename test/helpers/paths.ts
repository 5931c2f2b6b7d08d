/** Locations inside the repository, independent of whether tests run from src or dist. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'fixtures'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('repository root not found');
}

export const repoRoot = findRoot();
export const fixture = (...parts: string[]): string => join(repoRoot, 'fixtures', ...parts);
export const binPath = join(repoRoot, 'bin', 'bindwall.js');

/** A temporary directory removed at the end of the test (or of the test file). */
export function tempDir(t: { teardown(fn: () => void): void }, prefix = 'bindwall-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
