import { join } from 'node:path';
import type { InboxEntry, InboxInsertResult, Store } from '../../src/store/ports';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store';
import { StoreUnavailableError } from '../../src/store/store-error';
import { tempFiles } from './temp-files';

/** A real SQLite store in a fresh temp folder (the file is returned for reopening after a test). */
export async function tempSqliteStore(): Promise<{ store: SqliteStore; file: string }> {
  const file = join(tempFiles({}), 'data', 'subhub.db');
  return { store: await openSqliteStore(file), file };
}

/**
 * A store that delegates every method to `inner`, except that `append` rejects with
 * StoreUnavailableError (as a full disk would) while `failing()` is true. `appendCalls` counts
 * the attempts, so a test can tell a 503 came from the store and not from somewhere earlier.
 */
export function failingAppendStore(inner: Store, failing: () => boolean): Store & { appendCalls: number } {
  const wrapper = {
    appendCalls: 0,
    init: inner.init.bind(inner),
    append(entry: InboxEntry): Promise<InboxInsertResult> {
      wrapper.appendCalls++;
      if (failing())
        return Promise.reject(new StoreUnavailableError(Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })));
      return inner.append(entry);
    },
    claimInbox: inner.claimInbox.bind(inner),
    completeInbox: inner.completeInbox.bind(inner),
    claimDeliveries: inner.claimDeliveries.bind(inner),
    completeDelivery: inner.completeDelivery.bind(inner),
    findEvent: inner.findEvent.bind(inner),
    listDeadLetters: inner.listDeadLetters.bind(inner),
    getDeadLetter: inner.getDeadLetter.bind(inner),
    replayDeadLetter: inner.replayDeadLetter.bind(inner),
    discardDeadLetter: inner.discardDeadLetter.bind(inner),
    counts: inner.counts.bind(inner),
    listPendingInbox: inner.listPendingInbox.bind(inner),
    settleInbox: inner.settleInbox.bind(inner),
    addDeadLetter: inner.addDeadLetter.bind(inner),
    listIgnored: inner.listIgnored.bind(inner),
    ping: inner.ping.bind(inner),
    recoverLeases: inner.recoverLeases.bind(inner),
    onWork: inner.onWork.bind(inner),
    completeInboxBatch: inner.completeInboxBatch.bind(inner),
    relayOutbox: inner.relayOutbox.bind(inner),
    close: inner.close.bind(inner),
    domain: inner.domain,
    privacy: inner.privacy,
    views: inner.views,
  } satisfies Store & { appendCalls: number };
  return wrapper;
}
