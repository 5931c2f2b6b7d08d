/**
 * Log targets: every line carries its schema, host and pid; a syslog receiver (UDP and TCP,
 * real sockets on loopback) gets RFC 5424 messages whose text is the JSON line; a file is
 * reopened on request after logrotate moved it away.
 */
import test from 'ava';
import dgram from 'node:dgram';
import net from 'node:net';
import { existsSync, readFileSync, renameSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createLogger, LOG_SCHEMA, reopenLog } from '../../src/log/logger.js';
import { tempDir } from '../helpers/paths.js';

const RFC5424 = /^<(\d+)>1 (\S+) (\S+) (\S+) (\d+) (\S+) - (\{.*\})$/;

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

test('UDP syslog: one RFC 5424 datagram per line, severity and MSGID from the line', async (t) => {
  const got: string[] = [];
  const server = dgram.createSocket('udp4');
  server.on('message', (m) => got.push(m.toString('utf8')));
  await new Promise<void>((r) => server.bind(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const dir = tempDir(t);
  const log = createLogger({ level: 'info', destination: join(dir, 'l.log'), syslog: { host: '127.0.0.1', port: server.address().port, protocol: 'udp', facility: 'local3', appName: 'bindwall' } });
  log.warn({ event: 'directory_down', url: 'ldap://x' }, 'directory connection failed');
  log.info({ event: 'listening' }, 'listening');
  await until(() => got.length >= 2);
  const m = RFC5424.exec(got[0]!)!;
  t.truthy(m, got[0]);
  t.is(Number(m[1]), 19 * 8 + 4, 'local3.warning');
  t.is(m[3], hostname());
  t.is(m[4], 'bindwall');
  t.is(Number(m[5]), process.pid);
  t.is(m[6], 'directory_down');
  t.like(JSON.parse(m[7]!), { schema: LOG_SCHEMA, host: hostname(), pid: process.pid, level: 'warn', event: 'directory_down' });
  t.is(Number(RFC5424.exec(got[1]!)![1]), 19 * 8 + 6, 'local3.info');
});

test('TCP syslog: octet-counted frames; lines logged while the receiver is away are sent once it is there', async (t) => {
  const port = await new Promise<number>((r) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = (s.address() as net.AddressInfo).port; s.close(() => r(p)); }); });
  const dir = tempDir(t);
  const log = createLogger({ level: 'info', destination: join(dir, 'l.log'), syslog: { host: '127.0.0.1', port, protocol: 'tcp', facility: 'daemon', appName: 'bw' } });
  log.info({ event: 'early' }, 'before the receiver listens');
  let data = '';
  const peers: net.Socket[] = [];
  const server = net.createServer((s) => {
    peers.push(s);
    s.on('data', (c: Buffer) => { data += c.toString('utf8'); });
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  t.teardown(() => {
    for (const p of peers) p.destroy();
    server.close();
  });
  await until(() => data.includes('"early"'));
  log.info({ event: 'later' }, 'after');
  await until(() => data.includes('"later"'));
  const frames: string[] = [];
  for (let rest = data; rest.length > 0;) {
    const sp = rest.indexOf(' ');
    const len = Number(rest.slice(0, sp));
    frames.push(Buffer.from(rest.slice(sp + 1), 'utf8').subarray(0, len).toString('utf8'));
    rest = Buffer.from(rest.slice(sp + 1), 'utf8').subarray(len).toString('utf8');
  }
  t.is(frames.length, 2);
  t.is(RFC5424.exec(frames[0]!)![6], 'early');
  t.is(Number(RFC5424.exec(frames[1]!)![1]), 3 * 8 + 6);
});

test('a log file is reopened after logrotate moved it', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'bindwall.log');
  const log = createLogger({ level: 'info', destination: file });
  log.info({ event: 'one' }, 'first');
  renameSync(file, `${file}.1`);
  reopenLog(log);
  log.info({ event: 'two' }, 'second');
  log.flush();
  t.regex(readFileSync(`${file}.1`, 'utf8'), /"event":"one"/);
  t.true(existsSync(file));
  t.regex(readFileSync(file, 'utf8'), /"event":"two"/);
});

test('CEF: the event as signature, the fields a SIEM keys on as escaped extensions', async (t) => {
  const { formatCef } = await import('../../src/log/syslog.js');
  const line = JSON.stringify({ level: 'warn', time: '2026-12-01T10:00:00.000Z', host: 'h1', pid: 7, event: 'bind', msg: 'bind | denied', client: '10.1.2.3', dn: 'uid=a=b,dc=x', outcome: 'blocked', ruleId: 'high-risk-blocked', risk: 93 });
  t.is(formatCef(line, '0.1.0'), `CEF:0|bindwall|bindwall|0.1.0|bind|bind \\| denied|6|rt=${Date.parse("2026-12-01T10:00:00.000Z")} src=10.1.2.3 suser=uid\\=a\\=b,dc\\=x outcome=blocked cs1Label=rule cs1=high-risk-blocked cn1Label=risk cn1=93 dvchost=h1 dvcpid=7`);
});
