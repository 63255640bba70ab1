import type {
  AuditRecord,
  CustomerSummary,
  DeadLetterSummary,
  DeliveryDetail,
  DunningSummary,
  EventSummary,
  EventTimeline,
  SubscriptionSummary,
} from './operator-ports';
import type { DeadLetter } from './ports';

/** Row mapping shared by the OperatorViews adapters (both name their columns alike). */

type Row = Record<string, unknown>;

export const DEAD_LETTER_STATUSES: ReadonlyArray<DeadLetter['status']> = ['open', 'replayed', 'discarded'];

/** A dead letter without its payload. */
export function deadLetterSummary(d: DeadLetter): DeadLetterSummary {
  const { payload: _payload, ...rest } = d;
  return rest;
}

/** An inbox row joined with its event (columns e_id, e_type, e_entity; null without one). */
export function eventSummary(r: Row): EventSummary {
  return {
    inboxId: r.id as string,
    source: r.source as string,
    sourceEventId: r.source_event_id as string,
    ...(r.event_type === null ? {} : { eventType: r.event_type as string }),
    receivedAt: Number(r.received_at),
    status: r.status as string,
    ...(r.e_id === null || r.e_id === undefined
      ? {}
      : { event: { id: r.e_id as string, type: r.e_type as string, entityKey: r.e_entity as string } }),
  };
}

/**
 * The upper bound of a prefix range: every string that starts with `prefix` is >= prefix and
 * < prefixEnd(prefix) in byte order (SQLite's, PostgreSQL's "C" collation): U+10FFFF encodes
 * above every other character in UTF-8.
 */
export function prefixEnd(prefix: string): string {
  return `${prefix}\u{10FFFF}`;
}

/**
 * How a subscription search (`q`) matches, in listing order: the hub ids with the prefix, then the
 * provider ids, then the customer ids; a subscription is listed under the first kind it matches.
 * `from`: the kind the cursor is in.
 */
export function subscriptionKinds(from: number): Array<{ index: number; column: string; excluded: string[] }> {
  return [
    { index: 0, column: 'id', excluded: [] },
    { index: 1, column: 'provider_id', excluded: ['id'] },
    { index: 2, column: 'customer_id', excluded: ['id', 'provider_id'] },
  ].filter((k) => k.index >= from);
}

/** Audit details are JSON text when written by the hub; anything else is returned as written. */
export function auditDetail(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export function decisionEntry(d: Row): EventTimelineDecision {
  return {
    at: d.at as string,
    kind: d.kind as string,
    subject: d.subject as string,
    outcome: d.outcome as string,
    rule: d.rule as string,
    ...(d.detail === null || d.detail === undefined ? {} : { detail: JSON.parse(d.detail as string) as unknown }),
  };
}

type EventTimelineDecision = EventTimeline['decisions'][number];

export function deliveryDetail(d: Row): DeliveryDetail {
  return {
    id: d.id as string,
    route: d.route as string,
    target: d.target as string,
    action: d.action as string,
    mapping: d.mapping as string,
    idempotencyKey: d.idempotency_key as string,
    status: d.status as string,
    attempts: d.attempts as number,
    createdAt: Number(d.created_at),
    ...(d.first_attempt_at === null ? {} : { firstAttemptAt: Number(d.first_attempt_at) }),
    ...(d.last_attempt_at === null ? {} : { lastAttemptAt: Number(d.last_attempt_at) }),
    nextAttemptAt: Number(d.next_attempt_at),
    ...(d.last_error === null ? {} : { lastError: d.last_error as string }),
  };
}

export function auditRecord(r: Row): AuditRecord {
  return {
    at: Number(r.at),
    actor: r.actor as string,
    action: r.action as string,
    subject: r.subject as string,
    ...(r.detail === null ? {} : { detail: auditDetail(r.detail as string) }),
  };
}

export function subscriptionSummary(r: Row): SubscriptionSummary {
  return {
    id: r.id as string,
    providerId: r.provider_id as string,
    customerId: r.customer_id as string,
    status: r.status as string,
    ...(r.next_delivery === null ? {} : { nextDelivery: r.next_delivery as string }),
  };
}

export function dunningSummary(r: Row): DunningSummary {
  const record = JSON.parse(r.record as string) as { attempts: number; method: string; deliver: boolean };
  return {
    subscriptionId: r.subscription_id as string,
    customerId: r.customer_id as string,
    stage: r.stage as string,
    startedAt: r.started_at as string,
    unpaidMinor: Number(r.unpaid_minor),
    attempts: record.attempts,
    method: record.method,
    deliver: record.deliver,
  };
}

export function customerSummary(id: string, record: Row): CustomerSummary {
  return {
    id,
    blacklisted: record.blacklisted === true,
    ...(typeof record.blacklistedAt === 'string' ? { blacklistedAt: record.blacklistedAt } : {}),
    defaults: Array.isArray(record.defaults) ? record.defaults.length : 0,
    ...(typeof record.email === 'string' ? { email: record.email } : {}),
  };
}
