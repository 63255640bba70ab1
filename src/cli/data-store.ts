import { loadConfig } from '../config/load-config';
import { LocatedErrors } from '../errors/located-error';
import { databaseFile } from '../runtime';
import { SqliteStore } from '../store/sqlite/sqlite-store';
import type { CliIO } from './io';

/**
 * The store in the data folder of the config at `configPath`, for commands that work beside a
 * running hub (SQLite WAL). On config errors it prints them and returns undefined (exit 1).
 */
export function openConfiguredStore(configPath: string, io: CliIO): SqliteStore | undefined {
  let dataDir: string;
  try {
    dataDir = loadConfig({ path: configPath, env: io.env }).config.storage?.dataDir ?? './data';
  } catch (e) {
    if (e instanceof LocatedErrors) for (const x of e.errors) io.err(x.toLine());
    else throw e;
    return undefined;
  }
  return new SqliteStore(databaseFile(dataDir));
}
