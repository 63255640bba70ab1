import type { IgnoredSummary } from '../../store/ports';
import type { CliIO } from '../io';
import { cliLimit, openConfiguredStore } from './open-store';

export interface IgnoredOptions {
  config: string;
  source?: string;
  limit?: string;
  format?: 'text' | 'json';
}

/**
 * `subhub ignored`: what the hub accepted and dropped, grouped by (source, event type, reason),
 * newest first: types listed in `inbound.ignore` (with the reason written there), types with no
 * inbound mapping, events a mapping dropped, and duplicates of a fetched state normalised already
 * (ConnectorDefinition.webhook.fetchedStateKey). `subhub_events_ignored_total` counts the same
 * since the process started; this listing reads the store, so it survives restarts.
 */
export async function ignoredCommand(o: IgnoredOptions, io: CliIO): Promise<number> {
  const limit = cliLimit(o.limit, 50, 'subhub ignored', io);
  if (limit === undefined) return 2;
  const store = await openConfiguredStore(o.config, io);
  if (!store) return 1;
  try {
    const rows = await store.listIgnored({ source: o.source, limit });
    if (o.format === 'json') io.out(JSON.stringify(rows, null, 2));
    else {
      for (const r of rows) io.out(line(r));
      io.err(
        `${rows.length} kind(s) of ignored event, ${rows.reduce((n, r) => n + r.count, 0)} event(s); look one up with GET /admin/api/events?source=&sourceEventId=`,
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}

function line(r: IgnoredSummary): string {
  const last = new Date(r.lastReceivedAt).toISOString();
  return `${String(r.count).padStart(6)}  ${r.source}/${r.eventType || '(no type)'}  last ${last} (${r.lastSourceEventId})  ${r.reason}`;
}
