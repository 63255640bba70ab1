import type { SqliteDatabase } from './open-database';

/**
 * The store's prepared statements, compiled once when the store opens (`SqliteStore.init`).
 * Every one runs inside a transaction the store holds; none opens its own.
 */
export function prepareStatements(db: SqliteDatabase) {
  return {
    insertInbox: db.prepare(
      `INSERT INTO inbox (id, source, source_event_id, event_type, received_at, headers, body, content_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source, source_event_id) DO NOTHING`,
    ),
    inboxIdOf: db.prepare('SELECT id FROM inbox WHERE source = ? AND source_event_id = ?').pluck(),
    inboxIdOfContent: db.prepare('SELECT id FROM inbox WHERE source = ? AND content_key = ?').pluck(),
    claimInbox: db.prepare(
      `SELECT id, source, source_event_id, event_type, received_at, headers, body, attempts, enrichment FROM inbox
       WHERE status = 'received' AND (lease_until IS NULL OR lease_until < @now) AND (next_attempt_at IS NULL OR next_attempt_at <= @now)
       ORDER BY received_at, id LIMIT @limit`,
    ),
    leaseInbox: db.prepare('UPDATE inbox SET lease_until = ?, attempts = attempts + 1 WHERE id = ?'),
    releaseInbox: db.prepare(`UPDATE inbox SET lease_until = NULL WHERE id = ? AND status = 'received' AND attempts = ?`),
    finishInbox: db.prepare(
      `UPDATE inbox SET status = ?, detail = ?, lease_until = NULL WHERE id = ? AND status = 'received' AND attempts = ?`,
    ),
    deferInbox: db.prepare(
      `UPDATE inbox SET next_attempt_at = ?, detail = ?, lease_until = NULL WHERE id = ? AND status = 'received' AND attempts = ?`,
    ),
    saveEnrichment: db.prepare('UPDATE inbox SET enrichment = ? WHERE id = ?'),
    /** Records the entry's fetched state under its source; no change when another entry has it (a duplicate). */
    claimFetchedState: db.prepare(
      `INSERT INTO inbox_fetched_states (source, state_key, inbox_id) SELECT source, ?, id FROM inbox WHERE id = ?
       ON CONFLICT (source, state_key) DO NOTHING`,
    ),
    sameStateInbox: db.prepare(`UPDATE inbox SET status = 'ignored', detail = ? WHERE id = ?`),
    // received_at: the entry's, so event searches page events and inbox entries in one order.
    insertEvent: db.prepare(
      `INSERT INTO events (id, inbox_id, type, entity_key, body, created_at, received_at)
       VALUES (@id, @inboxId, @type, @entityKey, @body, @now, (SELECT received_at FROM inbox WHERE id = @inboxId))`,
    ),
    insertDelivery: db.prepare(
      `INSERT INTO deliveries (id, event_id, route, target, action, mapping, entity_key, idempotency_key, next_attempt_at, created_at, blocked)
       VALUES (@id, @eventId, @route, @target, @action, @mapping, @entityKey, @idempotencyKey, @now, @now,
         EXISTS (SELECT 1 FROM deliveries p WHERE p.target = @target AND p.entity_key = @entityKey AND p.status IN ('pending', 'in_flight')))
       ON CONFLICT (event_id, route) DO NOTHING`,
    ),
    expireLeases: db.prepare(`UPDATE deliveries SET status = 'pending', lease_until = NULL WHERE status = 'in_flight' AND lease_until < ?`),
    claimDeliveries: db.prepare(
      `SELECT d.seq, d.id, d.event_id, d.route, d.target, d.action, d.mapping, d.entity_key, d.idempotency_key, d.attempts,
              d.first_attempt_at, d.created_at, e.body AS event_body, i.source, i.source_event_id
       FROM deliveries d JOIN events e ON e.id = d.event_id JOIN inbox i ON i.id = e.inbox_id
       WHERE d.status = 'pending' AND d.blocked = 0 AND d.next_attempt_at <= ?
       ORDER BY d.next_attempt_at, d.seq LIMIT ?`,
    ),
    leaseDelivery: db.prepare(
      `UPDATE deliveries SET status = 'in_flight', lease_until = ?, attempts = attempts + 1,
         first_attempt_at = COALESCE(first_attempt_at, ?), last_attempt_at = ? WHERE id = ? AND status = 'pending'`,
    ),
    deliveryDone: db.prepare(
      `UPDATE deliveries SET status = 'done', lease_until = NULL, last_error = NULL WHERE id = ? AND status = 'in_flight' AND attempts = ?`,
    ),
    deliveryRetry: db.prepare(
      `UPDATE deliveries SET status = 'pending', lease_until = NULL, next_attempt_at = ?, last_error = ?, attempts = attempts - ?
       WHERE id = ? AND status = 'in_flight' AND attempts = ?`,
    ),
    deliveryDead: db.prepare(
      `UPDATE deliveries SET status = 'dead', lease_until = NULL, last_error = ? WHERE id = ? AND status = 'in_flight' AND attempts = ?`,
    ),
    insertDeadLetter: db.prepare(
      `INSERT INTO dead_letters (id, stage, source, source_event_id, inbox_id, event_id, delivery_id, route, target, mapping,
         idempotency_key, error_code, error_message, attempts, first_attempt_at, last_attempt_at, payload, created_at)
       VALUES (@id, @stage, @source, @sourceEventId, @inboxId, @eventId, @deliveryId, @route, @target, @mapping,
         @idempotencyKey, @errorCode, @errorMessage, @attempts, @firstAttemptAt, @lastAttemptAt, @payload, @createdAt)`,
    ),
    deadLetter: db.prepare('SELECT * FROM dead_letters WHERE id = ?'),
    resolveDeadLetter: db.prepare(`UPDATE dead_letters SET status = ?, resolved_by = ?, resolved_at = ? WHERE id = ? AND status = 'open'`),
    inboxById: db.prepare('SELECT * FROM inbox WHERE id = ?'),
    settleInbox: db.prepare(`UPDATE inbox SET status = ?, detail = ?, lease_until = NULL WHERE id = ? AND status = 'received'`),
    pendingInbox: db.prepare(
      `SELECT id, source, source_event_id, event_type, received_at, attempts, lease_until FROM inbox
       WHERE status = 'received' ORDER BY received_at, id LIMIT ?`,
    ),
    requeueInbox: db.prepare(
      `UPDATE inbox SET status = 'received', lease_until = NULL, next_attempt_at = NULL, detail = NULL WHERE id = ?`,
    ),
    requeueDelivery: db.prepare(
      `UPDATE deliveries SET status = 'pending', blocked = 0, lease_until = NULL, next_attempt_at = ?, attempts = 0 WHERE id = ?`,
    ),
    // After a head finished: release the next delivery of its (target, entity), unless another is still unblocked.
    unblockNext: db.prepare(
      `UPDATE deliveries SET blocked = 0
       WHERE seq = (SELECT MIN(seq) FROM deliveries WHERE target = @target AND entity_key = @entity AND status = 'pending' AND blocked = 1)
         AND NOT EXISTS (SELECT 1 FROM deliveries WHERE target = @target AND entity_key = @entity AND status IN ('pending', 'in_flight') AND blocked = 0)`,
    ),
    targetOf: db.prepare('SELECT target, entity_key FROM deliveries WHERE id = ?'),
    audit: db.prepare('INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)'),
    inboxBySource: db.prepare('SELECT * FROM inbox WHERE source = ? AND source_event_id = ?'),
    inboxReceived: db.prepare('SELECT source_event_id, received_at FROM inbox WHERE id = ?'),
    eventByInbox: db.prepare('SELECT id, type, entity_key FROM events WHERE inbox_id = ?'),
    deliveriesByEvent: db.prepare(
      'SELECT id, route, target, status, attempts, last_error, next_attempt_at FROM deliveries WHERE event_id = ? ORDER BY seq',
    ),
    deadLettersBySource: db.prepare('SELECT * FROM dead_letters WHERE source = ? AND source_event_id = ? ORDER BY created_at'),
    ignored: db.prepare(
      `SELECT source, COALESCE(event_type, '') AS event_type, COALESCE(detail, '') AS reason, COUNT(*) AS n,
              MIN(received_at) AS first_at, MAX(received_at) AS last_at,
              (SELECT j.source_event_id FROM inbox j WHERE j.status = 'ignored' AND j.source = i.source AND j.event_type IS i.event_type
                 AND j.detail IS i.detail ORDER BY j.received_at DESC LIMIT 1) AS last_id
       FROM inbox i WHERE status = 'ignored' AND (@source IS NULL OR source = @source)
       GROUP BY source, event_type, detail ORDER BY last_at DESC LIMIT @limit`,
    ),
    outboxHead: db.prepare('SELECT seq, dedupe_key, event_type, created_at, body FROM outbox ORDER BY seq LIMIT ?'),
    outboxDone: db.prepare('DELETE FROM outbox WHERE seq = ?'),
    logHubEvent: db.prepare(
      `INSERT INTO inbox (id, source, source_event_id, event_type, received_at, headers, body) VALUES (?, 'hub', ?, ?, ?, '{}', ?)
       ON CONFLICT (source, source_event_id) DO NOTHING`,
    ),
    counts: db.prepare(
      `SELECT (SELECT COUNT(*) FROM inbox WHERE status = 'received') AS inbox,
              (SELECT COUNT(*) FROM inbox WHERE status = 'received' AND next_attempt_at > ?) AS deferred,
              (SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'in_flight')) AS deliveries,
              (SELECT COUNT(*) FROM dead_letters WHERE status = 'open') AS dead,
              (SELECT COUNT(*) FROM outbox) AS outbox`,
    ),
  };
}

export type SqliteStatements = ReturnType<typeof prepareStatements>;
