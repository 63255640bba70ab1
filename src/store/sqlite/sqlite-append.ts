import { ulid } from '../../util/ids';
import type { InboxEntry, InboxInsertResult } from '../ports';
import type { SqliteDatabase } from './open-database';
import type { SqliteStatements } from './sqlite-statements';

/**
 * The webhook append: one IMMEDIATE transaction inserting a batch of inbox entries, each accepted
 * or found a duplicate (by its source's event id, or by content for sources that sign only the
 * body). Shared by the store's own connection and the append thread's.
 *
 * IMMEDIATE, like every other write: a batch whose first entry has a content key reads before it
 * writes, and a deferred transaction cannot upgrade once another connection has committed
 * (SQLITE_BUSY at once, no busy wait): the webhook would be refused for nothing.
 */
export function appendTransaction(
  db: SqliteDatabase,
  sql: Pick<SqliteStatements, 'inboxIdOfContent' | 'insertInbox' | 'inboxIdOf'>,
): (entries: InboxEntry[]) => InboxInsertResult[] {
  const tx = db.transaction((entries: InboxEntry[]): InboxInsertResult[] =>
    entries.map((e) => {
      const id = ulid(e.receivedAt);
      if (e.contentKey !== undefined) {
        const same = sql.inboxIdOfContent.get(e.source, e.contentKey) as string | undefined;
        if (same !== undefined) return { status: 'duplicate', id: same };
      }
      const r = sql.insertInbox.run(
        id,
        e.source,
        e.sourceEventId,
        e.eventType ?? null,
        e.receivedAt,
        JSON.stringify(e.headers),
        e.body,
        e.contentKey ?? null,
      );
      return r.changes === 1
        ? { status: 'accepted', id }
        : { status: 'duplicate', id: sql.inboxIdOf.get(e.source, e.sourceEventId) as string };
    }),
  );
  return (entries) => tx.immediate(entries);
}
