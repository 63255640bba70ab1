import type { DeadLetter } from '../ports';

/** A dead_letters row as SQLite returns it. */
export interface DeadLetterRecord {
  id: string;
  stage: DeadLetter['stage'];
  source: string;
  source_event_id: string;
  inbox_id: string | null;
  event_id: string | null;
  delivery_id: string | null;
  route: string | null;
  target: string | null;
  mapping: string | null;
  idempotency_key: string | null;
  error_code: string;
  error_message: string;
  attempts: number;
  first_attempt_at: number;
  last_attempt_at: number;
  payload: string;
  created_at: number;
  status: DeadLetter['status'];
  resolved_by: string | null;
  resolved_at: number | null;
}

const opt = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function deadLetterFromRow(r: DeadLetterRecord): DeadLetter {
  return {
    id: r.id,
    stage: r.stage,
    source: r.source,
    sourceEventId: r.source_event_id,
    inboxId: opt(r.inbox_id),
    eventId: opt(r.event_id),
    deliveryId: opt(r.delivery_id),
    route: opt(r.route),
    target: opt(r.target),
    mapping: opt(r.mapping),
    idempotencyKey: opt(r.idempotency_key),
    errorCode: r.error_code,
    errorMessage: r.error_message,
    attempts: r.attempts,
    firstAttemptAt: r.first_attempt_at,
    lastAttemptAt: r.last_attempt_at,
    payload: r.payload,
    createdAt: r.created_at,
    status: r.status,
    resolvedBy: opt(r.resolved_by),
    resolvedAt: opt(r.resolved_at),
  };
}
