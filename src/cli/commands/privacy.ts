import type { PrivacyRecord } from '../../store/privacy-ports';
import type { CliIO } from '../io';
import { cliLimit, openConfiguredStore } from './open-store';

export interface PrivacyOptions {
  config: string;
  limit?: string;
  format?: 'text' | 'json';
}

/**
 * `subhub privacy list|show <id>`: the privacy requests the hub carried out (Shopify's
 * customers/redact, shop/redact) or recorded (customers/data_request). `show` of a data request
 * prints the customer's stored data, for the shop's answer to the customer.
 */
export async function privacyCommand(action: string, id: string | undefined, o: PrivacyOptions, io: CliIO): Promise<number> {
  if (action !== 'list' && action !== 'show') {
    io.err(`subhub privacy: unknown action "${action}"; use list or show <id>`);
    return 2;
  }
  const limit = cliLimit(o.limit, 50, 'subhub privacy list', io);
  if (limit === undefined) return 2;
  const store = await openConfiguredStore(o.config, io);
  if (!store) return 1;
  try {
    if (action === 'show') {
      const found = id ? await store.privacy.getRequest(id) : undefined;
      if (!found) {
        io.err(id ? `no privacy request ${id}` : 'give the id of a privacy request');
        return 1;
      }
      io.out(JSON.stringify(found, null, 2));
      return 0;
    }
    const rows = await store.privacy.listRequests(limit);
    if (o.format === 'json') io.out(JSON.stringify(rows, null, 2));
    else {
      for (const r of rows) io.out(line(r));
      io.err(`${rows.length} privacy request(s)`);
    }
    return 0;
  } finally {
    await store.close();
  }
}

function line(r: PrivacyRecord): string {
  const m = r.matches;
  const found = `inbox ${m.inbox.length}, events ${m.events.length}, dead letters ${m.deadLetters.length}, customers ${m.customers.length}`;
  const verb = r.kind === 'customer_data_request' ? 'found' : 'redacted';
  return `${r.id}  ${new Date(r.completedAt).toISOString()}  ${r.kind.padEnd(21)} ${r.source}  ${r.subject}  ${verb}: ${found}`;
}
