/**
 * Seeds and mutations for fuzzing what bindwall decodes: valid PDUs of every kind it reads
 * (binds simple and SASL, StartTLS and other extended requests, abandon, the search and
 * compare requests of demoted sessions, search entries and results from the directory),
 * mutated the ways that find bugs in BER code — flipped bits, length fields pushed past
 * their containers, truncation, inserted and deleted bytes, spliced PDUs, huge lengths.
 */
import { encodeSearchRequest, Filter } from '../src/ldap/client.js';
import { integer, octetString, sequence, tlv } from '../src/ldap/ber.js';
import { encodeExtendedRequest, encodeResult, encodeSimpleBindRequest } from '../src/ldap/messages.js';
import { Oid, Op } from '../src/ldap/protocol.js';
import { Rng } from '../src/util/random.js';

const DN = 'uid=alice,ou=people,dc=corp,dc=example';

export function seeds(): Buffer[] {
  const sasl = (mech: string, cred?: Buffer): Buffer => sequence(integer(2), tlv(Op.BindRequest, integer(3), octetString(''), tlv(0xa3, octetString(mech), ...(cred ? [octetString(cred)] : []))));
  const compare = sequence(integer(5), tlv(Op.CompareRequest, octetString(DN), sequence(octetString('memberOf'), octetString('cn=admins,dc=corp,dc=example'))));
  const nested = Filter.and(Filter.or(Filter.equality('uid', 'alice'), Filter.present('memberOf')), tlv(0xa2, Filter.equality('cn', 'x')),
    tlv(0xa4, octetString('cn'), sequence(octetString('a', 0x80), octetString('z', 0x82))), tlv(0xa9, octetString('2.5.13.2', 0x81), octetString('cn', 0x82), octetString('x', 0x83), Buffer.from([0x84, 0x01, 0xff])));
  const entry = sequence(integer(6), tlv(Op.SearchResultEntry, octetString(DN), sequence(
    sequence(octetString('cn'), tlv(0x31, octetString('Alice'))), sequence(octetString('memberOf'), tlv(0x31, octetString('cn=a'), octetString('cn=b'))))));
  const controls = tlv(0xa0, sequence(octetString('1.2.840.113556.1.4.319'), Buffer.from([0x01, 0x01, 0xff]), octetString(sequence(integer(100), octetString('')))));
  const bindWithControls = sequence(integer(8), tlv(Op.BindRequest, integer(3), octetString(DN), octetString('pw', 0x80)), controls);
  return [
    encodeSimpleBindRequest(1, DN, 'Alice-Pass-1'),
    encodeSimpleBindRequest(1, '', ''),
    encodeSimpleBindRequest(0x7fffffff, 'CORP\\alice', 'pw,123456'),
    bindWithControls,
    sasl('GSSAPI', Buffer.alloc(40, 7)),
    sasl('EXTERNAL'),
    encodeExtendedRequest(3, Oid.startTls),
    encodeExtendedRequest(3, Oid.whoAmI),
    encodeExtendedRequest(4, '1.3.6.1.4.1.4203.1.11.1', sequence(octetString(DN, 0x80), octetString('old', 0x81), octetString('new', 0x82))),
    sequence(integer(9), Buffer.from([Op.AbandonRequest, 0x01, 0x05])),
    encodeSearchRequest(10, 'dc=corp,dc=example', 2, nested, ['cn', 'memberOf']),
    compare,
    entry,
    encodeResult(11, Op.BindResponse, 49, '80090308: LdapErr: DSID-0C09044E, data 52e'),
    encodeResult(12, Op.SearchResultDone, 0),
    // AD sets a password with a modify of unicodePwd (delete the old value, add the new).
    sequence(integer(13), tlv(Op.ModifyRequest, octetString(DN), sequence(
      sequence(integer(1, 0x0a), sequence(octetString('unicodePwd'), tlv(0x31, octetString(Buffer.from('"old"', 'utf16le'))))),
      sequence(integer(0, 0x0a), sequence(octetString('unicodePwd'), tlv(0x31, octetString(Buffer.from('"new"', 'utf16le'))))),
      sequence(integer(2, 0x0a), sequence(octetString('title'), tlv(0x31))),
    ))),
  ];
}

/** One mutation of `seed` (or of two seeds spliced), chosen by `rng`. */
export function mutate(rng: Rng, seed: Buffer, other: Buffer): Buffer {
  const b = Buffer.from(seed);
  switch (rng.int(0, 9)) {
    case 0: { // flip bits
      for (let k = rng.int(1, 4); k > 0; k--) b[rng.int(0, b.length - 1)]! ^= 1 << rng.int(0, 7);
      return b;
    }
    case 1: { // a random byte
      b[rng.int(0, b.length - 1)] = rng.int(0, 255);
      return b;
    }
    case 2: // truncate
      return b.subarray(0, rng.int(0, b.length - 1));
    case 3: { // insert bytes
      const at = rng.int(0, b.length);
      return Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: rng.int(1, 8) }, () => rng.int(0, 255))), b.subarray(at)]);
    }
    case 4: { // delete bytes
      const at = rng.int(0, b.length - 1);
      return Buffer.concat([b.subarray(0, at), b.subarray(at + rng.int(1, 4))]);
    }
    case 5: { // a length byte set to something large or off by one
      const at = rng.int(1, b.length - 1);
      b[at] = rng.pick([0x7f, 0x80, 0x81, 0x84, 0xff, b[at]! + 1, b[at]! - 1].map((v) => v & 0xff));
      return b;
    }
    case 6: { // a long-form length claiming up to 4 GB
      const at = rng.int(1, b.length - 1);
      const len = rng.pick([0xffffffff, 0x7fffffff, 0x00a00000, 0x01000000, rng.int(0, 0xffff)]);
      return Buffer.concat([b.subarray(0, at), Buffer.from([0x84, len >>> 24, (len >>> 16) & 255, (len >>> 8) & 255, len & 255]), b.subarray(at + 1)]);
    }
    case 7: { // splice with another PDU
      const at = rng.int(0, b.length);
      return Buffer.concat([b.subarray(0, at), other.subarray(rng.int(0, other.length - 1))]);
    }
    case 8: { // deep nesting
      let x: Buffer = b;
      for (let k = rng.int(2, 200); k > 0; k--) x = tlv(rng.pick([0x30, 0xa0, 0xa1, 0xa2]), x);
      return x;
    }
    default: // several PDUs back to back, one mutated
      return Buffer.concat([b, mutate(rng, other, seed), seed]);
  }
}
