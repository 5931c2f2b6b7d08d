/**
 * The demo directory: an in-memory tree loaded from an LDIF fixture, with plaintext
 * password binds, nested groups, and simple access control (anyone reads, except
 * passwords; people change their own entry; Domain Admins change anything).
 */
import { ResultCode } from '../ldap/protocol.js';
import type { DirectoryBackend, ModifyChange, SearchScope } from '../ldap/ldapjs-server.js';
import { isWithin, normalizeDn, parentDn, splitDn } from '../util/dn.js';
import type { LdifEntry } from './ldif.js';

interface Entry {
  dn: string;
  attributes: Record<string, string[]>;
}

const Code = {
  ...ResultCode,
  noSuchObject: 32,
  entryAlreadyExists: 68,
  notAllowedOnNonLeaf: 66,
  compareFalse: 5,
  compareTrue: 6,
  noSuchAttribute: 16,
} as const;

export class DemoDirectory implements DirectoryBackend {
  readonly suffix: string;
  readonly #entries = new Map<string, Entry>();
  readonly #adminGroup: string;

  constructor(entries: readonly LdifEntry[], opts: { adminGroupDn: string }) {
    if (entries.length === 0) throw new Error('demo directory needs at least one entry');
    this.suffix = normalizeDn(entries[0]!.dn);
    for (const e of entries) this.#entries.set(normalizeDn(e.dn), { dn: e.dn, attributes: cloneAttrs(e.attributes) });
    this.#adminGroup = normalizeDn(opts.adminGroupDn);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The Acme people (not the simulated organisation), for enrolling them in the Okta simulator. */
  people(): { uid: string; givenName: string; sn: string }[] {
    const out: { uid: string; givenName: string; sn: string }[] = [];
    for (const [key, e] of this.#entries) {
      const uid = attr(e, 'uid')?.[0];
      // The simulated organisation's people too: `bindwall simulate --live` steps them up like anyone.
      if (uid && /,ou=people,/.test(key)) out.push({ uid, givenName: attr(e, 'givenName')?.[0] ?? uid, sn: attr(e, 'sn')?.[0] ?? '' });
    }
    return out;
  }

  bind(dn: string, password: string): number {
    const entry = this.#entries.get(normalizeDn(dn));
    const stored = entry && attr(entry, 'userPassword');
    if (!stored || !stored.includes(password)) return Code.invalidCredentials;
    return Code.success;
  }

  search(boundDn: string, base: string, scope: SearchScope, matches: (attrs: Record<string, string[]>) => boolean) {
    const b = normalizeDn(base);
    if (b !== '' && !this.#entries.has(b)) return { resultCode: Code.noSuchObject, entries: [] };
    const entries: { dn: string; attributes: Record<string, string[]> }[] = [];
    for (const [key, e] of this.#entries) {
      const inScope = scope === 'base' ? key === b : scope === 'one' ? parentDn(key) === b : isWithin(key, b);
      if (!inScope) continue;
      const visible = publicAttributes(e);
      if (matches(visible)) entries.push({ dn: e.dn, attributes: visible });
    }
    void boundDn;
    return { resultCode: Code.success, entries };
  }

  compare(_boundDn: string, dn: string, attribute: string, value: string): number {
    const e = this.#entries.get(normalizeDn(dn));
    if (!e) return Code.noSuchObject;
    if (attribute.toLowerCase() === 'userpassword') return Code.insufficientAccessRights;
    const values = attr(e, attribute);
    if (!values) return Code.noSuchAttribute;
    return values.some((v) => v.toLowerCase() === value.toLowerCase()) ? Code.compareTrue : Code.compareFalse;
  }

  add(boundDn: string, dn: string, attributes: Record<string, string[]>): number {
    const key = normalizeDn(dn);
    if (!this.#mayWrite(boundDn, key)) return Code.insufficientAccessRights;
    if (this.#entries.has(key)) return Code.entryAlreadyExists;
    if (!this.#entries.has(parentDn(key))) return Code.noSuchObject;
    this.#entries.set(key, { dn, attributes: cloneAttrs(attributes) });
    return Code.success;
  }

  modify(boundDn: string, dn: string, changes: readonly ModifyChange[]): number {
    const key = normalizeDn(dn);
    const e = this.#entries.get(key);
    if (!e) return Code.noSuchObject;
    if (!this.#mayWrite(boundDn, key)) return Code.insufficientAccessRights;
    const next = cloneAttrs(e.attributes);
    for (const c of changes) {
      const name = Object.keys(next).find((k) => k.toLowerCase() === c.attribute.toLowerCase()) ?? c.attribute;
      if (c.operation === 'replace') {
        if (c.values.length === 0) delete next[name];
        else next[name] = [...c.values];
      } else if (c.operation === 'add') {
        next[name] = [...(next[name] ?? []), ...c.values.filter((v) => !(next[name] ?? []).includes(v))];
      } else {
        if (!next[name]) return Code.noSuchAttribute;
        next[name] = c.values.length === 0 ? [] : next[name]!.filter((v) => !c.values.includes(v));
        if (next[name]!.length === 0) delete next[name];
      }
    }
    e.attributes = next;
    return Code.success;
  }

  delete(boundDn: string, dn: string): number {
    const key = normalizeDn(dn);
    if (!this.#entries.has(key)) return Code.noSuchObject;
    if (!this.#mayWrite(boundDn, key)) return Code.insufficientAccessRights;
    for (const other of this.#entries.keys()) if (other !== key && isWithin(other, key)) return Code.notAllowedOnNonLeaf;
    this.#entries.delete(key);
    return Code.success;
  }

  modifyDn(boundDn: string, dn: string, newRdn: string, deleteOldRdn: boolean, newSuperior?: string): number {
    const key = normalizeDn(dn);
    const e = this.#entries.get(key);
    if (!e) return Code.noSuchObject;
    if (!this.#mayWrite(boundDn, key)) return Code.insufficientAccessRights;
    const parentOriginal = splitDn(e.dn).slice(1).join(',');
    const newDn = `${newRdn},${newSuperior ?? parentOriginal}`;
    const newKey = normalizeDn(newDn);
    if (this.#entries.has(newKey)) return Code.entryAlreadyExists;
    const [oldName, oldValue] = splitRdn(splitDn(e.dn)[0]!);
    const [newName, newValue] = splitRdn(newRdn);
    if (deleteOldRdn) {
      const k = Object.keys(e.attributes).find((a) => a.toLowerCase() === oldName.toLowerCase());
      if (k) e.attributes[k] = e.attributes[k]!.filter((v) => v !== oldValue);
    }
    const nk = Object.keys(e.attributes).find((a) => a.toLowerCase() === newName.toLowerCase()) ?? newName;
    e.attributes[nk] = [...new Set([...(e.attributes[nk] ?? []), newValue])];
    this.#entries.delete(key);
    this.#entries.set(newKey, { dn: newDn, attributes: e.attributes });
    return Code.success;
  }

  passwordModify(boundDn: string, userDn: string | undefined, oldPassword: string | undefined, newPassword: string | undefined) {
    const target = normalizeDn(userDn ?? boundDn);
    const e = this.#entries.get(target);
    if (!e || target === '') return { resultCode: Code.noSuchObject };
    if (!this.#mayWrite(boundDn, target)) return { resultCode: Code.insufficientAccessRights };
    if (oldPassword !== undefined && !(attr(e, 'userPassword') ?? []).includes(oldPassword)) return { resultCode: Code.invalidCredentials };
    // Generating passwords would need a BER response value; the demo asks for one instead.
    if (newPassword === undefined || newPassword === '') return { resultCode: Code.unwillingToPerform, message: 'demo directory: give the new password (ldappasswd -s)' };
    const key = Object.keys(e.attributes).find((a) => a.toLowerCase() === 'userpassword') ?? 'userPassword';
    e.attributes[key] = [newPassword];
    return { resultCode: Code.success };
  }

  /** Groups (nested) the entry belongs to, normalised DNs. */
  groupsOf(dn: string): Set<string> {
    const found = new Set<string>();
    let frontier = [normalizeDn(dn)];
    while (frontier.length > 0) {
      const next: string[] = [];
      for (const [key, e] of this.#entries) {
        if (found.has(key)) continue;
        const members = (attr(e, 'member') ?? []).map(normalizeDn);
        if (frontier.some((f) => members.includes(f))) {
          found.add(key);
          next.push(key);
        }
      }
      frontier = next;
    }
    return found;
  }

  #mayWrite(boundDn: string, target: string): boolean {
    const who = normalizeDn(boundDn);
    if (who === '') return false;
    return who === target || this.groupsOf(who).has(this.#adminGroup);
  }
}

function attr(e: Entry, name: string): string[] | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(e.attributes)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function publicAttributes(e: Entry): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(e.attributes)) if (k.toLowerCase() !== 'userpassword') out[k] = [...v];
  return out;
}

function cloneAttrs(a: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, [...v]]));
}

function splitRdn(rdn: string): [string, string] {
  const eq = rdn.indexOf('=');
  return [rdn.slice(0, eq).trim(), rdn.slice(eq + 1).trim()];
}
