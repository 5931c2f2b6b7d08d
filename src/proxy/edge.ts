/**
 * The proxy's edge: the only place where bindwall errors become LDAP result codes and
 * diagnostic messages a client sees. Anything unexpected maps to a refusal (fail closed).
 */
import { BindwallError, ErrorCode } from '../errors.js';
import { ResultCode } from '../ldap/protocol.js';

export interface EdgeResult {
  resultCode: number;
  diagnostic: string;
}

export function resultForError(err: unknown, ref: string): EdgeResult {
  if (err instanceof BindwallError) {
    switch (err.code) {
      case ErrorCode.UpstreamUnavailable:
      case ErrorCode.UpstreamTimeout:
      case ErrorCode.UpstreamTls:
      case ErrorCode.UpstreamProtocol:
        // Never the URLs or socket errors: that is topology. The log has them under `ref`.
        return { resultCode: ResultCode.unavailable, diagnostic: `${Diagnostics.directoryUnavailable} (ref ${typeof err.details.ref === 'string' ? err.details.ref : ref})` };
      case ErrorCode.ProtocolMalformed:
        return { resultCode: ResultCode.protocolError, diagnostic: `bindwall: malformed request: ${err.message}` };
      case ErrorCode.PduTooLarge:
      case ErrorCode.BindRequestTooLarge:
        return { resultCode: ResultCode.protocolError, diagnostic: `bindwall: ${err.message}` };
      case ErrorCode.FactsUnavailable:
      case ErrorCode.HubUnavailable:
        return { resultCode: ResultCode.unavailable, diagnostic: `${Diagnostics.directoryUnavailable} (ref ${ref})` };
      case ErrorCode.PduTimeout:
        return { resultCode: ResultCode.protocolError, diagnostic: Diagnostics.pduTimeout };
      case ErrorCode.FirstBindTimeout:
        return { resultCode: ResultCode.unavailable, diagnostic: Diagnostics.firstBindTimeout };
      default:
        break;
    }
  }
  return { resultCode: ResultCode.other, diagnostic: `bindwall: internal error, request refused (ref ${ref})` };
}

export const Diagnostics = {
  unauthenticatedRefused:
    'bindwall: unauthenticated bind refused (a bind name with an empty password is not a successful login; RFC 4513 5.1.2)',
  anonymousRefused: 'bindwall: anonymous bind refused by configuration',
  saslRefused: 'bindwall: SASL binds are not accepted here; use a simple bind so it can be checked',
  tlsRequired: 'bindwall: this listener requires TLS (LDAPS or StartTLS) before a simple bind',
  startTlsNotOffered: 'bindwall: StartTLS is not offered on this listener',
  startTlsActive: 'bindwall: TLS is already established',
  startTlsOutstanding: 'bindwall: StartTLS with operations outstanding',
  demoted: 'bindwall: this session is restricted; changes are not permitted',
  demotedFilter: 'bindwall: this session is restricted; a filter on a restricted attribute is not permitted',
  demotedCompare: 'bindwall: this session is restricted; comparing a restricted attribute is not permitted',
  shuttingDown: 'bindwall: shutting down',
  idle: 'bindwall: idle timeout',
  directoryLost: 'bindwall: the connection to the directory was lost',
  directoryMalformed: 'bindwall: the directory sent a malformed response',
  bindTimeout: 'bindwall: the directory did not answer the bind in time',
  operationTimeout: 'bindwall: the directory did not answer in time',
  directoryUnavailable: 'bindwall: the directory is unavailable',
  pduTimeout: 'bindwall: request not received in time',
  firstBindTimeout: 'bindwall: no bind received in time',
  bindNameTooLong: 'bindwall: bind name too long',
  passwordTooLong: 'bindwall: password too long',
  saslMechanismInvalid: 'bindwall: invalid SASL mechanism name',
  tooManyConnections: 'bindwall: too many connections',
  tarpitFull: 'bindwall: busy, try again later',
  oracleRefused: 'bindwall: comparing a password attribute is refused here; authenticate with a bind',
  passwordModifyRefused: 'bindwall: password changes with the old password are refused here (threat.passwordOracles)',
  proxyProtocolUntrusted: 'bindwall: this port takes connections only through the load balancer',
} as const;
