import type { Pool } from 'pg';
import { concernsSubject, parseStored, redactText, searchNeedles, type DataSubject } from '../../privacy/personal-data';
import { ulid } from '../../util/ids';
import type { PrivacyExport, PrivacyMatches, PrivacyRecord, PrivacyRequest, PrivacyStore } from '../privacy-ports';
import { inTransaction, query, type Tx } from './pg-tx';

type Row = Record<string, unknown>;

/**
 * Where a personal-data search looks (as in the SQLite adapter): table, the document as text and
 * how it is written back, which rows may be touched, and whether personal fields are replaced
 * (raw payloads keep their shape) or removed (the hub's own documents).
 */
const PLACES = {
  // Entries still waiting to be normalised are left alone: their mapping must see the real payload.
  inbox: { table: 'inbox', text: 'body', write: 'body = $1', where: `status <> 'received'`, remove: false },
  events: { table: 'events', text: 'body', write: 'body = $1', where: 'true', remove: true },
  deadLetters: { table: 'dead_letters', text: 'payload', write: 'payload = $1', where: 'true', remove: false },
  customers: { table: 'customers', text: 'record::text', write: 'record = $1::jsonb', where: 'true', remove: true },
} as const;

type Place = keyof typeof PLACES;

/**
 * Privacy requests on PostgreSQL. `carryOut` runs inside the transaction that completes the
 * request's inbox entry (the request and its effect commit together); the other methods are their
 * own transactions.
 */
export class PgPrivacy implements PrivacyStore {
  constructor(private readonly pool: Pool) {}

  /**
   * Carries out a privacy request and records it, inside the caller's transaction. A redact request
   * redacts the personal fields of every stored document that concerns the customer (shop/redact:
   * every document from that connector) and forgets the contact of earlier data requests; a data
   * request only finds them.
   */
  async carryOut(
    tx: Tx,
    request: PrivacyRequest,
    inbox: { id: string; sourceEventId: string; receivedAt: number },
    now: number,
  ): Promise<string> {
    const shop = request.kind === 'shop_redact';
    const matches = shop ? await this.#shopDocuments(tx, request.source) : await this.#subjectDocuments(tx, request);
    if (request.kind !== 'customer_data_request') {
      for (const place of Object.keys(PLACES) as Place[]) await this.#redact(tx, place, matches[place]);
      if (shop || request.customerId)
        await tx.sql(`UPDATE privacy_requests SET contact = NULL WHERE source = $1 AND ($2::text IS NULL OR customer_ref = $2)`, [
          request.source,
          shop ? null : (request.customerId ?? null),
        ]);
    }
    const id = ulid(now);
    const subject = shop ? `shop ${request.shopDomain ?? request.source}` : `customer ${request.customerId ?? '(by e-mail)'}`;
    const contact =
      request.kind === 'customer_data_request' ? { email: request.email, phone: request.phone, requestId: request.requestId } : undefined;
    await tx.sql(
      `INSERT INTO privacy_requests (id, kind, source, source_event_id, subject, customer_ref, received_at, completed_at, matches, contact)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [
        id,
        request.kind,
        request.source,
        inbox.sourceEventId,
        subject,
        request.customerId ?? null,
        inbox.receivedAt,
        now,
        JSON.stringify(matches),
        contact ? JSON.stringify(contact) : null,
      ],
    );
    const counts = Object.fromEntries(Object.entries(matches).map(([k, v]) => [k, (v as string[]).length]));
    await tx.sql('INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)', [
      now,
      `${request.source}:privacy`,
      `privacy.${request.kind}`,
      id,
      JSON.stringify({ subject, ...counts }),
    ]);
    return id;
  }

  async listRequests(limit: number): Promise<PrivacyRecord[]> {
    return (await query(this.pool, 'SELECT * FROM privacy_requests ORDER BY received_at DESC, id DESC LIMIT $1', [limit])).map(recordOf);
  }

  async getRequest(id: string): Promise<PrivacyExport | PrivacyRecord | undefined> {
    const [row] = await query(this.pool, 'SELECT * FROM privacy_requests WHERE id = $1', [id]);
    if (!row) return undefined;
    const record = recordOf(row);
    if (record.kind !== 'customer_data_request') return record;
    const m = record.matches;
    const rows = async (sql: string, ids: string[]): Promise<Row[]> => {
      const found = new Map((await query(this.pool, sql, [ids])).map((r) => [r.id as string, r]));
      return ids.map((x) => found.get(x)).filter((x): x is Row => x !== undefined);
    };
    const inbox = await rows('SELECT id, source_event_id, event_type, received_at, body FROM inbox WHERE id = ANY($1::text[])', m.inbox);
    const events = await rows('SELECT id, type, body FROM events WHERE id = ANY($1::text[])', m.events);
    const customers = await rows('SELECT id, record::text AS record FROM customers WHERE id = ANY($1::text[])', m.customers);
    return {
      ...record,
      data: {
        inbox: inbox.map((r) => ({
          id: r.id as string,
          sourceEventId: r.source_event_id as string,
          ...(r.event_type ? { eventType: r.event_type as string } : {}),
          receivedAt: r.received_at as number,
          body: parseStored(r.body as string),
        })),
        events: events.map((r) => ({ id: r.id as string, type: r.type as string, body: parseStored(r.body as string) })),
        customers: customers.map((r) => ({ id: r.id as string, record: parseStored(r.record as string) })),
      },
    };
  }

  async pruneRawBodies(before: number, now: number): Promise<number> {
    return inTransaction(this.pool, async (tx) => {
      const inbox = await tx.run(
        `UPDATE inbox SET body = '', headers = '{}'
         WHERE received_at < $1 AND body <> '' AND (status IN ('normalised', 'ignored')
           OR (status = 'failed' AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.inbox_id = inbox.id AND d.status = 'open')))`,
        [before],
      );
      const letters = await tx.run(
        `UPDATE dead_letters SET payload = '' WHERE created_at < $1 AND status <> 'open' AND stage IN ('verify', 'map') AND payload <> ''`,
        [before],
      );
      if (inbox + letters > 0)
        await tx.sql('INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5)', [
          now,
          'retention',
          'inbox.prune_raw_bodies',
          new Date(before).toISOString(),
          JSON.stringify({ inbox, deadLetters: letters }),
        ]);
      return inbox;
    });
  }

  /** Documents that concern the subject: a cheap text pre-filter in SQL, then a check of the parsed document. */
  async #subjectDocuments(tx: Tx, request: PrivacyRequest): Promise<PrivacyMatches> {
    const who: DataSubject = { customerId: request.customerId, email: request.email, phone: request.phone, orderIds: request.orderIds };
    const needles = searchNeedles(who);
    const found = async (place: Place): Promise<string[]> => {
      const p = PLACES[place];
      if (needles.length === 0) return [];
      const rows = await tx.sql(
        `SELECT id, ${p.text} AS text FROM ${p.table} WHERE ${p.where} AND EXISTS (SELECT 1 FROM unnest($1::text[]) n WHERE strpos(lower(${p.text}), n) > 0)`,
        [needles],
      );
      return rows.filter((r) => concernsSubject(parseStored(r.text as string), who)).map((r) => r.id as string);
    };
    const inbox = await found('inbox');
    // Canonical events made from a matching webhook concern the subject too.
    const fromInbox = inbox.length
      ? (await tx.sql('SELECT id FROM events WHERE inbox_id = ANY($1::text[])', [inbox])).map((r) => r.id as string)
      : [];
    const events = [...new Set([...(await found('events')), ...fromInbox])];
    return { inbox, events, deadLetters: await found('deadLetters'), customers: await found('customers') };
  }

  /** Everything a shop's connector brought in, and the customers that came from it. */
  async #shopDocuments(tx: Tx, source: string): Promise<PrivacyMatches> {
    const ids = async (sql: string, args: unknown[] = []) => (await tx.sql(sql, args)).map((r) => r.id as string);
    return {
      inbox: await ids(`SELECT id FROM inbox WHERE source = $1 AND status <> 'received' ORDER BY id`, [source]),
      events: await ids('SELECT e.id FROM events e JOIN inbox i ON i.id = e.inbox_id WHERE i.source = $1 ORDER BY e.id', [source]),
      deadLetters: await ids('SELECT id FROM dead_letters WHERE source = $1 ORDER BY id', [source]),
      customers: await ids(`SELECT id FROM customers WHERE record ->> 'shopifyCustomerId' IS NOT NULL ORDER BY id`),
    };
  }

  async #redact(tx: Tx, place: Place, ids: string[]): Promise<void> {
    const p = PLACES[place];
    for (const id of ids) {
      const [r] = await tx.sql(`SELECT ${p.text} AS text FROM ${p.table} WHERE id = $1 FOR UPDATE`, [id]);
      if (r) await tx.sql(`UPDATE ${p.table} SET ${p.write} WHERE id = $2`, [redactText(r.text as string, p.remove), id]);
    }
  }
}

function recordOf(r: Row): PrivacyRecord {
  return {
    id: r.id as string,
    kind: r.kind as PrivacyRecord['kind'],
    source: r.source as string,
    sourceEventId: r.source_event_id as string,
    subject: r.subject as string,
    receivedAt: r.received_at as number,
    completedAt: r.completed_at as number,
    matches: JSON.parse(r.matches as string) as PrivacyMatches,
    ...(r.contact ? { contact: JSON.parse(r.contact as string) as PrivacyRecord['contact'] } : {}),
  };
}
