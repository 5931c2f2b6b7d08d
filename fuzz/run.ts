/**
 * `npm run fuzz`: the long fuzz run. 1,000,000 mutated PDUs through the framer and the
 * decoders, then (by default) 200,000 mutated inputs against a proxy in front of a real
 * slapd, checking crashes, hangs, RSS and that a valid client keeps working. Seeded: the
 * same seed finds the same inputs. Exits 1 on any finding.
 *   node dist/fuzz/run.js [--seed N] [--decoder-inputs N] [--proxy-inputs N] [--json]
 */
import { parseArgs } from 'node:util';
import { LdapClient } from '../src/ldap/client.js';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rssMb } from '../bench/proc.js';
import { binPath } from '../test/helpers/paths.js';
import { BASE_DN, startSlapd } from '../test/helpers/slapd.js';
import { fuzzDecoders } from './decoders.js';
import { fuzzProxy } from './proxy.js';

const { values } = parseArgs({ options: {
  seed: { type: 'string', default: '1' },
  'decoder-inputs': { type: 'string', default: '1000000' },
  'proxy-inputs': { type: 'string', default: '200000' },
  json: { type: 'boolean', default: false },
} });
const seed = Number(values.seed);
const say = (s: string): void => { if (!values.json) process.stdout.write(`${s}\n`); };

const started = Date.now();
const decoders = fuzzDecoders({ seed, inputs: Number(values['decoder-inputs']) });
say(`decoders: ${decoders.inputs} inputs, ${decoders.pdus} PDUs decoded, ${decoders.refused} refused cleanly, ${decoders.crashes.length} crashes, slowest input ${decoders.slowestMs.toFixed(1)} ms (${((Date.now() - started) / 1000).toFixed(0)} s)`);
for (const c of decoders.crashes.slice(0, 5)) say(`  crash: ${c.error}\n    input ${c.input}`);

const ALICE = `uid=alice,ou=people,${BASE_DN}`;
const BOB = `uid=bob,ou=people,${BASE_DN}`;
const slapd = await startSlapd();
// The real binary, so its RSS is its own.
const dir = mkdtempSync(join(tmpdir(), 'bindwall-fuzz-'));
const config = join(dir, 'bindwall.yaml');
// Behaviour scores and learns every bind, but an approve-all policy decides: the valid
// client's regular checks would rightly look scripted to the shipped policy.
mkdirSync(join(dir, 'policies'));
writeFileSync(join(dir, 'policies', 'approve.yaml'), 'version: 1\ndefault: { action: approve }\n');
writeFileSync(config, `listeners:\n  - name: fuzz\n    port: 0\ndirectory:\n  urls: [${slapd.url}]\nlimits:\n  maxConnectionsPerAddress: 100000\n` +
  `policy:\n  dir: policies\n  watch: false\nstorage:\n  path: data/bindwall.db\nlog:\n  level: warn\n`);
const child = spawn(process.execPath, [binPath, 'start', '--config', config, '--log-level', 'info'], { stdio: ['ignore', openSync(join(dir, 'bindwall.log'), 'w'), 'inherit'], cwd: dir, env: { ...process.env, ...(process.env.FUZZ_ENV ? Object.fromEntries(process.env.FUZZ_ENV.split(',').map((kv) => kv.split('=') as [string, string])) : {}) } });
let url = '';
for (let i = 0; i < 400 && !url; i++) {
  await new Promise((r) => setTimeout(r, 25));
  const m = /"url":"(ldap:\/\/127\.0\.0\.1:\d+)"/.exec(readFileSync(join(dir, 'bindwall.log'), 'utf8'));
  if (m) url = m[1]!;
}
if (!url) throw new Error('bindwall did not start');
const rssStart = rssMb(child.pid!);
const proxyStarted = Date.now();
const proxy = await fuzzProxy({
  url, seed, inputs: Number(values['proxy-inputs']), concurrency: 32, checkEvery: 5_000,
  bind: { dn: ALICE, password: 'Alice-Pass-1' },
  rssMb: () => rssMb(child.pid!),
  // Another person from another address: the fuzzer's address is rightly judged a spraying
  // source, and the account it binds as rightly carries risk from binding there.
  validClient: async () => {
    const c = await LdapClient.connect(url, { localAddress: '127.0.0.77' });
    try {
      const r = await c.bind(BOB, 'Bob-Pass-2');
      if (r.resultCode !== 0) say(`  valid client refused: ${r.resultCode} ${r.diagnosticMessage}`);
      return r.resultCode === 0;
    } finally {
      c.destroy();
    }
  },
  onProgress: (r) => { if (r.inputs % 50_000 < 5_000) say(`  proxy: ${r.inputs} inputs, ${r.hangs} hangs, bindwall RSS max ${r.maxRssMb.toFixed(0)} MB`); },
});
const alive = child.exitCode === null;
const smaps = alive ? readFileSync(`/proc/${child.pid}/smaps_rollup`, 'utf8') : '';
say(`  bindwall memory at the end: ${smaps.split('\n').filter((l) => /^(Rss|Anonymous):/.test(l)).map((l) => l.replace(/\s+/g, ' ')).join(', ')}`);
say(`proxy: ${proxy.inputs} inputs in ${((Date.now() - proxyStarted) / 1000).toFixed(0)} s, ${proxy.hangs} hangs, ${proxy.validFailures}/${proxy.validChecks} valid-client checks failed, bindwall ${alive ? 'alive' : 'DEAD'}, RSS ${rssStart.toFixed(0)} → max ${proxy.maxRssMb.toFixed(0)} MB`);
child.kill('SIGTERM');
await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
await slapd.stop();
rmSync(dir, { recursive: true, force: true });
// Bounded memory: RSS levels off (V8 keeps the heap it grew to; the state itself is bounded,
// see test/behavior/bounded-state.test.ts). The second half of the run may add little.
const samples = proxy.rssSamplesMb;
const mid = samples[Math.floor(samples.length / 2)] ?? rssStart;
const lateGrowth = (samples.at(-1) ?? rssStart) - mid;
say(`  RSS samples (MB): ${samples.map((x) => x.toFixed(0)).join(' ')}; growth over the second half ${lateGrowth.toFixed(0)} MB`);
const ok = alive && decoders.crashes.length === 0 && proxy.hangs === 0 && proxy.validFailures === 0 && lateGrowth < 64 && proxy.maxRssMb < 1024;
if (values.json) process.stdout.write(`${JSON.stringify({ ok, seed, decoders: { ...decoders, crashes: decoders.crashes.slice(0, 20) }, proxy: { ...proxy, rssStartMb: rssStart } })}\n`);
say(ok ? 'fuzz: no findings' : 'fuzz: FINDINGS (see above)');
process.exit(ok ? 0 : 1);
