import { loadConfig } from '../../config/load-config';
import { LocatedErrors } from '../../errors/located-error';
import { isHubError } from '../../errors/hub-error';
import { createStore } from '../../store/create-store';
import type { Store } from '../../store/ports';
import type { CliIO } from '../io';

/**
 * Opens the configured store for a CLI command (works next to running hubs: SQLite WAL, or the
 * shared PostgreSQL database). Undefined, with each problem printed, when the config is wrong or
 * the backend cannot be opened.
 */
export async function openConfiguredStore(configPath: string, io: CliIO): Promise<Store | undefined> {
  try {
    return (await createStore(loadConfig({ path: configPath, env: io.env }).config, io.env)).store;
  } catch (e) {
    if (e instanceof LocatedErrors) for (const x of e.errors) io.err(x.toLine());
    else if (isHubError(e)) io.err(`${e.code}: ${e.message}`);
    else throw e;
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
