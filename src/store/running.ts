/**
 * Which bindwall process serves a storage file: a running proxy writes `<db>.pid` at start and
 * removes it when it stops, so `bindwall import` (which writes baselines the running proxy
 * would overwrite from memory) can refuse to run beside it. A stale file (its process gone)
 * does not count.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

const pidFile = (dbPath: string): string => `${dbPath}.pid`;

export function markRunning(dbPath: string): () => void {
  const file = pidFile(dbPath);
  try {
    writeFileSync(file, `${process.pid}\n`);
  } catch {
    return () => undefined; // read-only storage directory: nothing to mark
  }
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file, { force: true });
    } catch {
      // already gone
    }
  };
}

/** The pid of a live bindwall serving this storage, if any. */
export function runningOn(dbPath: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(dbPath), 'utf8').trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}
