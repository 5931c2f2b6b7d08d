/** The part of @ldapjs/dn that util/dn.ts uses (the package ships no types). */
declare module '@ldapjs/dn' {
  export class RDN {
    keys(): IterableIterator<string>;
    getValue(name: string): unknown;
  }
  export class DN {
    static fromString(dn: string): DN;
    readonly length: number;
    rdnAt(index: number): RDN;
  }
}
