/** Parses and checks directory URLs (ldap:// and ldaps:// only, explicit or default port). */
export interface UpstreamUrl {
  url: string;
  secure: boolean;
  host: string;
  port: number;
}

export function parseUpstreamUrl(text: string): UpstreamUrl | { error: string; hint: string } {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { error: `"${text}" is not a URL`, hint: 'write it as ldap://host:389 or ldaps://host:636' };
  }
  if (u.protocol !== 'ldap:' && u.protocol !== 'ldaps:') {
    return { error: `unsupported scheme "${u.protocol.replace(':', '')}" in "${text}"`, hint: 'use ldap:// or ldaps://' };
  }
  if (!u.hostname) return { error: `"${text}" has no host`, hint: 'write it as ldap://host:389' };
  if ((u.pathname && u.pathname !== '/') || u.search || u.username) {
    return { error: `"${text}" has a path, query or user part`, hint: 'give only scheme, host and port' };
  }
  const secure = u.protocol === 'ldaps:';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return { url: `${u.protocol}//${u.host}`, secure, host, port: u.port ? Number(u.port) : secure ? 636 : 389 };
}
