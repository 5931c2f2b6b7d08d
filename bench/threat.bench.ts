/**
 * `npm run bench` (threat part): a password spray of up to 10,000 guesses/s from 50 loopback
 * sources while 16 connections bind as real users, against bindwall with the threat pool in
 * enforce mode and with it off, side by side in one run (the real binary, behaviour on as
 * shipped, logging to a file). Reports the legitimate binds/s in each case, the guesses/s
 * actually sent, and the CPU bindwall spends per blocked guess (a spray alone; they never
 * reach the directory). Targets: legitimate throughput with the pool on ≥ 0.95× with it off;
 * ≤ 20 µs CPU per blocked guess.
 *
 * BENCH_SECONDS (default 2) sets each measurement's length; BENCH_SPRAY_RATE (default 10000)
 * the spray's guesses per second.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LdapClient } from '../src/ldap/client.js';
import { binPath } from '../test/helpers/paths.js';
import { BASE_DN, startSlapd, type Slapd } from '../test/helpers/slapd.js';
import { cpuMicros } from './proc.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const RATE = Number(process.env.BENCH_SPRAY_RATE ?? 10_000);
const USERS = 2_000;
const LEGIT = 16;
const SOURCES = 50;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TICK_MS = 10;

const userDn = (i: number): string => `uid=user${String(i).padStart(5, '0')},ou=bulk,${BASE_DN}`;
const pick = (): number => 1 + Math.floor(Math.random() * USERS);

async function startBindwall(upstream: Slapd, dir: string, mode: 'enforce' | 'off'): Promise<{ url: string; pid: number; child: ChildProcess }> {
  const config = join(dir, `bindwall-${mode}.yaml`);
  mkdirSync(join(dir, 'policies'), { recursive: true });
  writeFileSync(join(dir, 'policies', 'bench.yaml'), 'version: 1\ndefault: { action: approve }\n');
  writeFileSync(config, `listeners:\n  - name: bench\n    port: 0\ndirectory:\n  urls: [${upstream.url}]\n` +
    `limits:\n  maxConnectionsPerAddress: 100000\nthreat:\n  mode: ${mode}\npolicy:\n  dir: policies\n  watch: false\n` +
    `storage:\n  path: data/bindwall-${mode}.db\nlog:\n  level: info\n`);
  const log = join(dir, `bindwall-${mode}.log`);
  const prof = process.env.BENCH_PROFILE && mode === 'enforce' ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const child = spawn(process.execPath, [...prof, binPath, 'start', '--config', config], { stdio: ['ignore', openSync(log, 'w'), 'inherit'], cwd: dir });
  for (let i = 0; i < 200; i++) {
    const m = /"url":"ldap:\/\/127\.0\.0\.1:(\d+)"/.exec(readFileSync(log, 'utf8'));
    if (m) return { url: `ldap://127.0.0.1:${m[1]}`, pid: child.pid!, child };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('bindwall did not start');
}

/** Legitimate binds over 16 reused connections until the deadline; returns binds done. */
async function legit(url: string, until: bigint): Promise<number> {
  const clients = await Promise.all(Array.from({ length: LEGIT }, () => LdapClient.connect(url)));
  let n = 0;
  await Promise.all(clients.map(async (c) => {
    while (process.hrtime.bigint() < until) {
      const i = pick();
      const r = await c.bind(userDn(i), `Bulk-Pass-${i}`);
      if (r.resultCode !== 0) throw new Error(`legitimate bind failed: ${r.resultCode}`);
      n++;
    }
  }));
  await Promise.all(clients.map((c) => c.unbind()));
  return n;
}

/** The spray: each source on its own connection, paced to RATE/SOURCES guesses a second. */
async function spray(clients: LdapClient[], until: bigint): Promise<number> {
  const perTick = Math.max(1, Math.round((RATE / SOURCES) * (TICK_MS / 1000)));
  let sent = 0;
  await Promise.all(clients.map(async (c, k) => {
    let next = process.hrtime.bigint();
    while (process.hrtime.bigint() < until) {
      for (let j = 0; j < perTick; j++) {
        const r = await c.bind(userDn(1 + ((k * 37 + sent) % USERS)), `Spring2026-${sent}!`);
        if (r.resultCode !== 49) throw new Error(`a guess got ${r.resultCode}`);
        sent++;
      }
      next += BigInt(TICK_MS * 1e6);
      const wait = Number(next - process.hrtime.bigint()) / 1e6;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }));
  return sent;
}

/** Each source guesses at twelve accounts, one after another (in parallel across sources). */
async function warmUp(clients: LdapClient[]): Promise<void> {
  await Promise.all(clients.map(async (c, k) => {
    for (let j = 0; j < 12; j++) await c.bind(userDn(1 + ((k * 12 + j) % USERS)), 'Warm-Up-1!');
  }));
}

const sprayers = (url: string): Promise<LdapClient[]> =>
  Promise.all(Array.from({ length: SOURCES }, (_, i) => LdapClient.connect(url, { localAddress: `127.0.60.${i + 1}` })));

const deadline = (): bigint => process.hrtime.bigint() + BigInt(Math.round(SECONDS * 1e9));

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bindwall-threat-bench-'));
  const slapd = await startSlapd({ bulkUsers: USERS });
  const on = await startBindwall(slapd, dir, 'enforce');
  const off = await startBindwall(slapd, dir, 'off');
  try {
    const targets = [{ name: 'pool on (enforce)', t: on, s: await sprayers(on.url) }, { name: 'pool off', t: off, s: await sprayers(off.url) }];
    // Warm-up: each source tries enough accounts to be high (with the pool on, the tarpit
    // holds it two seconds a guess from the fourth account to the tenth).
    await Promise.all(targets.map((x) => warmUp(x.s)));
    const rows = new Map(targets.map((x) => [x.name, { alone: [] as number[], cpuPerBind: [] as number[], underSpray: [] as number[], guesses: [] as number[] }]));
    // Interleaved rounds, medians: the machine's drift falls on both alike.
    for (let round = 0; round < (process.env.BENCH_ONLY === 'cpu' ? 0 : ROUNDS); round++) {
      for (const x of targets) {
        const row = rows.get(x.name)!;
        const cpu0 = cpuMicros(x.t.pid);
        const alone = await legit(x.t.url, deadline());
        row.cpuPerBind.push((cpuMicros(x.t.pid) - cpu0) / alone);
        row.alone.push(alone / SECONDS);
        const until = deadline();
        const [under, guesses] = await Promise.all([legit(x.t.url, until), spray(x.s, until)]);
        row.underSpray.push(under / SECONDS);
        row.guesses.push(guesses / SECONDS);
      }
    }
    // CPU per blocked guess: the spray alone, against the pool; and against the floor, a
    // server that answers every chunk with a fixed 49 and parses nothing.
    const cpu0 = cpuMicros(on.pid);
    const guesses = await spray(targets[0]!.s, deadline());
    const perGuess = (cpuMicros(on.pid) - cpu0) / guesses;
    await Promise.all(targets.flatMap((x) => x.s.map((c) => c.unbind())));
    const floor = spawn(process.execPath, [fileURLToPath(new URL('./refuser.js', import.meta.url))], { stdio: ['ignore', 'pipe', 'inherit'] });
    const floorPort = await new Promise<number>((res) => floor.stdout!.once('data', (d: Buffer) => res(Number(d.toString().trim()))));
    const fs = await sprayers(`ldap://127.0.0.1:${floorPort}`);
    const f0 = cpuMicros(floor.pid!);
    const floorGuesses = await spray(fs, deadline());
    const floorPerGuess = (cpuMicros(floor.pid!) - f0) / floorGuesses;
    fs.forEach((c) => c.destroy());
    floor.kill('SIGTERM');

    const r = (x: number): string => Math.round(x).toLocaleString('en-GB');
    console.log(`threat pool under a spray (${SOURCES} sources, target ${r(RATE)} guesses/s; ${LEGIT} connections of legitimate binds; ${SECONDS} s each, median of ${ROUNDS} interleaved rounds)`);
    if (process.env.BENCH_ONLY !== 'cpu') {
      console.log(`${''.padEnd(20)}${'legit binds/s alone'.padStart(22)}${'CPU µs/bind'.padStart(13)}${'under spray'.padStart(14)}${'guesses/s sent'.padStart(17)}`);
      for (const [name, x] of rows) console.log(`${name.padEnd(20)}${r(median(x.alone)).padStart(22)}${median(x.cpuPerBind).toFixed(1).padStart(13)}${r(median(x.underSpray)).padStart(14)}${r(median(x.guesses)).padStart(17)}`);
      const a = rows.get('pool on (enforce)')!;
      const b = rows.get('pool off')!;
      console.log(`legitimate throughput, pool on / pool off: ${(median(a.alone) / median(b.alone)).toFixed(2)}× without a spray (target ≥ 0.95), ${(median(a.underSpray) / median(b.underSpray)).toFixed(2)}× under it`);
      console.log(`  (pool off, the spray goes to the directory: ${r(median(b.guesses))} guesses/s reach it; pool on, none do once its sources are high)`);
    }
    console.log(`bindwall CPU per blocked guess (spray alone, ${r(guesses / SECONDS)} guesses/s): ${perGuess.toFixed(1)} µs (target ≤ 20); ` +
      `the floor, a Node server answering each guess with a fixed 49: ${floorPerGuess.toFixed(1)} µs (${(perGuess / floorPerGuess).toFixed(2)}× it)`);
  } finally {
    on.child.kill('SIGTERM');
    off.child.kill('SIGTERM');
    await Promise.all([on.child, off.child].map((c) => new Promise((res) => c.once('exit', res))));
    await slapd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
