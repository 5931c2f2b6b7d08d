/**
 * The compact JWS bits OAuth client authentication needs (RFC 7515/7523): sign a client
 * assertion with the service app's private key (RS256 or ES256) and verify one.
 */
import { createPrivateKey, randomUUID, sign, verify, type KeyObject } from 'node:crypto';

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

function algFor(key: KeyObject): 'RS256' | 'ES256' {
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  if (key.asymmetricKeyType === 'ec') return 'ES256';
  throw new RangeError(`unsupported key type ${key.asymmetricKeyType ?? 'unknown'}: use an RSA or P-256 key`);
}

/** A client assertion: iss = sub = client id, aud = the token URL, short-lived, unique jti. */
export function signClientAssertion(o: { clientId: string; audience: string; privateKey: KeyObject | string; keyId?: string; nowMs: number; lifetimeS?: number }): string {
  const key = typeof o.privateKey === 'string' ? createPrivateKey(o.privateKey) : o.privateKey;
  const alg = algFor(key);
  const now = Math.floor(o.nowMs / 1000);
  const header = b64({ alg, typ: 'JWT', ...(o.keyId ? { kid: o.keyId } : {}) });
  const payload = b64({ iss: o.clientId, sub: o.clientId, aud: o.audience, iat: now, exp: now + (o.lifetimeS ?? 300), jti: randomUUID() });
  const signature = sign('sha256', Buffer.from(`${header}.${payload}`), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${header}.${payload}.${signature.toString('base64url')}`;
}

export interface VerifiedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/** Verifies the signature with `publicKey`; claims are the caller's to check. */
export function verifyJwt(token: string, publicKey: KeyObject): VerifiedJwt | { error: string } {
  const parts = token.split('.');
  if (parts.length !== 3) return { error: 'The client_assertion is not a JWT.' };
  let header: Record<string, unknown>;
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return { error: 'The client_assertion is not a JWT.' };
  }
  const alg = algFor(publicKey);
  if (header.alg !== alg) return { error: `The client_assertion must be signed with ${alg}.` };
  const ok = verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), alg === 'ES256' ? { key: publicKey, dsaEncoding: 'ieee-p1363' } : publicKey, Buffer.from(parts[2]!, 'base64url'));
  return ok ? { header, claims } : { error: 'The client_assertion signature is invalid.' };
}
