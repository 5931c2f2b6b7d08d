/**
 * Reverse DNS names devices, off the bind path, against a real DNS server on loopback: the
 * first bind from an address asks and does not wait, the next ones have the name; a DHCP
 * laptop keeps its device when its address changes; only internal networks are asked; the
 * cache and the lookups in flight are bounded; a silent server is said, and fails safe.
 */
import test from 'ava';
import { BehaviorEngine } from '../../src/behavior/engine.js';
import { EventMapper } from '../../src/behavior/logon-event.js';
import { ReverseDns, type ReverseDnsOptions } from '../../src/behavior/reverse-dns.js';
import { silentLogger, type Logger } from '../../src/log/logger.js';
import { ManualClock } from '../../src/util/clock.js';
import { startDns } from '../helpers/dns.js';

const options = (server: string, o: Partial<ReverseDnsOptions> = {}): ReverseDnsOptions => ({
  servers: [server], networks: ['127.0.0.0/8'], timeoutMs: 300, cacheTtlMs: 3_600_000, negativeTtlMs: 600_000, maxEntries: 100, maxInFlight: 4, ...o,
});

test('a name from PTR, never waited for; cached; misses cached too; outside the networks nothing is asked', async (t) => {
  const dns = await startDns({ '127.0.9.10': 'WS-LON-1001.corp.example', '127.0.9.77': 'ws-lon-1001.corp.example' });
  t.teardown(() => dns.stop());
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 9));
  const r = new ReverseDns(options(dns.server, { networks: ['127.0.9.0/24'] }), clock, silentLogger());
  t.is(r.name('127.0.9.10'), undefined, 'the first bind does not wait');
  await r.settle();
  t.is(r.name('127.0.9.10'), 'ws-lon-1001', 'the host name, lower case');
  t.is(r.name('127.0.5.5'), undefined);
  t.is(r.name('127.0.9.99'), undefined);
  await r.settle();
  t.is(r.name('127.0.9.99'), undefined, 'no PTR: no name');
  const asked = dns.queries;
  r.name('127.0.9.99');
  r.name('127.0.9.10');
  await r.settle();
  t.is(dns.queries, asked, 'answers and misses are cached');
  t.is(r.lookups, 2, 'an address outside the networks is never looked up');
  clock.advance(600_001);
  r.name('127.0.9.99');
  await r.settle();
  t.is(dns.queries, asked + 1, 'a miss is asked again after negativeTtlMs');
});

test('through the mapper: a DHCP laptop keeps its device when its address changes', async (t) => {
  const dns = await startDns({ '127.0.9.10': 'ws-lon-1001.corp.example' });
  t.teardown(() => dns.stop());
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 9));
  const r = new ReverseDns(options(dns.server), clock, silentLogger());
  const mapper = new EventMapper(undefined, (a) => r.name(a));
  const engine = new BehaviorEngine();
  const logon = (address: string, at: number): ReturnType<EventMapper['fromAttempt']> =>
    mapper.fromAttempt({ receivedAt: at, bindDn: 'CORP\\alice', clientAddress: address, listener: 'ldap' });
  r.name('127.0.9.10');
  await r.settle();
  const first = logon('127.0.9.10', clock.now());
  t.is(first.endpointName, 'ws-lon-1001');
  engine.observe(first);
  // The lease moves; DNS follows (DHCP registers the name).
  dns.ptr.set('127.0.9.77', 'ws-lon-1001.corp.example');
  r.name('127.0.9.77');
  await r.settle();
  const moved = logon('127.0.9.77', clock.now() + 86_400_000);
  t.is(moved.endpointName, 'ws-lon-1001');
  t.true(engine.knowsDevice('alice', '127.0.9.77', clock.now(), moved.endpointName), 'known by its device at its new address');
  t.false(engine.knowsDevice('alice', '127.0.9.77', clock.now()), 'without the name, a new address');
  t.true(engine.account('alice')!.endpoints.has('ws-lon-1001'));
});

test('bounded: lookups in flight and cached entries; a silent server is said once a minute and names nothing', async (t) => {
  const dns = await startDns();
  dns.silent = true;
  t.teardown(() => dns.stop());
  const warnings: unknown[] = [];
  const log = { ...silentLogger(), warn: (o: unknown) => warnings.push(o) } as unknown as Logger;
  const clock = new ManualClock(Date.UTC(2026, 2, 2, 9));
  const r = new ReverseDns(options(dns.server, { maxInFlight: 3, maxEntries: 100, timeoutMs: 100 }), clock, log);
  for (let i = 1; i <= 50; i++) t.is(r.name(`127.0.8.${i}`), undefined);
  t.is(r.inFlight, 3, 'at most maxInFlight lookups at once');
  await r.settle();
  t.is(warnings.length, 1, 'said once');
  t.like(warnings[0], { event: 'reverse_dns_failing' });
  dns.silent = false;
  // 150 addresses through a 100-entry cache: the oldest are forgotten, and asked again.
  for (let i = 1; i <= 150; i++) {
    r.name(`127.0.${6 + (i >> 7)}.${(i & 127) + 1}`);
    await r.settle();
  }
  const asked = dns.queries;
  r.name('127.0.6.2');
  await r.settle();
  t.is(dns.queries, asked + 1, 'the cache holds maxEntries; the oldest went');
  r.name(`127.0.7.${(150 & 127) + 1}`);
  await r.settle();
  t.is(dns.queries, asked + 1, 'the newest is still cached');
});
