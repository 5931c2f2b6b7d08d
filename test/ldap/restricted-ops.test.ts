import test from 'ava';
import { integer, octetString, sequence, tlv } from '../../src/ldap/ber.js';
import { encodeSearchRequest, Filter } from '../../src/ldap/client.js';
import { decodeSearchEntry } from '../../src/ldap/messages.js';
import { Op } from '../../src/ldap/protocol.js';
import { decodeCompareRequest, decodeSearchRequestInfo, restrictSearchEntry } from '../../src/ldap/restricted-ops.js';

test('every attribute a filter tests is found, through and/or/not, substrings, ranges, approx and extensible matches', (t) => {
  const substrings = tlv(0xa4, octetString('cn'), sequence(octetString('al', 0x80)));
  const ge = tlv(0xa5, octetString('uidNumber'), octetString('1000'));
  const le = tlv(0xa6, octetString('gidNumber'), octetString('9'));
  const approx = tlv(0xa8, octetString('sn'), octetString('smith'));
  const extensible = tlv(0xa9, octetString('2.5.13.2', 0x81), octetString('memberOf', 0x82), octetString('x', 0x83), Buffer.from([0x84, 0x01, 0xff]));
  const filter = Filter.and(Filter.or(Filter.equality('title', 'x'), Filter.present('mail')), tlv(0xa2, substrings), ge, le, approx, extensible);
  const info = decodeSearchRequestInfo(encodeSearchRequest(7, 'dc=corp,dc=example', 2, filter, ['cn']));
  t.is(info.msgId, 7);
  t.is(info.baseDn, 'dc=corp,dc=example');
  t.deepEqual(info.filterAttributes, ['title', 'mail', 'cn', 'uidNumber', 'gidNumber', 'sn', 'memberOf']);
  t.true(info.dnAttributes);
  t.throws(() => decodeSearchRequestInfo(encodeSearchRequest(1, '', 0, tlv(0xaf, octetString('x')), [])), { message: /unknown filter choice 0xaf/ });
});

test('a compare request names its entry and attribute', (t) => {
  const pdu = sequence(integer(3), tlv(Op.CompareRequest, octetString('uid=a,dc=x'), sequence(octetString('title'), octetString('Boss'))));
  t.deepEqual(decodeCompareRequest(pdu), { msgId: 3, entry: 'uid=a,dc=x', attribute: 'title' });
});

const entry = (controls?: Buffer): Buffer => sequence(integer(9), tlv(Op.SearchResultEntry, octetString('uid=a,ou=people,dc=x'), sequence(
  sequence(octetString('cn'), tlv(0x31, octetString('A'))),
  sequence(octetString('memberOf'), tlv(0x31, octetString('cn=admins,dc=x'), octetString('cn=staff,dc=x'))),
  sequence(octetString('title'), tlv(0x31, octetString('Boss'))),
)), ...(controls ? [controls] : []));

test('search entries lose exactly what is stripped; unchanged entries pass as the same bytes; controls survive', (t) => {
  const none = (): boolean => false;
  const original = entry();
  t.is(restrictSearchEntry(original, none, none, none), original, 'nothing removed: the very same buffer');
  t.is(restrictSearchEntry(original, (dn) => dn.includes('ou=people'), none, none), null, 'hidden entries vanish');
  const controls = tlv(0xa0, sequence(octetString('1.2.3')));
  const out = restrictSearchEntry(entry(controls), none, (a, v) => (a === 'memberOf' && v.startsWith('cn=admins')) || a === 'title', (a) => a === 'title')!;
  t.deepEqual(decodeSearchEntry(out).attributes, { cn: ['A'], memberOf: ['cn=staff,dc=x'] });
  t.true(out.subarray(out.length - controls.length).equals(controls));
});
