import type { InboxEntry, LoggedEntry } from '../ports';

/**
 * The inbox topic's message: a verified webhook (or a derived hub event) as received, with the
 * inbox id the producing hub gave it. Versioned: a reader refuses (dead-letters) what it cannot read.
 */
interface InboxMessageV1 extends LoggedEntry {
  v: 1;
}

export function encodeEntry(entry: LoggedEntry): Buffer {
  const message: InboxMessageV1 = { v: 1, ...entry };
  return Buffer.from(JSON.stringify(message));
}

/** The entry in a message, or why it is not one. */
export function decodeEntry(value: Buffer | null): { entry: LoggedEntry } | { error: string } {
  if (!value) return { error: 'the message has no value' };
  let m: Partial<InboxMessageV1>;
  try {
    m = JSON.parse(value.toString('utf8')) as Partial<InboxMessageV1>;
  } catch (e) {
    return { error: `the message is not JSON: ${(e as Error).message}` };
  }
  if (m === null || typeof m !== 'object' || m.v !== 1)
    return { error: `the message is not an inbox message of version 1 (v: ${String(m?.v)})` };
  const text = (x: unknown) => typeof x === 'string' && x.length > 0;
  if (!text(m.id) || !text(m.source) || !text(m.sourceEventId) || typeof m.body !== 'string' || typeof m.receivedAt !== 'number')
    return { error: 'the message lacks id, source, sourceEventId, receivedAt or body' };
  const entry: InboxEntry & { id: string } = {
    id: m.id!,
    source: m.source!,
    sourceEventId: m.sourceEventId!,
    receivedAt: m.receivedAt,
    headers: m.headers && typeof m.headers === 'object' ? m.headers : {},
    body: m.body,
    ...(typeof m.eventType === 'string' ? { eventType: m.eventType } : {}),
    ...(typeof m.contentKey === 'string' ? { contentKey: m.contentKey } : {}),
  };
  return { entry };
}
