import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';

/**
 * The data folder holds personal data (raw webhook bodies with e-mails and addresses) and
 * secrets (dev-secrets.json): only the hub's own user may read it. The folder is 0700 and every
 * file the hub writes there 0600, whatever the umask.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates the folder (and missing parents) 0700, and makes an existing one 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
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
