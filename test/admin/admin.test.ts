/**
 * The admin listener on the real binary: /metrics scraped and parsed after a known workload
 * (the counters match what was sent), /healthz, /readyz flipping when the directory goes
 * down, `bindwall status` reading it, and the token it may require.
 */
import test from 'ava';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runBindwall, spawnBindwall } from '../helpers/cli.js';
import { ldapTool } from '../helpers/ldap-utils.js';
import { tempDir } from '../helpers/paths.js';
import { freePort } from '../helpers/ports.js';
import { BASE_DN, startSlapd } from '../helpers/slapd.js';

const ALICE = `uid=alice,ou=people,${BASE_DN}`;
const TOKEN = 'admin-token-0123456789abcdef';

function get(url: string, token?: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, token ? { headers: { authorization: `Bearer ${token}` } } : {}, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    }).on('error', reject);
  });
}

/** The Prometheus text format, strictly: every sample line parsed, or the test fails. */
function parseMetrics(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

test('metrics after a known workload, health and readiness, bindwall status; the token guards metrics and status', async (t) => {
  const slapd = await startSlapd();
  t.teardown(() => slapd.stop());
  const dir = tempDir(t);
  const port = await freePort();
  writeFileSync(join(dir, 'admin.token'), TOKEN);
  const file = join(dir, 'bindwall.yaml');
  writeFileSync(file, `listeners:\n  - name: edge\n    port: 0\ndirectory:\n  urls: [${slapd.url}]\n  probeTimeoutMs: 1000\n  connectTimeoutMs: 1000\nstorage:\n  path: data/bindwall.db\n` +
    `threat:\n  mode: log\nadmin:\n  port: ${port}\n  tokenFile: admin.token\n`);
  const bw = spawnBindwall(['start', '--config', file], { cwd: dir });
  t.teardown(() => bw.child.kill('SIGKILL'));
  const [, url] = (await bw.waitFor(/"url":"(ldap:\/\/127\.0\.0\.1:\d+)"/)) as unknown as [string, string];
  await bw.waitFor(/"event":"admin_listening"/);
  const admin = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 3; i++) t.is((await ldapTool('ldapwhoami', ['-x', '-H', url, '-D', ALICE, '-w', 'Alice-Pass-1'])).code, 0);
  for (let i = 0; i < 2; i++) t.is((await ldapTool('ldapwhoami', ['-x', '-H', url, '-D', ALICE, '-w', `wrong-${i}`])).code, 49);

  t.is((await get(`${admin}/metrics`)).status, 401, 'the token is required');
  const m = await get(`${admin}/metrics`, TOKEN);
  t.is(m.status, 200);
  t.regex(m.type, /^text\/plain; version=0\.0\.4/);
  const samples = parseMetrics(m.body);
  const binds = (outcome: string): number => samples.filter((s) => s.name === 'bindwall_binds_total' && s.labels.outcome === outcome && s.labels.listener === 'edge' && s.labels.app === 'edge').reduce((n, s) => n + s.value, 0);
  t.is(binds('approved'), 3);
  t.is(binds('failed'), 2);
  t.is(samples.find((s) => s.name === 'bindwall_bind_duration_seconds_count' && s.labels.outcome === 'approved')?.value, 3);
  t.is(samples.find((s) => s.name === 'bindwall_upstream_up')?.value, 1);
  t.true(samples.some((s) => s.name === 'bindwall_process_resident_memory_bytes' && s.value > 0));
  t.true(samples.some((s) => s.name === 'bindwall_nodejs_eventloop_lag_seconds'));

  t.is((await get(`${admin}/healthz`)).status, 200);
  const ready = await get(`${admin}/readyz`);
  t.is(ready.status, 200, ready.body);
  const st = await runBindwall(['status', '--config', file, '--json'], { cwd: dir });
  t.is(st.status, 0, st.stderr);
  t.like(JSON.parse(st.stdout), { ready: true, listeners: [{ name: 'edge' }], directory: [{ url: slapd.url, healthy: true }] });
  const text = await runBindwall(['status', '--config', file], { cwd: dir });
  t.regex(text.stdout, /^bindwall \d+\.\d+\.\d+, up 0h 0m: ready\n/);

  // The directory goes away while nobody binds: readiness says so, and why.
  await slapd.stop();
  const down = await get(`${admin}/readyz`);
  t.is(down.status, 503);
  t.like(JSON.parse(down.body), { ready: false, checks: [{ name: 'listening', ok: true }, { name: 'directory', ok: false }] });
  const notReady = await runBindwall(['status', '--config', file], { cwd: dir });
  t.is(notReady.status, 1);
  t.regex(notReady.stdout, /NOT READY\n {2}directory: no directory URL is healthy/);
  bw.child.kill('SIGTERM');
  t.is(await bw.exited, 0);
  const gone = await runBindwall(['status', '--config', file], { cwd: dir });
  t.is(gone.status, 1);
  t.regex(gone.stderr, /bindwall is not answering at http:\/\/127\.0\.0\.1:\d+\/status/);
});
