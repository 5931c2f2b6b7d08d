/** Locations inside the repository, independent of whether tests run from src or dist. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/util/package-root.js';

export const repoRoot = packageRoot;
export const fixture = (...parts: string[]): string => join(repoRoot, 'fixtures', ...parts);
export const binPath = join(repoRoot, 'bin', 'bindwall.js');

/** A temporary directory removed at the end of the test (or of the test file). */
export function tempDir(t: { teardown(fn: () => void): void }, prefix = 'bindwall-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
