/** DN helpers: split into RDNs on unescaped commas and normalise (case, spaces) for comparison. */

/** Splits a DN on unescaped commas. */
export function splitDn(dn: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < dn.length; i++) {
    const c = dn[i]!;
    if (c === '\\' && i + 1 < dn.length) {
      cur += c + dn[++i];
    } else if (c === ',') {
      parts.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (cur.trim() !== '' || parts.length > 0) parts.push(cur.trim());
  return parts.filter((p) => p !== '');
}

export function normalizeRdn(rdn: string): string {
  const eq = rdn.indexOf('=');
  if (eq < 0) return rdn.toLowerCase();
  return `${rdn.slice(0, eq).trim().toLowerCase()}=${rdn.slice(eq + 1).trim().toLowerCase()}`;
}

export const normalizeDn = (dn: string): string => splitDn(dn).map(normalizeRdn).join(',');

export function parentDn(normalized: string): string {
  const parts = splitDn(normalized);
  return parts.slice(1).join(',');
}

/** True when `dn` is `base` or below it (both normalised). */
export const isWithin = (dn: string, base: string): boolean => base === '' || dn === base || dn.endsWith(`,${base}`);
