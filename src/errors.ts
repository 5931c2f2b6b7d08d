/**
 * The errors registry: every error bindwall raises carries a stable string `code`.
 * Only the proxy's edge (proxy/edge.ts) turns these into LDAP result codes; everything
 * else throws or returns them unchanged. Messages never contain secrets.
 */
export const ErrorCode = {
  ConfigInvalid: 'BW_CONFIG_INVALID',
  ConfigUnreadable: 'BW_CONFIG_UNREADABLE',
  PolicyInvalid: 'BW_POLICY_INVALID',
  ProtocolMalformed: 'BW_PROTOCOL_MALFORMED',
  PduTooLarge: 'BW_PDU_TOO_LARGE',
  /** A request PDU did not arrive whole within limits.pduTimeoutMs of its first byte. */
  PduTimeout: 'BW_PDU_TIMEOUT',
  /** No bind within limits.firstBindTimeoutMs of connecting. */
  FirstBindTimeout: 'BW_FIRST_BIND_TIMEOUT',
  BindRequestTooLarge: 'BW_BIND_REQUEST_TOO_LARGE',
  BindNameTooLong: 'BW_BIND_NAME_TOO_LONG',
  PasswordTooLong: 'BW_PASSWORD_TOO_LONG',
  SaslMechanismInvalid: 'BW_SASL_MECHANISM_INVALID',
  UpstreamUnavailable: 'BW_UPSTREAM_UNAVAILABLE',
  UpstreamTimeout: 'BW_UPSTREAM_TIMEOUT',
  UpstreamTls: 'BW_UPSTREAM_TLS',
  UpstreamProtocol: 'BW_UPSTREAM_PROTOCOL',
  DecisionFailed: 'BW_DECISION_FAILED',
  ListenFailed: 'BW_LISTEN_FAILED',
  FixtureInvalid: 'BW_FIXTURE_INVALID',
  StorageUnusable: 'BW_STORAGE_UNUSABLE',
  /** The lookup account cannot bind (wrong password, locked, expired). */
  LookupBindFailed: 'BW_LOOKUP_BIND_FAILED',
  /** An identity locked out at the proxy by smart lockout. */
  LockedOut: 'BW_LOCKED_OUT',
  /** Facts for a bind could not be fetched and none were known (directory.lookup.onFailure secure). */
  FactsUnavailable: 'BW_FACTS_UNAVAILABLE',
  /** A worker's question to the hub (workers/) went unanswered in time, or the hub is gone: the bind fails closed. */
  HubUnavailable: 'BW_HUB_UNAVAILABLE',
  /** Fleet mode: the shared PostgreSQL database cannot be reached or refused a query (fleet/). */
  FleetUnavailable: 'BW_FLEET_UNAVAILABLE',
  OktaUnavailable: 'BW_OKTA_UNAVAILABLE',
  OktaRateLimited: 'BW_OKTA_RATE_LIMITED',
  OktaAuth: 'BW_OKTA_AUTH',
  OktaUserUnknown: 'BW_OKTA_USER_UNKNOWN',
  OktaUserLocked: 'BW_OKTA_USER_LOCKED',
  OktaNoFactor: 'BW_OKTA_NO_FACTOR',
  OktaProtocol: 'BW_OKTA_PROTOCOL',
  /** A response step (Okta action, webhook) failed after its retries. */
  ResponseStepFailed: 'BW_RESPONSE_STEP_FAILED',
  /** A report link that is not bindwall's, was changed, has expired or was used. */
  LinkInvalid: 'BW_LINK_INVALID',
  LinkExpired: 'BW_LINK_EXPIRED',
  LinkUsed: 'BW_LINK_USED',
  /** The SMTP server refused or could not be reached. */
  MailFailed: 'BW_MAIL_FAILED',
  Internal: 'BW_INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class BindwallError extends Error {
  readonly code: ErrorCode;
  /** Structured, secret-free context for logs. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BindwallError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...this.details };
  }
}

/** A short, secret-free description of any thrown value, for logs. */
export function describeError(err: unknown): { code: string; message: string } {
  if (err instanceof BindwallError) return { code: err.code, message: err.message };
  if (err instanceof Error) {
    const sys = (err as NodeJS.ErrnoException).code;
    return { code: typeof sys === 'string' ? sys : ErrorCode.Internal, message: err.message };
  }
  return { code: ErrorCode.Internal, message: String(err) };
}
