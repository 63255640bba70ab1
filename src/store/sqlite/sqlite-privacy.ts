import { concernsSubject, parseStored, redactText, searchNeedles, type DataSubject } from '../../privacy/personal-data';
import { ulid } from '../../util/ids';
import type { PrivacyExport, PrivacyMatches, PrivacyRecord, PrivacyRequest, PrivacyStore } from '../privacy-ports';
import type { SqliteDatabase } from './open-database';

type Row = Record<string, unknown>;

/**
 * Where a personal-data search looks: table, JSON text column, which rows may be touched, and
 * whether personal fields are replaced (raw payloads keep their shape) or removed (the hub's own
 * documents, whose personal fields are optional: a redacted e-mail must not look like an address).
 */
const PLACES = {
  // Entries still waiting to be normalised are left alone: their mapping must see the real payload.
  inbox: { table: 'inbox', text: 'body', where: `status <> 'received'`, remove: false },
  events: { table: 'events', text: 'body', where: '1 = 1', remove: true },
  deadLetters: { table: 'dead_letters', text: 'payload', where: '1 = 1', remove: false },
  customers: { table: 'customers', text: 'record', where: '1 = 1', remove: true },
} as const;

type Place = keyof typeof PLACES;

/**
 * Privacy requests on the hub's SQLite file. `carryOut` runs inside the transaction that
 * completes the request's inbox entry (so the request and its effect commit together); the
 * other methods are their own transactions.
 */
export class SqlitePrivacy implements PrivacyStore {
  readonly #sql;

  constructor(
    private readonly db: SqliteDatabase,
    private readonly write: <T>(fn: () => T) => T,
  ) {
    this.#sql = {
      insert: db.prepare(
        `INSERT INTO privacy_requests (id, kind, source, source_event_id, subject, customer_ref, received_at, completed_at, matches, contact)
         VALUES (@id, @kind, @source, @sourceEventId, @subject, @customerRef, @receivedAt, @completedAt, @matches, @contact)`,
      ),
      list: db.prepare('SELECT * FROM privacy_requests ORDER BY received_at DESC, id DESC LIMIT ?'),
      get: db.prepare('SELECT * FROM privacy_requests WHERE id = ?'),
      forgetContacts: db.prepare(`UPDATE privacy_requests SET contact = NULL WHERE source = ? AND (? IS NULL OR customer_ref = ?)`),
      inboxRow: db.prepare('SELECT id, source_event_id, event_type, received_at, body FROM inbox WHERE id = ?'),
      eventRow: db.prepare('SELECT id, type, body FROM events WHERE id = ?'),
      customerRow: db.prepare('SELECT id, record FROM customers WHERE id = ?'),
      audit: db.prepare('INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)'),
      pruneInbox: db.prepare(
        `UPDATE inbox SET body = '', headers = '{}'
         WHERE received_at < @before AND body <> '' AND (status IN ('normalised', 'ignored')
           OR (status = 'failed' AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.inbox_id = inbox.id AND d.status = 'open')))`,
      ),
      pruneLetters: db.prepare(
        `UPDATE dead_letters SET payload = '' WHERE created_at < @before AND status <> 'open' AND stage IN ('verify', 'map') AND payload <> ''`,
      ),
    };
  }

  /**
   * Carries out a privacy request and records it. A redact request redacts the personal fields of
   * every stored document that concerns the customer (shop/redact: every document from that
   * connector) and forgets the contact of earlier data requests; a data request only finds them.
   */
  carryOut(request: PrivacyRequest, inbox: { id: string; sourceEventId: string; receivedAt: number }, now: number): string {
    const shop = request.kind === 'shop_redact';
    const matches = shop ? this.#shopDocuments(request.source) : this.#subjectDocuments(request);
    if (request.kind !== 'customer_data_request') {
      for (const place of Object.keys(PLACES) as Place[]) this.#redact(place, matches[place]);
      if (shop || request.customerId)
        this.#sql.forgetContacts.run(request.source, shop ? null : request.customerId, request.customerId ?? null);
    }
    const id = ulid(now);
    const subject = shop ? `shop ${request.shopDomain ?? request.source}` : `customer ${request.customerId ?? '(by e-mail)'}`;
    const contact =
      request.kind === 'customer_data_request' ? { email: request.email, phone: request.phone, requestId: request.requestId } : undefined;
    this.#sql.insert.run({
      id,
      kind: request.kind,
      source: request.source,
      sourceEventId: inbox.sourceEventId,
      subject,
      customerRef: request.customerId ?? null,
      receivedAt: inbox.receivedAt,
      completedAt: now,
      matches: JSON.stringify(matches),
      contact: contact ? JSON.stringify(contact) : null,
    });
    const counts = Object.fromEntries(Object.entries(matches).map(([k, v]) => [k, (v as string[]).length]));
    this.#sql.audit.run(now, `${request.source}:privacy`, `privacy.${request.kind}`, id, JSON.stringify({ subject, ...counts }));
    return id;
  }

  async listRequests(limit: number): Promise<PrivacyRecord[]> {
    return (this.#sql.list.all(limit) as Row[]).map(recordOf);
  }

  async getRequest(id: string): Promise<PrivacyExport | PrivacyRecord | undefined> {
    const row = this.#sql.get.get(id) as Row | undefined;
    if (!row) return undefined;
    const record = recordOf(row);
    if (record.kind !== 'customer_data_request') return record;
    const m = record.matches;
    const rows = <T>(ids: string[], stmt: { get(id: string): unknown }) =>
      ids.map((x) => stmt.get(x) as T | undefined).filter((x): x is T => x !== undefined);
    return {
      ...record,
      data: {
        inbox: rows<Row>(m.inbox, this.#sql.inboxRow).map((r) => ({
          id: r.id as string,
          sourceEventId: r.source_event_id as string,
          ...(r.event_type ? { eventType: r.event_type as string } : {}),
          receivedAt: r.received_at as number,
          body: parseStored(r.body as string),
        })),
        events: rows<Row>(m.events, this.#sql.eventRow).map((r) => ({
          id: r.id as string,
          type: r.type as string,
          body: parseStored(r.body as string),
        })),
        customers: rows<Row>(m.customers, this.#sql.customerRow).map((r) => ({
          id: r.id as string,
          record: parseStored(r.record as string),
        })),
      },
    };
  }

  async pruneRawBodies(before: number, now: number): Promise<number> {
    return this.write(() => {
      const inbox = this.#sql.pruneInbox.run({ before }).changes;
      const letters = this.#sql.pruneLetters.run({ before }).changes;
      if (inbox + letters > 0)
        this.#sql.audit.run(
          now,
          'retention',
          'inbox.prune_raw_bodies',
          new Date(before).toISOString(),
          JSON.stringify({ inbox, deadLetters: letters }),
        );
      return inbox;
    });
  }

  /** Documents that concern the subject: a cheap text pre-filter in SQL, then a check of the parsed document. */
  #subjectDocuments(request: PrivacyRequest): PrivacyMatches {
    const who: DataSubject = { customerId: request.customerId, email: request.email, phone: request.phone, orderIds: request.orderIds };
    const needles = searchNeedles(who);
    const found = (place: Place): string[] => {
      const p = PLACES[place];
      if (needles.length === 0) return [];
      const like = needles.map(() => `instr(lower(${p.text}), ?) > 0`).join(' OR ');
      const rows = this.db.prepare(`SELECT id, ${p.text} AS text FROM ${p.table} WHERE ${p.where} AND (${like})`).all(...needles) as Row[];
      return rows.filter((r) => concernsSubject(parseStored(r.text as string), who)).map((r) => r.id as string);
    };
    const inbox = found('inbox');
    // Canonical events made from a matching webhook concern the subject too.
    const events = [...new Set([...found('events'), ...this.#eventsOf(inbox)])];
    return { inbox, events, deadLetters: found('deadLetters'), customers: found('customers') };
  }

  /** Everything a shop's connector brought in, and the customers that came from it. */
  #shopDocuments(source: string): PrivacyMatches {
    const ids = (sql: string, ...args: unknown[]) =>
      this.db
        .prepare(sql)
        .pluck()
        .all(...args) as string[];
    return {
      inbox: ids(`SELECT id FROM inbox WHERE source = ? AND status <> 'received'`, source),
      events: ids('SELECT e.id FROM events e JOIN inbox i ON i.id = e.inbox_id WHERE i.source = ?', source),
      deadLetters: ids('SELECT id FROM dead_letters WHERE source = ?', source),
      customers: ids(`SELECT id FROM customers WHERE json_extract(record, '$.shopifyCustomerId') IS NOT NULL`),
    };
  }

  #eventsOf(inboxIds: string[]): string[] {
    if (inboxIds.length === 0) return [];
    const stmt = this.db.prepare('SELECT id FROM events WHERE inbox_id = ?').pluck();
    return inboxIds.flatMap((id) => stmt.all(id) as string[]);
  }

  #redact(place: Place, ids: string[]): void {
    const p = PLACES[place];
    const read = this.db.prepare(`SELECT ${p.text} FROM ${p.table} WHERE id = ?`).pluck();
    const update = this.db.prepare(`UPDATE ${p.table} SET ${p.text} = ? WHERE id = ?`);
    for (const id of ids) {
      const text = read.get(id) as string | undefined;
      if (text !== undefined) update.run(redactText(text, p.remove), id);
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
