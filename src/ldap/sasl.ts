/**
 * SASL mechanism names (RFC 4422 §3.1: 1–20 characters of A–Z, 0–9, "-" and "_"). A client
 * controls this field, and some put a password in it by mistake, so a name is written to
 * logs or storage only when it is one the IANA registry (or common practice) knows.
 */

/** Valid syntax; case-insensitive because some clients send lower case. */
const SYNTAX = /^[A-Za-z0-9_-]{1,20}$/;

/** IANA "SASL Mechanisms" registry (COMMON and LIMITED USE), plus XOAUTH2, which AD-era clients send. */
const REGISTERED: ReadonlySet<string> = new Set([
  'ANONYMOUS', 'CRAM-MD5', 'DIGEST-MD5', 'EXTERNAL', 'GSSAPI', 'GSS-SPNEGO', 'GS2-KRB5', 'GS2-KRB5-PLUS',
  'KERBEROS_V4', 'KERBEROS_V5', 'LOGIN', 'NTLM', 'OAUTHBEARER', 'OAUTH10A', 'OPENID20', 'OTP', 'PLAIN', 'SAML20',
  'SCRAM-SHA-1', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS', 'SCRAM-SHA-512', 'SCRAM-SHA-512-PLUS',
  'SECURID', 'SKEY', 'EAP-AES128', 'EAP-AES128-PLUS', 'ECDH-X25519-CHALLENGE', 'ECDSA-NIST256P-CHALLENGE', 'XOAUTH2',
  '9798-U-RSA-SHA1-ENC', '9798-M-RSA-SHA1-ENC', '9798-U-DSA-SHA1', '9798-M-DSA-SHA1', '9798-U-ECDSA-SHA1', '9798-M-ECDSA-SHA1',
]);

export function isValidSaslMechanism(name: string): boolean {
  return SYNTAX.test(name);
}

/** The name as it may be logged: the registered name, or a placeholder that says nothing of what was sent. */
export function loggableSaslMechanism(name: string): string {
  const upper = name.toUpperCase();
  return REGISTERED.has(upper) ? upper : '(unregistered)';
}
