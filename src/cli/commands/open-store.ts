import { loadConfig } from '../../config/load-config';
import { LocatedErrors } from '../../errors/located-error';
import { databaseFile } from '../../runtime';
import { SqliteStore } from '../../store/sqlite/sqlite-store';
import type { CliIO } from '../io';

/**
 * Opens the store of the configured data folder for a read-mostly CLI command (works next to a
 * running hub: SQLite WAL). Undefined, with each config problem printed, when the config is wrong.
 */
export function openConfiguredStore(configPath: string, io: CliIO): SqliteStore | undefined {
  try {
    return new SqliteStore(databaseFile(loadConfig({ path: configPath, env: io.env }).config.storage?.dataDir ?? './data'));
  } catch (e) {
    if (!(e instanceof LocatedErrors)) throw e;
    for (const x of e.errors) io.err(x.toLine());
    return undefined;
  }
}

/** Parses --limit: an integer from 1 to 1000, `fallback` when absent; undefined (after saying so) otherwise. */
export function cliLimit(value: string | undefined, fallback: number, command: string, io: CliIO): number | undefined {
  const n = value === undefined ? fallback : Number(value);
  if (Number.isInteger(n) && n >= 1 && n <= 1000) return n;
  io.err(`${command}: --limit is an integer from 1 to 1000`);
  return undefined;
}
