import test from 'ava';
import { inspect } from 'node:util';
import { integer, octetString, sequence, tlv } from '../../src/ldap/ber.js';
import { decodeBindRequest, decodeExtendedRequest, decodeResult, encodeExtendedRequest, encodeResult, encodeSimpleBindRequest } from '../../src/ldap/messages.js';
import { Oid, Op } from '../../src/ldap/protocol.js';
import { ErrorCode } from '../../src/errors.js';

test('decodes a simple bind and keeps the password out of JSON and inspect', (t) => {
  const req = decodeBindRequest(encodeSimpleBindRequest(7, 'uid=alice,dc=corp,dc=example', 'S3cret-Value'));
  t.is(req.msgId, 7);
  t.is(req.version, 3);
  t.is(req.name, 'uid=alice,dc=corp,dc=example');
  t.is(req.auth.kind, 'simple');
  if (req.auth.kind !== 'simple') return;
  t.is(req.auth.password.reveal().toString(), 'S3cret-Value');
  t.false(JSON.stringify(req).includes('S3cret'));
  t.false(inspect(req, { depth: 10 }).includes('S3cret'));
  t.false(String(req.auth.password).includes('S3cret'));
});

test('decodes a SASL bind mechanism', (t) => {
  const pdu = sequence(integer(2), tlv(Op.BindRequest, integer(3), octetString(''), tlv(0xa3, octetString('EXTERNAL'))));
  const req = decodeBindRequest(pdu);
  t.deepEqual(req.auth, { kind: 'sasl', mechanism: 'EXTERNAL' });
});

test('accepts controls after the bind but nothing else', (t) => {
  const op = tlv(Op.BindRequest, integer(3), octetString('cn=x'), octetString('pw', 0x80));
  const controls = tlv(0xa0, sequence(octetString('1.2.3')));
  t.is(decodeBindRequest(sequence(integer(1), op, controls)).name, 'cn=x');
  const junk = tlv(Op.BindRequest, integer(3), octetString('cn=x'), octetString('pw', 0x80), octetString('extra'));
  t.throws(() => decodeBindRequest(sequence(integer(1), junk)), { code: ErrorCode.ProtocolMalformed } as never);
  t.throws(() => decodeBindRequest(sequence(integer(1), op, octetString('trailing'))), { code: ErrorCode.ProtocolMalformed } as never);
});

test('refuses bind names that are not UTF-8 and constructed strings', (t) => {
  const badName = sequence(integer(1), tlv(Op.BindRequest, integer(3), octetString(Buffer.from([0xc3, 0x28])), octetString('pw', 0x80)));
  t.throws(() => decodeBindRequest(badName), { code: ErrorCode.ProtocolMalformed } as never);
  const constructed = sequence(integer(1), tlv(Op.BindRequest, integer(3), tlv(0x24, octetString('cn=x')), octetString('pw', 0x80)));
  t.throws(() => decodeBindRequest(constructed), { code: ErrorCode.ProtocolMalformed } as never);
});

test('round-trips an LDAPResult', (t) => {
  const r = decodeResult(encodeResult(99, Op.BindResponse, 49, '80090308: LdapErr: DSID-0C09044E, data 52e, v4563'), Op.BindResponse);
  t.deepEqual(r, { msgId: 99, opTag: Op.BindResponse, resultCode: 49, matchedDn: '', diagnosticMessage: '80090308: LdapErr: DSID-0C09044E, data 52e, v4563' });
});

test('reads the OID of an extended request', (t) => {
  t.is(decodeExtendedRequest(encodeExtendedRequest(4, Oid.startTls)).oid, Oid.startTls);
  t.is(decodeExtendedRequest(encodeExtendedRequest(4, Oid.passwordModify, Buffer.from([0x30, 0x00]))).oid, Oid.passwordModify);
});
