/** A socket's remote address as bindwall writes addresses: IPv4-mapped IPv6 as plain IPv4. */
export function normalizeAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/** A host name or address on this machine only (127.0.0.0/8, ::1, localhost). */
export const isLoopbackHost = (host: string): boolean => /^(127\.|localhost$|::1$)/.test(host);
