/** Spawns the real `bindwall` binary and collects what it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { binPath } from './paths.js';

export interface Spawned {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  /** Resolves when stdout (or stderr) matches. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
}

export function spawnBindwall(args: string[], opts: { cwd?: string } = {}): Spawned {
  const child = spawn(process.execPath, [binPath, ...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); listeners.forEach((l) => l()); });
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); listeners.forEach((l) => l()); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => { listeners.forEach((l) => l()); resolve(code); }));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor: (pattern, timeoutMs = 10_000) => new Promise((resolve, reject) => {
      const check = (): void => {
        const m = out.match(pattern) ?? err.match(pattern);
        if (m) {
          listeners.delete(check);
          clearTimeout(timer);
          resolve(m);
        } else if (child.exitCode !== null) {
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`bindwall exited (${child.exitCode}) before printing ${pattern}:\n${out}\n${err}`));
        }
      };
      const timer = setTimeout(() => { listeners.delete(check); reject(new Error(`timed out waiting for ${pattern}:\n${out}\n${err}`)); }, timeoutMs);
      listeners.add(check);
      check();
    }),
  };
}

/** Runs bindwall to completion: exit status and everything it printed. */
export async function runBindwall(args: string[], opts: { cwd?: string } = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const s = spawnBindwall(args, opts);
  const status = await s.exited;
  // 'exit' can precede the last 'data' events; wait for the streams to close.
  await Promise.all([new Promise((r) => (s.child.stdout!.closed ? r(null) : s.child.stdout!.once('close', r))), new Promise((r) => (s.child.stderr!.closed ? r(null) : s.child.stderr!.once('close', r)))]);
  return { status, stdout: s.stdout(), stderr: s.stderr() };
}
