import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ensurePrivateDir, ensurePrivateFile, tightenExisting } from '../private-files';
import { MIGRATIONS } from './migrations';

export type SqliteDatabase = Database.Database;

/**
 * Opens (creating if needed) the hub database with the pragmas durability depends on. They are
 * set on EVERY open: better-sqlite3 reopens an existing WAL database with synchronous=NORMAL,
 * which may lose the last commits on power loss; FULL syncs the WAL on each commit.
 */
export function openDatabase(file: string, options: { busyTimeoutMs?: number } = {}): SqliteDatabase {
  // Private before SQLite touches it: SQLite gives the -wal and -shm files the database's mode.
  if (file !== ':memory:') {
    ensurePrivateDir(dirname(file));
    ensurePrivateFile(file);
  }
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  if (file !== ':memory:') tightenExisting([`${file}-wal`, `${file}-shm`]);
  db.pragma('synchronous = FULL');
  db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

/** Applies the migrations newer than the database's version, each in its own transaction. */
export function migrate(db: SqliteDatabase): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
  const current = (db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number }).v;
  for (const m of MIGRATIONS) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(m.version, Date.now());
    })();
  }
  return MIGRATIONS.at(-1)?.version ?? 0;
}
