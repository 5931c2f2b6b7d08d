/**
 * The one module that touches ldapjs (unmaintained upstream, so it must stay replaceable).
 * It serves a DirectoryBackend over LDAP: ldapjs does the protocol and filter matching,
 * the backend owns the data. Used by the embedded demo directory.
 */
import ldap from 'ldapjs';
import type net from 'node:net';
import { Oid, ResultCode } from './protocol.js';

export type SearchScope = 'base' | 'one' | 'sub';

export interface ModifyChange {
  operation: 'add' | 'delete' | 'replace';
  attribute: string;
  values: string[];
}

/** What a directory must answer; every method returns an LDAP result code. */
export interface DirectoryBackend {
  readonly suffix: string;
  bind(dn: string, password: string): number;
  search(boundDn: string, base: string, scope: SearchScope, matches: (attrs: Record<string, string[]>) => boolean):
    { resultCode: number; entries: { dn: string; attributes: Record<string, string[]> }[] };
  compare(boundDn: string, dn: string, attribute: string, value: string): number;
  add(boundDn: string, dn: string, attributes: Record<string, string[]>): number;
  modify(boundDn: string, dn: string, changes: readonly ModifyChange[]): number;
  delete(boundDn: string, dn: string): number;
  modifyDn(boundDn: string, dn: string, newRdn: string, deleteOldRdn: boolean, newSuperior?: string): number;
  passwordModify(boundDn: string, userDn: string | undefined, oldPassword: string | undefined, newPassword: string | undefined):
    { resultCode: number; message?: string };
}

export interface ServedDirectory {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

type Req = Record<string, any> & { connection: net.Socket & { ldap: { bindDN: { toString(): string } } } };
type Res = Record<string, any>;
type Next = (err?: unknown) => void;

/** ldapjs error classes by result code. */
const errorClasses = new Map<number, new (message?: string) => Error>();
for (const value of Object.values(ldap as unknown as Record<string, unknown>)) {
  if (typeof value === 'function' && typeof (value as { prototype?: { code?: unknown } }).prototype?.code === 'number') {
    errorClasses.set((value as { prototype: { code: number } }).prototype.code, value as new (m?: string) => Error);
  }
}

function fail(code: number, message?: string): Error {
  const E = errorClasses.get(code) ?? errorClasses.get(ResultCode.other)!;
  return new E(message);
}

const boundDnOf = (req: Req): string => {
  const dn = req.connection.ldap?.bindDN?.toString() ?? '';
  return dn === 'cn=anonymous' ? '' : dn;
};

const SCOPES: Record<string, SearchScope> = { base: 'base', single: 'one', one: 'one', subtree: 'sub', sub: 'sub' };

export function serveDirectory(backend: DirectoryBackend, opts: { host: string; port: number }): Promise<ServedDirectory> {
  const server = ldap.createServer({ log: undefined } as ldap.ServerOptions);
  const ok = (res: Res, next: Next) => (code: number, message?: string): void => {
    if (code === ResultCode.success) {
      res.end();
      next();
    } else next(fail(code, message));
  };

  server.bind('', (req: Req, res: Res, next: Next) => {
    // ldapjs v3 hides the authentication choice; a SASL bind arrives with no usable credentials and fails.
    ok(res, next)(backend.bind(req.dn.toString(), String(req.credentials ?? '')));
  });

  server.search('', (req: Req, res: Res, next: Next) => {
    const scope = SCOPES[req.scopeName as string] ?? 'sub';
    const { resultCode, entries } = backend.search(boundDnOf(req), req.dn.toString(), scope, (attrs) => req.filter.matches(attrs, false));
    if (resultCode !== ResultCode.success) return next(fail(resultCode));
    for (const e of entries) res.send({ dn: e.dn, attributes: e.attributes });
    res.end();
    next();
  });

  server.compare('', (req: Req, res: Res, next: Next) => {
    const code = backend.compare(boundDnOf(req), req.entry.toString(), req.attribute, String(req.value));
    if (code === 5 || code === 6) {
      res.end(code === 6);
      return next();
    }
    next(fail(code));
  });

  server.add('', (req: Req, res: Res, next: Next) => {
    const attributes: Record<string, string[]> = {};
    for (const a of req.attributes as { type: string; values: string[] }[]) attributes[a.type] = a.values.map(String);
    ok(res, next)(backend.add(boundDnOf(req), req.entry.toString(), attributes));
  });

  server.modify('', (req: Req, res: Res, next: Next) => {
    const changes: ModifyChange[] = (req.changes as { operation: ModifyChange['operation']; modification: { type: string; values: string[] } }[])
      .map((c) => ({ operation: c.operation, attribute: c.modification.type, values: c.modification.values.map(String) }));
    ok(res, next)(backend.modify(boundDnOf(req), req.object.toString(), changes));
  });

  server.del('', (req: Req, res: Res, next: Next) => {
    ok(res, next)(backend.delete(boundDnOf(req), req.entry.toString()));
  });

  server.modifyDN('', (req: Req, res: Res, next: Next) => {
    ok(res, next)(backend.modifyDn(boundDnOf(req), req.entry.toString(), req.newRdn.toString(), !!req.deleteOldRdn, req.newSuperior ? req.newSuperior.toString() : undefined));
  });

  server.exop(Oid.whoAmI, (req: Req, res: Res, next: Next) => {
    const dn = boundDnOf(req);
    res.responseValue = dn ? `dn:${dn}` : '';
    res.end();
    next();
  });

  server.exop(Oid.passwordModify, (req: Req, res: Res, next: Next) => {
    const v = (req.requestValue ?? {}) as { userIdentity?: string; oldPassword?: string; newPassword?: string };
    const r = backend.passwordModify(boundDnOf(req), v.userIdentity || undefined, v.oldPassword, v.newPassword);
    ok(res, next)(r.resultCode, r.message);
  });

  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(opts.port, opts.host, () => {
      const { port } = (server as unknown as { address(): net.AddressInfo }).address();
      resolve({
        url: `ldap://${opts.host}:${port}`, host: opts.host, port,
        close: () => new Promise<void>((r) => {
          server.close(() => r());
        }),
      });
    });
  });
}
