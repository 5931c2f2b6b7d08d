/**
 * Operations that test a password without a bind: a compare on a password attribute, and
 * the password-modify extended operation (RFC 3062) carrying the old password. The values
 * are returned as views into the request (never copied, never logged) so the caller can
 * take a keyed hash of them and let them go.
 */
import { BerReader } from './ber.js';
import { Oid, Op, Tag } from './protocol.js';

/** Attributes whose compare tests a password (OpenLDAP, 389-DS, AD). */
const PASSWORD_ATTRIBUTES: ReadonlySet<string> = new Set(['userpassword', 'unicodepwd', '2.5.4.35']);

/** "userPassword;binary" → true: options do not change the attribute. */
export const isPasswordAttribute = (attributeDesc: string): boolean => PASSWORD_ATTRIBUTES.has(attributeDesc.split(';')[0]!.trim().toLowerCase());

export interface PasswordCompare {
  msgId: number;
  entry: string;
  attribute: string;
  value: Buffer;
}

/** CompareRequest ::= [APPLICATION 14] SEQUENCE { entry, ava SEQUENCE { attributeDesc, assertionValue } } */
export function decodeCompare(pdu: Buffer): PasswordCompare {
  const r = new BerReader(pdu);
  r.enter(Tag.sequence, 'LDAPMessage');
  const msgId = r.readInteger('messageID');
  r.enter(Op.CompareRequest, 'CompareRequest');
  const entry = r.readOctetString('entry').toString('utf8');
  r.enter(Tag.sequence, 'ava');
  const attribute = r.readOctetString('attributeDesc').toString('utf8');
  const value = r.readOctetString('assertionValue');
  return { msgId, entry, attribute, value };
}

export interface PasswordModify {
  msgId: number;
  /** Whose password (a DN or an authzId such as "u:alice"); absent: the connection's own. */
  userIdentity?: string;
  oldPassword?: Buffer;
  hasNewPassword: boolean;
}

const PasswdModifyTag = { userIdentity: 0x80, oldPasswd: 0x81, newPasswd: 0x82 } as const;

/**
 * The password-modify request (RFC 3062 §2): ExtendedRequest with requestValue
 * PasswdModifyRequestValue ::= SEQUENCE { userIdentity [0] OPTIONAL, oldPasswd [1] OPTIONAL, newPasswd [2] OPTIONAL }.
 * Undefined when the PDU is another extended operation.
 */
export function decodePasswordModify(pdu: Buffer): PasswordModify | undefined {
  const r = new BerReader(pdu);
  r.enter(Tag.sequence, 'LDAPMessage');
  const msgId = r.readInteger('messageID');
  const opEnd = r.enter(Op.ExtendedRequest, 'ExtendedRequest');
  if (r.readOctetString('requestName', Tag.extRequestName).toString('latin1') !== Oid.passwordModify) return undefined;
  const out: PasswordModify = { msgId, hasNewPassword: false };
  if (r.pos >= opEnd) return out;
  const valueEnd = r.enter(Tag.extRequestValue, 'requestValue');
  if (r.pos >= valueEnd) return out;
  const seqEnd = r.enter(Tag.sequence, 'PasswdModifyRequestValue');
  while (r.pos < seqEnd) {
    const tag = r.peekTag();
    if (tag === PasswdModifyTag.userIdentity) out.userIdentity = r.readOctetString('userIdentity', tag).toString('utf8');
    else if (tag === PasswdModifyTag.oldPasswd) out.oldPassword = r.readOctetString('oldPasswd', tag);
    else if (tag === PasswdModifyTag.newPasswd) {
      r.skip('newPasswd');
      out.hasNewPassword = true;
    } else r.skip('unknown element');
  }
  return out;
}

/**
 * Whose password a ModifyRequest sets, if it touches a password attribute (AD sets
 * unicodePwd this way; OpenLDAP userPassword): ModifyRequest ::= [APPLICATION 6] SEQUENCE {
 * object LDAPDN, changes SEQUENCE OF SEQUENCE { operation ENUMERATED, modification
 * SEQUENCE { type, vals SET } } }. Values are skipped, never read.
 */
export function decodePasswordChange(pdu: Buffer): { msgId: number; object: string; setsPassword: boolean } {
  const r = new BerReader(pdu);
  r.enter(Tag.sequence, 'LDAPMessage');
  const msgId = r.readInteger('messageID');
  r.enter(Op.ModifyRequest, 'ModifyRequest');
  const object = r.readOctetString('object').toString('utf8');
  const changesEnd = r.enter(Tag.sequence, 'changes');
  let touches = false;
  while (r.pos < changesEnd) {
    const changeEnd = r.enter(Tag.sequence, 'change');
    const operation = r.readInteger('operation', Tag.enumerated);
    r.enter(Tag.sequence, 'modification');
    const type = r.readOctetString('type').toString('utf8');
    // add (0) or replace (2) sets a value; delete (1) alone only removes the old one.
    if ((operation === 0 || operation === 2) && isPasswordAttribute(type)) touches = true;
    r.pos = changeEnd;
  }
  return { msgId, object, setsPassword: touches };
}

/** The name inside an authzId ("dn:uid=a,…" → the DN, "u:alice" → alice) or a plain DN. */
export function identityName(userIdentity: string): string {
  const s = userIdentity.trim();
  if (/^dn:/i.test(s)) return s.slice(3);
  if (/^u:/i.test(s)) return s.slice(2);
  return s;
}
