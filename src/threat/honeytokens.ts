/**
 * Honeytoken accounts: decoys nobody uses. Any bind as one — right password or wrong — is a
 * verification nobody can pass: bindwall sends the directory a random password instead, so
 * the answer (result, diagnostic, timing) is the directory's own wrong-password answer; the
 * attempt becomes a critical incident and puts its source in the threat pool at high. Names
 * match in every form (a DN as RFC 4514 compares it, DOMAIN\\name, name@domain, uid=/cn=).
 */
import { loginNameOf, normalizeDn } from '../util/dn.js';


export class Honeytokens {
  readonly #dns: ReadonlySet<string>;
  readonly #names: ReadonlySet<string>;

  constructor(accounts: readonly string[]) {
    this.#dns = new Set(accounts.filter((a) => a.includes('=')).map(normalizeDn));
    this.#names = new Set(accounts.filter((a) => !a.includes('=')).map((a) => loginNameOf(a)));
  }

  get size(): number {
    return this.#dns.size + this.#names.size;
  }

  matches(bindName: string): boolean {
    if (this.size === 0 || bindName === '') return false;
    if (this.#dns.size > 0 && bindName.includes('=') && this.#dns.has(normalizeDn(bindName))) return true;
    return this.#names.size > 0 && this.#names.has(loginNameOf(bindName));
  }
}
