/**
 * LDAPv3 wire constants (RFC 4511) as `as const` objects with derived union types.
 * Only what bindwall reads or writes is named here.
 */

/** Application-class tags of LDAPMessage.protocolOp, as they appear on the wire. */
export const Op = {
  BindRequest: 0x60,
  BindResponse: 0x61,
  UnbindRequest: 0x42,
  SearchRequest: 0x63,
  SearchResultEntry: 0x64,
  SearchResultDone: 0x65,
  SearchResultReference: 0x73,
  ModifyRequest: 0x66,
  ModifyResponse: 0x67,
  AddRequest: 0x68,
  AddResponse: 0x69,
  DelRequest: 0x4a,
  DelResponse: 0x6b,
  ModifyDNRequest: 0x6c,
  ModifyDNResponse: 0x6d,
  CompareRequest: 0x6e,
  CompareResponse: 0x6f,
  AbandonRequest: 0x50,
  ExtendedRequest: 0x77,
  ExtendedResponse: 0x78,
  IntermediateResponse: 0x79,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/** The response a request is answered with; unbind and abandon get none. */
export const ResponseFor: Readonly<Partial<Record<number, number>>> = Object.freeze({
  [Op.BindRequest]: Op.BindResponse,
  [Op.SearchRequest]: Op.SearchResultDone,
  [Op.ModifyRequest]: Op.ModifyResponse,
  [Op.AddRequest]: Op.AddResponse,
  [Op.DelRequest]: Op.DelResponse,
  [Op.ModifyDNRequest]: Op.ModifyDNResponse,
  [Op.CompareRequest]: Op.CompareResponse,
  [Op.ExtendedRequest]: Op.ExtendedResponse,
});

/** Requests a client may send. Anything else from a client is a protocol error. */
export const isRequestOp = (tag: number): boolean =>
  tag === Op.BindRequest || tag === Op.UnbindRequest || tag === Op.SearchRequest || tag === Op.ModifyRequest ||
  tag === Op.AddRequest || tag === Op.DelRequest || tag === Op.ModifyDNRequest || tag === Op.CompareRequest ||
  tag === Op.AbandonRequest || tag === Op.ExtendedRequest;

/** Requests that change the directory; a demoted session may not send them. */
export const isWriteOp = (tag: number): boolean =>
  tag === Op.AddRequest || tag === Op.ModifyRequest || tag === Op.DelRequest || tag === Op.ModifyDNRequest;

/** Responses that end an operation (entries, references and intermediates do not). */
export const isFinalResponse = (tag: number): boolean =>
  tag !== Op.SearchResultEntry && tag !== Op.SearchResultReference && tag !== Op.IntermediateResponse;

export const ResultCode = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  timeLimitExceeded: 3,
  sizeLimitExceeded: 4,
  compareFalse: 5,
  compareTrue: 6,
  authMethodNotSupported: 7,
  strongerAuthRequired: 8,
  confidentialityRequired: 13,
  saslBindInProgress: 14,
  noSuchObject: 32,
  inappropriateAuthentication: 48,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  busy: 51,
  unavailable: 52,
  unwillingToPerform: 53,
  other: 80,
} as const;
export type ResultCode = (typeof ResultCode)[keyof typeof ResultCode];

export const Oid = {
  startTls: '1.3.6.1.4.1.1466.20037',
  noticeOfDisconnection: '1.3.6.1.4.1.1466.20036',
  whoAmI: '1.3.6.1.4.1.4203.1.11.3',
  passwordModify: '1.3.6.1.4.1.4203.1.11.1',
} as const;

/** Context-specific tags inside BindRequest / BindResponse / ExtendedRequest. */
export const Tag = {
  integer: 0x02,
  octetString: 0x04,
  enumerated: 0x0a,
  sequence: 0x30,
  authSimple: 0x80,
  authSasl: 0xa3,
  referral: 0xa3,
  serverSaslCreds: 0x87,
  extRequestName: 0x80,
  extRequestValue: 0x81,
  extResponseName: 0x8a,
  extResponseValue: 0x8b,
  controls: 0xa0,
} as const;
