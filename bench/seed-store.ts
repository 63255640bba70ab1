import type { SubscriptionState } from '../src/domain/subscription-projection';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store';

/**
 * Writes the hub's side of a benchmark's subscriptions into the SQLite file, 10,000 per
 * transaction (bounded memory); an undefined state (a subscription the hub does not know) is skipped.
 */
export async function seedSubscriptionsInBatches(file: string, states: Iterable<SubscriptionState | undefined>): Promise<void> {
  const store = await openSqliteStore(file);
  try {
    let batch: SubscriptionState[] = [];
    for (const s of states) {
      if (s) batch.push(s);
      if (batch.length === 10_000) {
        await store.domain.seedSubscriptions(batch);
        batch = [];
      }
    }
    await store.domain.seedSubscriptions(batch);
  } finally {
    await store.close();
  }
}
