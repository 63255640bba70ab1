import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { HubError } from '../../errors/hub-error';
import { ensurePrivateDir, ensurePrivateFile, PRIVATE_FILE_MODE } from '../private-files';

/** Stable code of "another reconciliation runs" (the CLI exits 3 on it). */
export const RECONCILE_LOCKED = 'RECONCILE_LOCKED';

interface Holder {
  pid: number;
  host: string;
  startedAt: string;
}

/**
 * One reconciliation at a time per data folder, across processes (the hub's schedule, the CLI)
 * and within one. The lock is an exclusive transaction on a small SQLite file beside the hub's
 * database (`reconcile.lock`): SQLite takes an OS file lock for it, which the kernel drops when
 * the holder dies (even on SIGKILL), so a crashed run never leaves a stale lock behind and
 * there is no pid guessing. `reconcile.lock.json` says who holds it, for the error message only.
 * Like the hub's database, the folder must be on a local file system (POSIX locks).
 */
export function acquireReconcileLock(file: string, now = Date.now()): () => void {
  ensurePrivateDir(dirname(file));
  ensurePrivateFile(file);
  const db = new Database(file, { timeout: 0 });
  try {
    db.exec('BEGIN EXCLUSIVE');
  } catch (e) {
    db.close();
    if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw e;
    const h = holderOf(file);
    const who = h ? `pid ${h.pid} on ${h.host}, since ${h.startedAt}` : 'another process';
    throw new HubError(RECONCILE_LOCKED, 'config', `another reconciliation is running on this data folder (${who})`, {
      hint: 'wait for it to finish; two reconciliations never overlap',
    });
  }
  // Written inside the lock: a reader sees the current holder (or a finished one's leftovers, never a wrong live one).
  db.exec('CREATE TABLE IF NOT EXISTS runs (started_at TEXT NOT NULL, pid INTEGER NOT NULL)');
  const holder: Holder = { pid: process.pid, host: hostname(), startedAt: new Date(now).toISOString() };
  db.prepare('INSERT INTO runs (started_at, pid) VALUES (?, ?)').run(holder.startedAt, holder.pid);
  db.exec('DELETE FROM runs WHERE rowid <= (SELECT MAX(rowid) - 100 FROM runs)');
  writeFileSync(`${file}.json`, JSON.stringify(holder), { mode: PRIVATE_FILE_MODE });
  let released = false;
  return () => {
    if (released) return;
    released = true;
    try {
      unlinkSync(`${file}.json`);
    } catch {
      // already gone
    }
    db.exec('COMMIT');
    db.close();
  };
}

function holderOf(file: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(`${file}.json`, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}
