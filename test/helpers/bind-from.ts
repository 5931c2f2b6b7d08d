/** One simple bind on a fresh connection from a given loopback source (a simulated endpoint), then close. */
import { LdapClient } from '../../src/ldap/client.js';
import type { LdapResult } from '../../src/ldap/messages.js';

export async function bindFrom(url: string, from: string, dn: string, password: string): Promise<LdapResult> {
  const c = await LdapClient.connect(url, { localAddress: from });
  try {
    return await c.bind(dn, password);
  } finally {
    c.destroy();
  }
}
