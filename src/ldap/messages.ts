/**
 * Full decoding of the few messages the firewall needs (BindRequest, BindResponse,
 * ExtendedRequest name, AbandonRequest) and encoding of the responses it writes itself.
 * Everything else passes through the proxy as opaque bytes.
 */
import { Secret } from '../log/secret.js';
import { BerReader, integerLength, lengthLength, writeHeader, writeInteger, integer, malformed, octetString, sequence, tlv } from './ber.js';
import { Oid, Op, Tag } from './protocol.js';

export type BindAuth =
  | { kind: 'simple'; password: Secret<Buffer> }
  | { kind: 'sasl'; mechanism: string };

export interface BindRequest {
  msgId: number;
  version: number;
  /** The bind name exactly as sent (a DN, or a UPN / DOMAIN\\user for AD). */
  name: string;
  auth: BindAuth;
}

/** Reads the envelope and returns a reader positioned at the protocolOp's content. */
function openMessage(pdu: Buffer, expectedOp: number, what: string): { r: BerReader; msgId: number; opEnd: number } {
  const r = new BerReader(pdu);
  const msgEnd = r.enter(Tag.sequence, 'LDAPMessage');
  if (msgEnd !== pdu.length) throw malformed('LDAPMessage length does not match the PDU');
  const msgId = r.readInteger('messageID');
  const opEnd = r.enter(expectedOp, what);
  return { r, msgId, opEnd };
}

/** After the protocolOp: only an optional Controls element may follow. */
function closeMessage(r: BerReader, opEnd: number, msgEnd: number, what: string): void {
  if (r.pos !== opEnd) throw malformed(`${what}: unexpected trailing data`);
  if (r.pos < msgEnd) {
    if (r.peekTag() !== Tag.controls) throw malformed(`${what}: unexpected element after protocolOp`);
    r.skip('controls');
  }
  if (r.pos !== msgEnd) throw malformed(`${what}: unexpected data after controls`);
}

export function decodeBindRequest(pdu: Buffer): BindRequest {
  const { r, msgId, opEnd } = openMessage(pdu, Op.BindRequest, 'BindRequest');
  const version = r.readInteger('BindRequest.version');
  if (version < 1 || version > 127) throw malformed(`BindRequest.version ${version} out of range`);
  const name = decodeUtf8(r.readOctetString('BindRequest.name'), 'BindRequest.name');
  const authTag = r.peekTag();
  let auth: BindAuth;
  if (authTag === Tag.authSimple) {
    // A view into the PDU, which the framer allocated for this message alone: no copy.
    auth = { kind: 'simple', password: new Secret(r.readTagged(Tag.authSimple, 'simple password')) };
  } else if (authTag === Tag.authSasl) {
    const end = r.enter(Tag.authSasl, 'SaslCredentials');
    const mechanism = decodeUtf8(r.readOctetString('SaslCredentials.mechanism'), 'SASL mechanism');
    if (r.pos < end) r.readOctetString('SaslCredentials.credentials');
    if (r.pos !== end) throw malformed('SaslCredentials: unexpected trailing data');
    auth = { kind: 'sasl', mechanism };
  } else {
    throw malformed(`BindRequest: unknown authentication choice 0x${authTag.toString(16)}`);
  }
  closeMessage(r, opEnd, pdu.length, 'BindRequest');
  return { msgId, version, name, auth };
}

export interface LdapResult {
  msgId: number;
  opTag: number;
  resultCode: number;
  matchedDn: string;
  diagnosticMessage: string;
}

/** Decodes the LDAPResult at the start of any response (BindResponse, ExtendedResponse, …). */
export function decodeResult(pdu: Buffer, opTag: number): LdapResult {
  const { r, msgId } = openMessage(pdu, opTag, 'LDAPResult');
  const resultCode = r.readInteger('resultCode', Tag.enumerated);
  const matchedDn = r.readOctetString('matchedDN').toString('utf8');
  const diagnosticMessage = r.readOctetString('diagnosticMessage').toString('utf8');
  return { msgId, opTag, resultCode, matchedDn, diagnosticMessage };
}

export interface ExtendedRequest {
  msgId: number;
  oid: string;
}

export function decodeExtendedRequest(pdu: Buffer): ExtendedRequest {
  const { r, msgId, opEnd } = openMessage(pdu, Op.ExtendedRequest, 'ExtendedRequest');
  const oid = r.readOctetString('requestName', Tag.extRequestName).toString('latin1');
  if (!/^\d+(\.\d+)+$/.test(oid)) throw malformed('ExtendedRequest.requestName is not an OID');
  if (r.pos < opEnd) r.readOctetString('requestValue', Tag.extRequestValue);
  closeMessage(r, opEnd, pdu.length, 'ExtendedRequest');
  return { msgId, oid };
}

/** AbandonRequest ::= [APPLICATION 16] MessageID — a primitive integer. */
export function decodeAbandonTarget(pdu: Buffer): number {
  const r = new BerReader(pdu);
  r.enter(Tag.sequence, 'LDAPMessage');
  r.readInteger('messageID');
  const target = r.readInteger('AbandonRequest', Op.AbandonRequest);
  if (target < 0) throw malformed('AbandonRequest: negative messageID');
  return target;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Buffer, what: string): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw malformed(`${what} is not valid UTF-8`);
  }
}

// ---- encoders ----

/**
 * An LDAPResult-shaped response (BindResponse, SearchResultDone, ModifyResponse, …), written
 * into one buffer: a spray's refused guesses are answered thousands of times a second.
 */
export function encodeResult(msgId: number, opTag: number, resultCode: number, diagnosticMessage = '', matchedDn = ''): Buffer {
  const dnLen = Buffer.byteLength(matchedDn, 'utf8');
  const textLen = Buffer.byteLength(diagnosticMessage, 'utf8');
  const idLen = integerLength(msgId);
  const codeLen = integerLength(resultCode);
  const opLen = 2 + codeLen + 1 + lengthLength(dnLen) + dnLen + 1 + lengthLength(textLen) + textLen;
  const msgLen = 2 + idLen + 1 + lengthLength(opLen) + opLen;
  const out = Buffer.allocUnsafe(1 + lengthLength(msgLen) + msgLen);
  let pos = writeHeader(out, 0, Tag.sequence, msgLen);
  pos = writeInteger(out, pos, Tag.integer, msgId, idLen);
  pos = writeHeader(out, pos, opTag, opLen);
  pos = writeInteger(out, pos, Tag.enumerated, resultCode, codeLen);
  pos = writeHeader(out, pos, Tag.octetString, dnLen);
  pos += out.write(matchedDn, pos, 'utf8');
  pos = writeHeader(out, pos, Tag.octetString, textLen);
  out.write(diagnosticMessage, pos, 'utf8');
  return out;
}

export function encodeExtendedResponse(msgId: number, resultCode: number, diagnosticMessage = '', responseName?: string): Buffer {
  const parts = [integer(resultCode, Tag.enumerated), octetString(''), octetString(diagnosticMessage)];
  if (responseName) parts.push(octetString(responseName, Tag.extResponseName));
  return sequence(integer(msgId), tlv(Op.ExtendedResponse, ...parts));
}

/** Unsolicited notification that the server is closing the connection (RFC 4511 §4.4.1). */
export function encodeNoticeOfDisconnection(resultCode: number, diagnosticMessage: string): Buffer {
  return encodeExtendedResponse(0, resultCode, diagnosticMessage, Oid.noticeOfDisconnection);
}

export function encodeSimpleBindRequest(msgId: number, name: string, password: Buffer | string): Buffer {
  return sequence(
    integer(msgId),
    tlv(Op.BindRequest, integer(3), octetString(name), octetString(password, Tag.authSimple)),
  );
}

export function encodeExtendedRequest(msgId: number, oid: string, value?: Buffer): Buffer {
  const parts = [octetString(oid, Tag.extRequestName)];
  if (value) parts.push(octetString(value, Tag.extRequestValue));
  return sequence(integer(msgId), tlv(Op.ExtendedRequest, ...parts));
}

export function encodeUnbindRequest(msgId: number): Buffer {
  return sequence(integer(msgId), Buffer.from([Op.UnbindRequest, 0x00]));
}

export interface SearchEntry {
  dn: string;
  /** Attribute values by attribute name as the server spelled it. */
  attributes: Record<string, string[]>;
}

/** SearchResultEntry ::= [APPLICATION 4] SEQUENCE { objectName, attributes PartialAttributeList } */
export function decodeSearchEntry(pdu: Buffer): SearchEntry {
  const { r, opEnd } = openMessage(pdu, Op.SearchResultEntry, 'SearchResultEntry');
  const dn = decodeUtf8(r.readOctetString('objectName'), 'objectName');
  const attributes: Record<string, string[]> = {};
  const listEnd = r.enter(Tag.sequence, 'PartialAttributeList');
  while (r.pos < listEnd) {
    const attrEnd = r.enter(Tag.sequence, 'PartialAttribute');
    const type = r.readOctetString('attribute type').toString('utf8');
    const valsEnd = r.enter(0x31, 'attribute values');
    const values: string[] = [];
    while (r.pos < valsEnd) values.push(r.readOctetString('attribute value').toString('utf8'));
    attributes[type] = values;
    if (r.pos !== attrEnd) throw malformed('PartialAttribute: unexpected trailing data');
  }
  if (r.pos !== opEnd) throw malformed('SearchResultEntry: unexpected trailing data');
  return { dn, attributes };
}
