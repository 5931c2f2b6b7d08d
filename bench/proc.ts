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

/** A process and everything it forked (a hub and its workers), from /proc's children lists. */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${out[i]}/task`);
    } catch {
      continue; // exited meanwhile
    }
    for (const task of tasks) {
      try {
        for (const c of readFileSync(`/proc/${out[i]}/task/${task}/children`, 'utf8').trim().split(/\s+/)) if (c) out.push(Number(c));
      } catch {
        // a thread that just ended
      }
    }
  }
  return out;
}

/** CPU time of a process tree, in µs (processes that exit during a measurement take theirs with them). */
export const treeCpuMicros = (pid: number): number => processTree(pid).reduce((sum, p) => {
  try {
    return sum + cpuMicros(p);
  } catch {
    return sum;
  }
}, 0);
