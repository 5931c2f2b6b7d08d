/** Process accounting from /proc for the benchmarks: CPU time of all threads, RSS, open descriptors. */
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time of every thread of a process, in µs (schedstat is in ns, per thread). */
export function cpuMicros(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that just ended
    }
  }
  return ns / 1000;
}

export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
