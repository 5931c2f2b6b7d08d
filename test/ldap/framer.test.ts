import test from 'ava';
import { BindwallError, ErrorCode } from '../../src/errors.js';
import { Disposition, PduFramer, type FrameHandler } from '../../src/ldap/framer.js';
import { encodeResult, encodeSimpleBindRequest, encodeUnbindRequest } from '../../src/ldap/messages.js';
import { Op } from '../../src/ldap/protocol.js';
import { encodeSearchRequest, Filter } from '../../src/ldap/client.js';

interface Seen {
  passed: Buffer[];
  collected: { msgId: number; op: number; pdu: Buffer }[];
  skipped: { msgId: number; op: number }[];
  failed: BindwallError[];
  classified: { msgId: number; op: number; size: number }[];
}

function recorder(decide: (op: number) => Disposition, opts: { holdOnCollect?: boolean } = {}): { h: FrameHandler; seen: Seen } {
  const seen: Seen = { passed: [], collected: [], skipped: [], failed: [], classified: [] };
  return {
    seen,
    h: {
      classify: (msgId, op, size) => { seen.classified.push({ msgId, op, size }); return decide(op); },
      pass: (b) => seen.passed.push(Buffer.from(b)),
      collected: (pdu, msgId, op) => { seen.collected.push({ msgId, op, pdu }); return !opts.holdOnCollect; },
      skipped: (msgId, op) => { seen.skipped.push({ msgId, op }); return true; },
      failed: (e) => seen.failed.push(e),
    },
  };
}

const search = (id: number): Buffer => encodeSearchRequest(id, 'dc=corp,dc=example', 2, Filter.equality('uid', `user${id}`), ['cn']);
const bind = (id: number): Buffer => encodeSimpleBindRequest(id, 'uid=alice,dc=corp,dc=example', 'pw');

test('passes a chunk of several whole PDUs through as one write, without copying', (t) => {
  const { h, seen } = recorder(() => Disposition.Pass);
  const f = new PduFramer(h, 1 << 20);
  const chunk = Buffer.concat([search(1), search(2), search(3)]);
  f.push(chunk);
  t.is(seen.passed.length, 1);
  t.deepEqual(seen.passed[0], chunk);
  t.deepEqual(seen.classified.map((c) => c.msgId), [1, 2, 3]);
  t.true(f.atBoundary);
});

test('frames PDUs fed one byte at a time, and at every split point', (t) => {
  const stream = Buffer.concat([search(1), bind(2), search(300), encodeUnbindRequest(70000)]);
  for (let split = 0; split <= stream.length; split++) {
    const { h, seen } = recorder((op) => (op === Op.BindRequest ? Disposition.Collect : Disposition.Pass));
    const f = new PduFramer(h, 1 << 20);
    f.push(stream.subarray(0, split));
    f.push(stream.subarray(split));
    t.deepEqual(seen.classified.map((c) => c.msgId), [1, 2, 300, 70000], `split at ${split}`);
    t.deepEqual(seen.collected[0]!.pdu, bind(2));
    t.deepEqual(Buffer.concat(seen.passed), Buffer.concat([search(1), search(300), encodeUnbindRequest(70000)]));
  }
  const { h, seen } = recorder(() => Disposition.Pass);
  const f = new PduFramer(h, 1 << 20);
  for (const byte of stream) f.push(Buffer.from([byte]));
  t.deepEqual(Buffer.concat(seen.passed), stream);
  t.is(seen.classified.length, 4);
});

test('holds input after a collected PDU until resumed, keeping order', (t) => {
  const { h, seen } = recorder((op) => (op === Op.BindRequest ? Disposition.Collect : Disposition.Pass), { holdOnCollect: true });
  const f = new PduFramer(h, 1 << 20);
  f.push(Buffer.concat([search(1), bind(2), search(3)]));
  t.true(f.held);
  t.deepEqual(seen.passed, [search(1)]);
  f.push(search(4));
  t.is(seen.passed.length, 1, 'nothing after the bind passes while held');
  f.resume();
  t.deepEqual(Buffer.concat(seen.passed), Buffer.concat([search(1), search(3), search(4)]));
});

test('skips a PDU without buffering it', (t) => {
  const { h, seen } = recorder((op) => (op === Op.SearchRequest ? Disposition.Skip : Disposition.Pass));
  const f = new PduFramer(h, 1 << 20);
  const s = search(9);
  f.push(s.subarray(0, 5));
  f.push(s.subarray(5));
  f.push(encodeUnbindRequest(10));
  t.deepEqual(seen.skipped, [{ msgId: 9, op: Op.SearchRequest }]);
  t.deepEqual(Buffer.concat(seen.passed), encodeUnbindRequest(10));
});

const malformedCases: [string, Buffer][] = [
  ['not a SEQUENCE', Buffer.from('GET / HTTP/1.1\r\n\r\n')],
  ['indefinite length', Buffer.from([0x30, 0x80, 0x02, 0x01, 0x01, 0x42, 0x00, 0x00, 0x00])],
  ['length of length 5', Buffer.from([0x30, 0x85, 0, 0, 0, 0, 5, 0x02, 0x01, 0x01, 0x42, 0x00])],
  ['messageID not an INTEGER', Buffer.from([0x30, 0x05, 0x04, 0x01, 0x01, 0x42, 0x00])],
  ['negative messageID', Buffer.from([0x30, 0x05, 0x02, 0x01, 0xff, 0x42, 0x00])],
  ['messageID of 5 bytes', Buffer.from([0x30, 0x09, 0x02, 0x05, 0, 0, 0, 0, 1, 0x42, 0x00])],
  ['high tag number', Buffer.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x7f, 0x00, 0x00])],
  ['too short for an op', Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01])],
];
for (const [name, bytes] of malformedCases) {
  test(`rejects a malformed envelope: ${name}`, (t) => {
    const { h, seen } = recorder(() => Disposition.Pass);
    const f = new PduFramer(h, 1 << 20);
    f.push(bytes);
    t.is(seen.failed.length, 1);
    t.is(seen.failed[0]!.code, ErrorCode.ProtocolMalformed);
    f.push(search(1));
    t.is(seen.classified.length, 0, 'a failed framer is dead');
  });
}

test('rejects a PDU that declares more than the limit before reading its body', (t) => {
  const { h, seen } = recorder(() => Disposition.Pass);
  const f = new PduFramer(h, 1024);
  f.push(Buffer.from([0x30, 0x84, 0x10, 0x00, 0x00, 0x00]));
  t.is(seen.failed[0]?.code, ErrorCode.PduTooLarge);
});

test('responses frame the same way (result PDUs from a server)', (t) => {
  const { h, seen } = recorder(() => Disposition.Pass);
  const f = new PduFramer(h, 1 << 20);
  f.push(Buffer.concat([encodeResult(5, Op.BindResponse, 49), encodeResult(6, Op.SearchResultDone, 0)]));
  t.deepEqual(seen.classified.map((c) => [c.msgId, c.op]), [[5, Op.BindResponse], [6, Op.SearchResultDone]]);
});
