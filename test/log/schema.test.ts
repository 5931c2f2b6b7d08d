/**
 * The documented log schema (docs/log-schema.md), checked line by line on what a real proxy
 * wrote: every line has the common fields with their types and an event; bind lines have
 * exactly the documented fields, each of its type.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_SCHEMA } from '../../src/log/logger.js';
import { startProxy } from '../helpers/proxy.js';
import { bindFrom } from '../helpers/bind-from.js';
import { BASE_DN, startSlapd } from '../helpers/slapd.js';
import { repoRoot } from '../helpers/paths.js';

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'string[]';
const BIND_FIELDS: Readonly<Record<string, Kind>> = {
  conn: 'number', listener: 'string', client: 'string', clientPort: 'number', dn: 'string', method: 'string', saslMechanism: 'string', tls: 'boolean',
  outcome: 'string', resultCode: 'number', directoryResultCode: 'number', directoryDiagnostic: 'string', reasons: 'string[]', ruleId: 'string', policy: 'string',
  audit: 'object', detail: 'string', honeytoken: 'boolean', threat: 'object', risk: 'number', signals: 'string[]', riskReasons: 'string[]', endpointRole: 'string',
  identity: 'string', accountKind: 'string', app: 'string', endpointName: 'string', tlsVersion: 'string', mfaMethod: 'string', incidentId: 'number', latencyMs: 'number',
};
const COMMON = ['level', 'time', 'service', 'schema', 'host', 'pid', 'event', 'msg'];
const is = (v: unknown, k: Kind): boolean => (k === 'string[]' ? Array.isArray(v) && v.every((x) => typeof x === 'string') : k === 'object' ? v !== null && typeof v === 'object' : typeof v === k);

test('every line follows the documented schema; bind lines have only documented fields', async (t) => {
  const slapd = await startSlapd();
  t.teardown(() => slapd.stop());
  const p = await startProxy({ directory: { urls: [slapd.url] } }, { behavior: true, policy: true });
  t.teardown(() => p.stop());
  await bindFrom(p.url, '127.0.0.1', `uid=alice,ou=people,${BASE_DN}`, 'Alice-Pass-1');
  await bindFrom(p.url, '127.0.0.9', `uid=alice,ou=people,${BASE_DN}`, 'wrong');
  await bindFrom(p.url, '127.0.0.1', '', '');
  const lines = p.logLines();
  t.true(lines.length > 5);
  const doc = readFileSync(join(repoRoot, 'docs', 'log-schema.md'), 'utf8');
  for (const l of lines) {
    for (const f of COMMON) t.true(f in l, `${f} missing in ${JSON.stringify(l).slice(0, 160)}`);
    t.true(['fatal', 'error', 'warn', 'info', 'debug', 'trace'].includes(String(l.level)));
    t.false(Number.isNaN(Date.parse(String(l.time))));
    t.like(l, { service: 'bindwall', schema: LOG_SCHEMA, pid: process.pid });
    t.regex(String(l.event), /^[a-z][a-z0-9_]*$/);
    if (l.event !== 'bind') continue;
    for (const [k, v] of Object.entries(l)) {
      if (COMMON.includes(k)) continue;
      t.true(k in BIND_FIELDS, `bind line field ${k} is not documented`);
      t.true(is(v, BIND_FIELDS[k]!), `${k}: ${JSON.stringify(v)}`);
      t.true(doc.includes(`\`${k}\``), `${k} is in docs/log-schema.md`);
    }
  }
  t.true(lines.some((l) => l.event === 'bind' && l.outcome === 'failed'));
});
