/**
 * Decoding and rewriting for restricted (demoted) sessions: which attributes a search
 * filter tests, the entry and attribute of a compare, and search entries with attributes
 * or values removed. Values are kept as the directory's own bytes; only what is removed
 * changes, so an entry that loses nothing is passed on untouched.
 */
import { BerReader, integer, malformed, octetString, sequence, tlv } from './ber.js';
import { Op, Tag } from './protocol.js';

const FilterTag = {
  and: 0xa0, or: 0xa1, not: 0xa2, equality: 0xa3, substrings: 0xa4, greaterOrEqual: 0xa5,
  lessOrEqual: 0xa6, present: 0x87, approx: 0xa8, extensible: 0xa9,
} as const;

function openOp(pdu: Buffer, op: number, what: string): { r: BerReader; msgId: number; opEnd: number; msgEnd: number } {
  const r = new BerReader(pdu);
  const msgEnd = r.enter(Tag.sequence, 'LDAPMessage');
  const msgId = r.readInteger('messageID');
  const opEnd = r.enter(op, what);
  return { r, msgId, opEnd, msgEnd };
}

export interface SearchRequestInfo {
  msgId: number;
  baseDn: string;
  /** Every attribute description the filter tests (extensible matches without a type excluded). */
  filterAttributes: string[];
  /** The filter matches on DN components (extensible match with dnAttributes). */
  dnAttributes: boolean;
}

export function decodeSearchRequestInfo(pdu: Buffer): SearchRequestInfo {
  const { r, msgId } = openOp(pdu, Op.SearchRequest, 'SearchRequest');
  const baseDn = r.readOctetString('baseObject').toString('utf8');
  r.skip('scope');
  r.skip('derefAliases');
  r.skip('sizeLimit');
  r.skip('timeLimit');
  r.skip('typesOnly');
  const info: SearchRequestInfo = { msgId, baseDn, filterAttributes: [], dnAttributes: false };
  readFilter(r, info, 0);
  return info;
}

function readFilter(r: BerReader, info: SearchRequestInfo, depth: number): void {
  if (depth > 64) throw malformed('filter nested too deeply');
  const tag = r.peekTag();
  switch (tag) {
    case FilterTag.and:
    case FilterTag.or: {
      const end = r.enter(tag, 'filter set');
      while (r.pos < end) readFilter(r, info, depth + 1);
      return;
    }
    case FilterTag.not: {
      const end = r.enter(tag, 'not filter');
      readFilter(r, info, depth + 1);
      if (r.pos !== end) throw malformed('not filter: trailing data');
      return;
    }
    case FilterTag.present:
      info.filterAttributes.push(r.readTagged(tag, 'present filter').toString('utf8'));
      return;
    case FilterTag.equality:
    case FilterTag.substrings:
    case FilterTag.greaterOrEqual:
    case FilterTag.lessOrEqual:
    case FilterTag.approx: {
      const end = r.enter(tag, 'attribute filter');
      info.filterAttributes.push(r.readOctetString('attributeDesc').toString('utf8'));
      r.pos = end;
      return;
    }
    case FilterTag.extensible: {
      const end = r.enter(tag, 'extensible filter');
      while (r.pos < end) {
        const t = r.peekTag();
        if (t === 0x82) info.filterAttributes.push(r.readTagged(t, 'type').toString('utf8'));
        else if (t === 0x84) info.dnAttributes = r.readTagged(t, 'dnAttributes')[0] !== 0;
        else r.skip('extensible part');
      }
      return;
    }
    default:
      throw malformed(`unknown filter choice 0x${tag.toString(16)}`);
  }
}

export function decodeCompareRequest(pdu: Buffer): { msgId: number; entry: string; attribute: string } {
  const { r, msgId } = openOp(pdu, Op.CompareRequest, 'CompareRequest');
  const entry = r.readOctetString('entry').toString('utf8');
  r.enter(Tag.sequence, 'ava');
  const attribute = r.readOctetString('attributeDesc').toString('utf8');
  return { msgId, entry, attribute };
}

/**
 * A search entry as a restricted session may see it: null when its DN is hidden, the same
 * buffer when nothing is removed, else a re-encoded entry without the stripped values.
 */
export function restrictSearchEntry(pdu: Buffer, hides: (dn: string) => boolean, strips: (attribute: string, value: string) => boolean,
  stripsWhole: (attribute: string) => boolean): Buffer | null {
  const { r, msgId, opEnd, msgEnd } = openOp(pdu, Op.SearchResultEntry, 'SearchResultEntry');
  const dnBytes = r.readOctetString('objectName');
  if (hides(dnBytes.toString('utf8'))) return null;
  const listEnd = r.enter(Tag.sequence, 'PartialAttributeList');
  const attrs: { type: Buffer; values: Buffer[] }[] = [];
  let changed = false;
  while (r.pos < listEnd) {
    const attrEnd = r.enter(Tag.sequence, 'PartialAttribute');
    const type = r.readOctetString('attribute type');
    const typeText = type.toString('utf8');
    const valsEnd = r.enter(0x31, 'attribute values');
    const values: Buffer[] = [];
    let dropped = 0;
    while (r.pos < valsEnd) {
      const v = r.readOctetString('attribute value');
      if (strips(typeText, v.toString('utf8'))) dropped++;
      else values.push(v);
    }
    if (r.pos !== attrEnd) throw malformed('PartialAttribute: unexpected trailing data');
    if (values.length === 0 && dropped === 0 && stripsWhole(typeText)) {
      changed = true; // typesOnly: the attribute's name alone would tell
      continue;
    }
    if (dropped > 0) changed = true;
    // An attribute that loses every value disappears (an empty set would say "typesOnly").
    if (values.length > 0 || dropped === 0) attrs.push({ type, values });
  }
  if (r.pos !== opEnd) throw malformed('SearchResultEntry: unexpected trailing data');
  if (!changed) return pdu;
  const controls = pdu.subarray(opEnd, msgEnd);
  const op = tlv(Op.SearchResultEntry, octetString(dnBytes),
    sequence(...attrs.map((a) => sequence(octetString(a.type), tlv(0x31, ...a.values.map((v) => octetString(v)))))));
  return controls.length > 0 ? sequence(integer(msgId), op, controls) : sequence(integer(msgId), op);
}
