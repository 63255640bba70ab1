import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(__dirname, '..', '..', 'mappings', 'fixtures');

/** The text of a shipped provider fixture (`mappings/fixtures/<name>`). */
export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** A shipped provider fixture, parsed: a fresh copy on every call, so tests may change it. */
export function fixture<T = Record<string, unknown> & { id: string }>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}

type Running = { stop(): Promise<unknown> } | { close(): Promise<unknown> } | undefined;

/**
 * Ends what a test started, one after the other in the order given (a hub before its target):
 * `stop()` for a hub, `close()` for a server; undefined (never started) ones are skipped.
 */
export async function shutDown(...running: Running[]): Promise<void> {
  for (const r of running) {
    if (r === undefined) continue;
    await ('stop' in r ? r.stop() : r.close());
  }
}
