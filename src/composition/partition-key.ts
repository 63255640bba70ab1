import type { ConnectorRuntime } from '../connectors/registry';
import { parseInboxBody } from '../ingest/inbox-body';
import type { InboxEntry } from '../store/ports';

/**
 * The Kafka partition key of an inbox entry: `<source>:<customer>` as the entry's connector declares
 * it (src/sdk ConnectorDefinition.webhook.partitionKey), so one customer's events stay in one
 * partition, in the order they were acknowledged. Derived hub events are keyed by their customer (or
 * the entity they concern). An entry that names no customer is keyed by its own id: spread over the
 * partitions, with no order promised against others.
 */
export function partitionKeyOf(connectors: ReadonlyMap<string, ConnectorRuntime>): (entry: InboxEntry) => string {
  return (entry) => {
    let key: string | undefined;
    try {
      const body: unknown = parseInboxBody(entry.body, entry.headers);
      if (entry.source === 'hub') {
        const e = body as { customer?: { hubCustomerId?: string }; subscription?: { hubSubscriptionId?: string } };
        key = e.customer?.hubCustomerId ?? e.subscription?.hubSubscriptionId;
      } else key = connectors.get(entry.source)?.definition.webhook?.partitionKey?.(body, entry.headers);
    } catch {
      key = undefined;
    }
    return `${entry.source}:${key ?? entry.sourceEventId}`;
  };
}
