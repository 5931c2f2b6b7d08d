/** The simulator's check of a private_key_jwt client assertion, as Okta's org token endpoint does it. */
import type { KeyObject } from 'node:crypto';
import { verifyJwt } from '../jwt.js';

type App = { clientId: string; publicKey: KeyObject; scopes: readonly string[] };

export function verifyClientAssertion(token: string, audience: string, apps: readonly App[], nowMs: number): { app: App } | { error: string } {
  let iss: unknown;
  try {
    iss = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')).iss;
  } catch {
    return { error: 'The client_assertion is not a JWT.' };
  }
  const app = apps.find((a) => a.clientId === iss);
  if (!app) return { error: 'The client_id is not valid.' };
  const v = verifyJwt(token, app.publicKey);
  if ('error' in v) return v;
  const c = v.claims;
  const now = Math.floor(nowMs / 1000);
  if (c.sub !== app.clientId) return { error: 'The sub claim must equal the client_id.' };
  if (c.aud !== audience) return { error: `The audience claim must be ${audience}.` };
  if (typeof c.exp !== 'number' || c.exp <= now) return { error: 'The client_assertion token is expired.' };
  if (c.exp > now + 3600) return { error: 'The client_assertion token has an expiration too far in the future.' };
  return { app };
}
