/** A bindwall fleet node for tests: the real binary, its own SQLite store, the shared PostgreSQL. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnBindwall, type Spawned } from './cli.js';
import type { Postgres } from './postgres.js';
import type { Slapd } from './slapd.js';

export interface FleetNode { name: string; config: string; proc: Spawned; url: string; admin: string }

/** `extra`: more top-level YAML (mfa:, threat: …). Resolves once the node is connected to the fleet. */
export async function startFleetNode(o: { dir: string; name: string; pg: Postgres; slapd: Slapd; policies: string; extra?: string; proxyProtocol?: boolean }): Promise<FleetNode> {
  const config = join(o.dir, `${o.name}.yaml`);
  writeFileSync(config, `listeners:
  - name: edge
    port: 0
${o.proxyProtocol ? '    proxyProtocol: { trustedSources: [127.0.0.1/32] }\n' : ''}directory:
  urls: [${o.slapd.url}]
storage:
  path: ${join(o.dir, `${o.name}.db`)}
  postgres:
    url: ${o.pg.url}
    passwordFile: ${o.pg.passwordFile}
    node: ${o.name}
    reloadMs: 2000
    snapshotEveryMs: 1000
policy:
  dir: ${o.policies}
  watch: false
admin:
  port: 0
log:
  level: info
${o.extra ?? ''}`);
  const proc = spawnBindwall(['start', '--config', config]);
  const url = (await proc.waitFor(/"url":"(ldap:\/\/127\.0\.0\.1:\d+)"/, 30_000))[1]!;
  const admin = (await proc.waitFor(/"event":"admin_listening","url":"(http:\/\/127\.0\.0\.1:\d+)"/, 30_000))[1]!;
  await proc.waitFor(/"event":"fleet_connected"/, 30_000);
  return { name: o.name, config, proc, url, admin };
}

export async function stopFleetNode(n: FleetNode): Promise<void> {
  if (n.proc.child.exitCode !== null) return;
  n.proc.child.kill('SIGTERM');
  await n.proc.exited;
}
