import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';

/**
 * The data folder holds personal data (raw webhook bodies with e-mails and addresses) and
 * secrets (dev-secrets.json): only the hub's own user may read it. The folder is 0700 and every
 * file the hub writes there 0600, whatever the umask.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates the folder (and missing parents) 0700, and makes an existing one 0700 — unless it is a
 * shared folder: sticky (like /tmp) or owned by another user. Such a folder is left as it is (the
 * hub's files in it are still 0600): making /tmp private would break every other user of it.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const { mode, uid } = statSync(dir);
  const sticky = (mode & 0o1000) !== 0;
  if (sticky || (process.getuid !== undefined && uid !== process.getuid())) return;
  chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Makes a file 0600, creating it empty when missing (so that what opens it next never creates it wider). */
export function ensurePrivateFile(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  chmodSync(file, PRIVATE_FILE_MODE);
}

/** Makes the files that exist of `files` 0600 (SQLite's -wal and -shm come and go). */
export function tightenExisting(files: readonly string[]): void {
  for (const f of files) {
    try {
      chmodSync(f, PRIVATE_FILE_MODE);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
}
