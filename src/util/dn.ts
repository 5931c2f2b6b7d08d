/**
 * DN comparison as RFC 4514 and RFC 4518 mean it: attribute types without case, values
 * unescaped (`\,` and `\2C` are the same comma, `caf\C3\A9` is `café`), Unicode-normalised
 * (NFC), case-folded and with insignificant spaces removed, multi-valued RDNs in a fixed
 * order — so a `dn:` or `group:` rule cannot miss a DN written another way. Parsing is done
 * by @ldapjs/dn (only here: it can be swapped for another parser in this one file); plain
 * ASCII DNs without escapes take a fast path that gives the same result.
 */
import { DN } from '@ldapjs/dn';

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

/** Case-folds a value and removes insignificant spaces (RFC 4518 §2.6.1). */
const fold = (v: string): string => v.normalize('NFC').toLowerCase().trim().replace(/\s+/g, ' ');

/** Escapes what RFC 4514 §2.4 requires, so the normalised form is a DN again. */
function escapeValue(v: string): string {
  let out = v.replace(/[\\,+"<>;]/g, (c) => `\\${c}`);
  if (out.startsWith('#') || out.startsWith(' ')) out = `\\${out}`;
  if (out.endsWith(' ')) out = `${out.slice(0, -1)}\\ `;
  return out;
}

/** An attribute value as written in a DN, unescaped: `\,` and `\2C` are both a comma; hex pairs are UTF-8. */
export function unescapeDnValue(v: string): string {
  if (!v.includes('\\')) return v;
  const bytes: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\' && i + 2 < v.length + 1 && /^[0-9a-fA-F]{2}$/.test(v.slice(i + 1, i + 3))) {
      bytes.push(parseInt(v.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c === '\\' && i + 1 < v.length) {
      bytes.push(...Buffer.from(v[++i]!, 'utf8'));
    } else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

export function normalizeRdn(rdn: string): string {
  const eq = rdn.indexOf('=');
  if (eq < 0) return rdn.toLowerCase();
  return `${rdn.slice(0, eq).trim().toLowerCase()}=${fold(rdn.slice(eq + 1))}`;
}

/**
 * The user name inside any bind-name form: "uid=alice,ou=…" → alice, "alice@corp.example"
 * → alice, "CORP\\alice" → alice, "cn=Alice Archer,…" → alice archer. `cn=Smith\, John` and
 * `cn=Smith\2C John` are one person; so are `caf\C3\A9` and `café`.
 */
export function loginNameOf(bindName: string): string {
  const name = bindName.trim();
  const backslash = name.indexOf('\\');
  if (backslash > 0 && !name.includes('=')) return name.slice(backslash + 1).toLowerCase();
  if (!name.includes('=') && name.includes('@')) return name.slice(0, name.lastIndexOf('@')).toLowerCase();
  const m = /^\s*(uid|samaccountname|cn|userid)\s*=\s*((?:\\.|[^,+])+)/i.exec(name);
  if (m) return unescapeDnValue(m[2]!).normalize('NFC').trim().toLowerCase();
  return name.normalize('NFC').toLowerCase();
}

/** Nothing here needs the parser: printable ASCII without escapes, quotes or multi-valued RDNs. */
const SIMPLE = /^[\x20-\x7e]*$/;
const SPECIAL = /[\\"+#;<>]/;

/**
 * The comparable form of a DN. A name that is not a DN at all (a UPN, DOMAIN\user) is
 * compared case-folded as it is.
 */
export function normalizeDn(dn: string): string {
  if (SIMPLE.test(dn) && !SPECIAL.test(dn)) return splitDn(dn).map(normalizeRdn).join(',');
  let parsed: DN;
  try {
    parsed = DN.fromString(dn);
  } catch {
    return fold(dn);
  }
  const rdns: string[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const rdn = parsed.rdnAt(i);
    const pairs: string[] = [];
    for (const type of rdn.keys()) {
      const value = rdn.getValue(type);
      pairs.push(`${type.toLowerCase()}=${escapeValue(fold(typeof value === 'string' ? value : String(value)))}`);
    }
    rdns.push(pairs.sort().join('+'));
  }
  return rdns.join(',');
}

export function parentDn(normalized: string): string {
  const parts = splitDn(normalized);
  return parts.slice(1).join(',');
}

/** True when `dn` is `base` or below it (both normalised). */
export const isWithin = (dn: string, base: string): boolean => base === '' || dn === base || dn.endsWith(`,${base}`);
