/**
 * Opens bindwall's SQLite database (better-sqlite3, WAL) and migrates it. Whatever goes
 * wrong at startup (locked by another process, corrupt, not writable) becomes one clear
 * error that names the file and says what to do.
 */
import Database from 'better-sqlite3';
import { accessSync, chmodSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { BindwallError, ErrorCode } from '../errors.js';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

export function openDatabase(path: string, opts: { readonly?: boolean } = {}): Db {
  const fresh = path !== ':memory:' && !existsSync(path);
  if (fresh && opts.readonly) {
    throw new BindwallError(ErrorCode.StorageUnusable, `no storage at ${path}: bindwall has not run with it yet (check --config or --db)`, { path });
  }
  if (path !== ':memory:' && !opts.readonly) {
    try {
      // Baselines, incidents and threat entries are nobody else's business: the folder 0700, the files 0600.
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    } catch (err) {
      throw storageError(path, err, 'cannot create its folder');
    }
  }
  let db: Db;
  try {
    db = new Database(path, { readonly: !!opts.readonly, fileMustExist: !!opts.readonly, timeout: 2_000 });
    if (fresh) chmodSync(path, 0o600);
  } catch (err) {
    throw storageError(path, err);
  }
  try {
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // Take the write lock now: a second bindwall on the same file fails at startup, not later.
      db.exec('BEGIN IMMEDIATE; COMMIT;');
      migrate(db);
    } else {
      db.pragma('quick_check');
    }
    return db;
  } catch (err) {
    db.close();
    throw storageError(path, err);
  }
}

/**
 * Runs `fn` in a transaction committed with synchronous = FULL: on return, the commit is on
 * disk (fsync) and survives a power loss, not only a crash. For what must never be lost
 * once a client has been answered (incidents, quarantine changes); everything else stays
 * on the cheaper NORMAL (durable across a process crash, not a power loss).
 */
export function durably<T>(db: Db, fn: () => T): T {
  if (db.inTransaction) return fn(); // the outer transaction decides
  db.pragma('synchronous = FULL');
  try {
    return db.transaction(fn)();
  } finally {
    db.pragma('synchronous = NORMAL');
  }
}

export function migrate(db: Db): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
  if (current > latest) {
    throw new BindwallError(ErrorCode.StorageUnusable, `database schema version ${current} is newer than this bindwall (${latest}); upgrade bindwall`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return latest;
}

function storageError(path: string, err: unknown, what?: string): BindwallError {
  if (err instanceof BindwallError) return err;
  const code = (err as { code?: string }).code ?? '';
  const message = (err as Error).message ?? String(err);
  let hint: string;
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) hint = 'it is locked by another process (is another bindwall running on the same storage.path?)';
  else if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') hint = 'it is corrupt or not a bindwall database; move it aside to start fresh';
  else if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'EACCES' || code === 'EROFS') hint = writableHint(path);
  else hint = message;
  return new BindwallError(ErrorCode.StorageUnusable, `storage ${path}: ${what ? `${what}: ` : ''}${hint}`, { path, sqliteCode: code });
}

function writableHint(path: string): string {
  try {
    accessSync(dirname(path), constants.W_OK);
    return 'the file cannot be opened for writing; check its permissions';
  } catch {
    return `the folder ${dirname(path)} is not writable; check its permissions or set storage.path`;
  }
}
