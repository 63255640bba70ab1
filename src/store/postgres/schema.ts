/**
 * The PostgreSQL schema as versioned migrations; append only, never edit a released one. The same
 * data as the SQLite schema (src/store/sqlite/migrations.ts), numbered on its own, shaped for
 * several hubs writing at once:
 *
 * - Times are epoch ms in `bigint`; dates the domain keeps as ISO text stay `text`.
 * - Raw webhook bodies, headers and canonical events are `text`: byte-identical to what was
 *   received or built (jsonb would reorder keys and drop whitespace). `jsonb` only where SQL looks
 *   inside a document (proposals, customers).
 * - Deduplication is a unique constraint, never a read-then-write: the inbox per (source,
 *   source_event_id) and per (source, content_key), deliveries per (event_id, route), one open
 *   proposal per (sku, location), derived events per dedupe key in the outbox. Writers use
 *   `INSERT … ON CONFLICT DO NOTHING` and read the existing row when nothing was inserted.
 * - Work queues have partial indexes over their open rows only, in claim order, for
 *   `… ORDER BY … LIMIT n FOR UPDATE SKIP LOCKED`; finished rows pile up outside them.
 * - `seq` columns (`bigserial`) order rows of one writer; concurrent transactions may commit
 *   them out of order, so order between writers needs a lock (per-entity delivery order).
 */
export interface PgMigration {
  version: number;
  /** What the migration does, kept in schema_migrations. */
  name: string;
  /** Run inside the migration transaction (no CREATE INDEX CONCURRENTLY here). */
  sql: string;
}

export const PG_MIGRATIONS: ReadonlyArray<PgMigration> = [
  {
    version: 1,
    name: 'inbox, events, deliveries, dead letters, audit',
    sql: `
      CREATE TABLE inbox (
        id text PRIMARY KEY,
        source text NOT NULL,
        source_event_id text NOT NULL,
        event_type text,
        received_at bigint NOT NULL,
        headers text NOT NULL,
        body text NOT NULL,
        content_key text,
        status text NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'normalised', 'ignored', 'failed')),
        lease_until bigint,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at bigint,
        enrichment text,
        detail text,
        CONSTRAINT inbox_source_event UNIQUE (source, source_event_id)
      );
      -- Sources whose signature does not cover the delivery id (Shopify) deduplicate by content.
      CREATE UNIQUE INDEX inbox_content ON inbox (source, content_key) WHERE content_key IS NOT NULL;
      -- Claims and the pending listing: WHERE status = 'received' ORDER BY received_at, id.
      CREATE INDEX inbox_claim ON inbox (received_at, id) WHERE status = 'received';
      -- The ignored-events listing groups by (source, event_type, detail).
      CREATE INDEX inbox_ignored ON inbox (source, event_type, received_at) WHERE status = 'ignored';

      CREATE TABLE events (
        id text PRIMARY KEY,
        inbox_id text NOT NULL REFERENCES inbox (id),
        type text NOT NULL,
        entity_key text NOT NULL,
        body text NOT NULL,
        created_at bigint NOT NULL
      );
      CREATE INDEX events_inbox ON events (inbox_id);

      CREATE TABLE deliveries (
        seq bigserial PRIMARY KEY,
        id text NOT NULL UNIQUE,
        event_id text NOT NULL REFERENCES events (id),
        route text NOT NULL,
        target text NOT NULL,
        action text NOT NULL,
        mapping text NOT NULL,
        entity_key text NOT NULL,
        idempotency_key text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_flight', 'done', 'dead')),
        -- Per-entity order: true while an earlier delivery of the same (target, entity_key) is open.
        blocked boolean NOT NULL DEFAULT false,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at bigint NOT NULL,
        first_attempt_at bigint,
        last_attempt_at bigint,
        lease_until bigint,
        last_error text,
        created_at bigint NOT NULL,
        CONSTRAINT deliveries_event_route UNIQUE (event_id, route)
      );
      -- Claims: WHERE status = 'pending' AND NOT blocked AND next_attempt_at <= $now ORDER BY next_attempt_at, seq.
      CREATE INDEX deliveries_claimable ON deliveries (next_attempt_at, seq) WHERE status = 'pending' AND NOT blocked;
      -- Expired leases: WHERE status = 'in_flight' AND lease_until < $now.
      CREATE INDEX deliveries_in_flight ON deliveries (lease_until) WHERE status = 'in_flight';
      -- Blocking and unblocking: the open deliveries of one (target, entity_key), by seq.
      CREATE INDEX deliveries_open_entity ON deliveries (target, entity_key, seq) WHERE status IN ('pending', 'in_flight');

      CREATE TABLE dead_letters (
        id text PRIMARY KEY,
        stage text NOT NULL CHECK (stage IN ('verify', 'map', 'route', 'deliver')),
        source text NOT NULL,
        source_event_id text NOT NULL,
        inbox_id text,
        event_id text,
        delivery_id text,
        route text,
        target text,
        mapping text,
        idempotency_key text,
        error_code text NOT NULL,
        error_message text NOT NULL,
        attempts integer NOT NULL,
        first_attempt_at bigint NOT NULL,
        last_attempt_at bigint NOT NULL,
        payload text NOT NULL,
        created_at bigint NOT NULL,
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replayed', 'discarded')),
        resolved_by text,
        resolved_at bigint
      );
      -- Listings: ORDER BY created_at DESC, id DESC, optionally by status.
      CREATE INDEX dead_letters_status ON dead_letters (status, created_at, id);
      CREATE INDEX dead_letters_created ON dead_letters (created_at, id);
      CREATE INDEX dead_letters_source ON dead_letters (source, source_event_id);
      -- Retention keeps failed inbox bodies while an open dead letter points at them.
      CREATE INDEX dead_letters_inbox ON dead_letters (inbox_id) WHERE inbox_id IS NOT NULL;

      CREATE TABLE audit (
        id bigserial PRIMARY KEY,
        at bigint NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        subject text NOT NULL,
        detail text
      );
    `,
  },
  {
    version: 2,
    name: 'subscription domain: projections, demand, customers, dunning, proposals, decisions',
    sql: `
      CREATE TABLE subscriptions (
        id text PRIMARY KEY,
        provider_id text NOT NULL,
        customer_id text NOT NULL,
        status text NOT NULL,
        next_delivery text,
        occurred_at text NOT NULL,
        version bigint NOT NULL,
        state text NOT NULL
      );
      CREATE INDEX subscriptions_provider ON subscriptions (provider_id);
      CREATE INDEX subscriptions_customer ON subscriptions (customer_id);

      -- location NULL: recorded without one (the default location).
      CREATE TABLE demand (
        subscription_id text NOT NULL,
        period text NOT NULL,
        customer_id text NOT NULL,
        location text,
        status text NOT NULL CHECK (status IN ('reserved', 'released')),
        lines text NOT NULL,
        revision integer NOT NULL,
        event_id text NOT NULL,
        reason text NOT NULL,
        PRIMARY KEY (subscription_id, period)
      );
      CREATE INDEX demand_period ON demand (period, status);
      CREATE INDEX demand_customer ON demand (customer_id);

      CREATE TABLE demand_lines (
        subscription_id text NOT NULL,
        period text NOT NULL,
        sku text NOT NULL,
        quantity integer NOT NULL,
        PRIMARY KEY (subscription_id, period, sku)
      );
      CREATE INDEX demand_lines_period ON demand_lines (period, sku);

      CREATE TABLE customers (
        id text PRIMARY KEY,
        blacklisted boolean NOT NULL DEFAULT false,
        record jsonb NOT NULL
      );
      CREATE INDEX customers_blacklisted ON customers (id) WHERE blacklisted;

      CREATE TABLE dunning (
        subscription_id text PRIMARY KEY,
        customer_id text NOT NULL,
        record text NOT NULL
      );
      CREATE INDEX dunning_customer ON dunning (customer_id);

      CREATE TABLE proposals (
        id text PRIMARY KEY,
        sku text NOT NULL,
        location text NOT NULL,
        status text NOT NULL CHECK (status IN ('open', 'closed')),
        record jsonb NOT NULL
      );
      CREATE UNIQUE INDEX proposals_one_open ON proposals (sku, location) WHERE status = 'open';
      -- In transit: WHERE status = 'closed' AND record @> '{"confirmed": true}' AND NOT record @> '{"received": true}'.
      CREATE INDEX proposals_in_transit ON proposals (id)
        WHERE status = 'closed' AND record @> '{"confirmed": true}' AND NOT record @> '{"received": true}';
      -- Retention: closed proposals by (record->>'proposedAt').
      CREATE INDEX proposals_closed_at ON proposals ((record ->> 'proposedAt')) WHERE status = 'closed';

      CREATE TABLE decisions (
        seq bigserial PRIMARY KEY,
        at text NOT NULL,
        kind text NOT NULL,
        subject text NOT NULL,
        event_id text,
        outcome text NOT NULL,
        rule text NOT NULL,
        detail text
      );
      CREATE INDEX decisions_subject ON decisions (subject, seq);
      CREATE INDEX decisions_kind ON decisions (kind, seq);
      -- Retention deletes the decision trail by date.
      CREATE INDEX decisions_at ON decisions (at);
    `,
  },
  {
    version: 3,
    name: 'privacy requests',
    sql: `
      CREATE TABLE privacy_requests (
        id text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('customer_redact', 'customer_data_request', 'shop_redact')),
        source text NOT NULL,
        source_event_id text NOT NULL,
        subject text NOT NULL,
        customer_ref text,
        received_at bigint NOT NULL,
        completed_at bigint NOT NULL,
        matches text NOT NULL,
        contact text
      );
      CREATE INDEX privacy_requests_received ON privacy_requests (received_at, id);
      CREATE INDEX privacy_requests_source ON privacy_requests (source, customer_ref);
    `,
  },
  {
    version: 4,
    name: 'outbox for derived events, per-customer domain versions',
    sql: `
      -- Hub events derived from a domain change, written in the transaction of that change and
      -- relayed to the inbox (source 'hub', source_event_id = dedupe_key) afterwards.
      CREATE TABLE outbox (
        id text PRIMARY KEY,
        dedupe_key text NOT NULL,
        event_type text NOT NULL,
        event text NOT NULL,
        created_at bigint NOT NULL,
        CONSTRAINT outbox_dedupe UNIQUE (dedupe_key)
      );
      CREATE INDEX outbox_relay ON outbox (created_at, id);

      -- Optimistic concurrency per customer (the domain's consistency unit): a commit computed at
      -- version v updates WHERE version = v and is a retryable conflict when no row matched.
      CREATE TABLE domain_units (
        customer_id text PRIMARY KEY,
        version bigint NOT NULL DEFAULT 0
      );
    `,
  },
  {
    version: 5,
    name: 'inbox claimed and outbox relayed in the order rows were stored (sequences), not by clocks or ids',
    sql: `
      -- received_at comes from the clock of the hub that took the webhook: with hubs on several
      -- machines a skewed clock put an event before the one acknowledged ahead of it. The arrival
      -- number is the database's: an entry stored after another was acknowledged gets a higher one.
      -- Entries already stored keep their order (received_at, id).
      CREATE SEQUENCE inbox_arrival AS bigint;
      ALTER TABLE inbox ADD COLUMN arrival bigint;
      UPDATE inbox i SET arrival = o.n FROM (SELECT id, row_number() OVER (ORDER BY received_at, id) AS n FROM inbox) o WHERE i.id = o.id;
      SELECT setval('inbox_arrival', COALESCE((SELECT max(arrival) FROM inbox), 0) + 1, false);
      ALTER TABLE inbox ALTER COLUMN arrival SET DEFAULT nextval('inbox_arrival'), ALTER COLUMN arrival SET NOT NULL;
      ALTER SEQUENCE inbox_arrival OWNED BY inbox.arrival;
      -- Claims and the pending listing: WHERE status = 'received' ORDER BY arrival.
      DROP INDEX inbox_claim;
      CREATE INDEX inbox_claim ON inbox (arrival) WHERE status = 'received';

      -- The outbox relays in the order rows were written (as the embedded store's does): the ids
      -- (ULIDs of the commit time) of one commit's rows are not in the order they were derived when
      -- the process made other ids in between. Rows already queued keep their order (created_at, id).
      CREATE SEQUENCE outbox_seq AS bigint;
      ALTER TABLE outbox ADD COLUMN seq bigint;
      UPDATE outbox x SET seq = o.n FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) AS n FROM outbox) o WHERE x.id = o.id;
      SELECT setval('outbox_seq', COALESCE((SELECT max(seq) FROM outbox), 0) + 1, false);
      ALTER TABLE outbox ALTER COLUMN seq SET DEFAULT nextval('outbox_seq'), ALTER COLUMN seq SET NOT NULL;
      ALTER SEQUENCE outbox_seq OWNED BY outbox.seq;
      DROP INDEX outbox_relay;
      CREATE INDEX outbox_relay ON outbox (seq);
    `,
  },
  {
    version: 6,
    name: 'the canonical event stream: events waiting to be published to Kafka',
    sql: `
      -- Written with each canonical event when the stream is on (eventLog.kafka.canonicalStream),
      -- deleted once the broker acknowledged it: an outbox, so the topic and the database never
      -- disagree by a dual write. Published in seq order (one relay at a time).
      CREATE TABLE event_stream (
        seq bigserial PRIMARY KEY,
        event_id text NOT NULL,
        entity_key text NOT NULL,
        body text NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: 'operator views: search and list indexes, kept subscription counts and demand totals, dunning board columns',
    sql: `
      -- Text parts of sort keys are compared in "C" (byte) order, whatever the database's
      -- collation: cursors then agree with the adapters' merge order, and prefix ranges work.
      -- events carry their inbox entry's received_at: event searches page events and inbox
      -- entries in one order, (received_at, inbox id) newest first.
      ALTER TABLE events ADD COLUMN received_at bigint;
      UPDATE events e SET received_at = i.received_at FROM inbox i WHERE i.id = e.inbox_id;
      CREATE INDEX events_type_received ON events (type, received_at, inbox_id COLLATE "C");
      CREATE INDEX events_entity_received ON events (entity_key, received_at, inbox_id COLLATE "C");
      CREATE INDEX inbox_source_event_received ON inbox (source_event_id, received_at, id COLLATE "C");
      CREATE INDEX inbox_type_received ON inbox (event_type, received_at, id COLLATE "C");
      CREATE INDEX inbox_received ON inbox (received_at, id COLLATE "C");

      CREATE INDEX decisions_event ON decisions (event_id, seq) WHERE event_id IS NOT NULL;
      CREATE INDEX decisions_kind_outcome ON decisions (kind, outcome, at);
      CREATE INDEX audit_subject ON audit (subject, id);

      CREATE INDEX dead_letters_status_created ON dead_letters (status, created_at, id COLLATE "C");
      CREATE INDEX dead_letters_stage ON dead_letters (status, stage, created_at, id COLLATE "C");
      CREATE INDEX dead_letters_by_source ON dead_letters (status, source, created_at, id COLLATE "C");
      CREATE INDEX dead_letters_target ON dead_letters (status, target, created_at, id COLLATE "C");
      CREATE INDEX dead_letters_error ON dead_letters (status, error_code, created_at, id COLLATE "C");

      CREATE INDEX subscriptions_by_id ON subscriptions (id COLLATE "C");
      CREATE INDEX subscriptions_status ON subscriptions (status, id COLLATE "C");
      CREATE INDEX subscriptions_provider_prefix ON subscriptions (provider_id COLLATE "C", id COLLATE "C");
      CREATE INDEX subscriptions_customer_prefix ON subscriptions (customer_id COLLATE "C", id COLLATE "C", provider_id COLLATE "C");

      -- How many subscriptions per status, kept by a trigger in the transaction of every write.
      CREATE TABLE subscription_counts (status text PRIMARY KEY, n bigint NOT NULL);
      INSERT INTO subscription_counts (status, n) SELECT status, count(*) FROM subscriptions GROUP BY status;
      CREATE FUNCTION subscriptions_counted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          UPDATE subscription_counts SET n = n - 1 WHERE status = OLD.status;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          INSERT INTO subscription_counts (status, n) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET n = subscription_counts.n + 1;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER subscriptions_counted_insert AFTER INSERT OR DELETE ON subscriptions FOR EACH ROW EXECUTE FUNCTION subscriptions_counted();
      CREATE TRIGGER subscriptions_counted_update AFTER UPDATE OF status ON subscriptions FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION subscriptions_counted();

      CREATE INDEX customers_blacklisted_at ON customers ((COALESCE(record ->> 'blacklistedAt', '') COLLATE "C"), (id COLLATE "C")) WHERE blacklisted;

      -- The dunning board's columns, written with the record by the adapter.
      ALTER TABLE dunning ADD COLUMN stage text NOT NULL DEFAULT '';
      ALTER TABLE dunning ADD COLUMN started_at text NOT NULL DEFAULT '';
      ALTER TABLE dunning ADD COLUMN unpaid_minor bigint NOT NULL DEFAULT 0;
      UPDATE dunning SET stage = record::jsonb ->> 'stage', started_at = record::jsonb ->> 'startedAt',
        unpaid_minor = (SELECT COALESCE(sum((u.value ->> 'amountMinor')::bigint), 0) FROM jsonb_each(record::jsonb -> 'unpaid') u);
      CREATE INDEX dunning_board ON dunning (stage, started_at COLLATE "C", subscription_id COLLATE "C") INCLUDE (unpaid_minor);
      CREATE INDEX dunning_started ON dunning (started_at COLLATE "C", subscription_id COLLATE "C");

      -- Reserved quantity per (SKU, location, delivery date), location '' the default (demand.location
      -- NULL): always equal to summing demand_lines of reserved demand rows, kept by triggers in the
      -- transaction of every write (event handling, seeds, prune).
      CREATE TABLE demand_totals (
        sku text NOT NULL,
        location text NOT NULL,
        period text NOT NULL,
        quantity bigint NOT NULL,
        PRIMARY KEY (sku, location, period)
      );
      INSERT INTO demand_totals (sku, location, period, quantity)
        SELECT l.sku, COALESCE(d.location, ''), l.period, sum(l.quantity) FROM demand_lines l
        JOIN demand d ON d.subscription_id = l.subscription_id AND d.period = l.period
        WHERE d.status = 'reserved' GROUP BY 1, 2, 3;
      CREATE INDEX demand_totals_period ON demand_totals (period, sku, location);
      CREATE FUNCTION demand_total_add(p_sku text, p_location text, p_period text, p_quantity bigint) RETURNS void LANGUAGE sql AS $$
        INSERT INTO demand_totals (sku, location, period, quantity) VALUES (p_sku, COALESCE(p_location, ''), p_period, p_quantity)
        ON CONFLICT (sku, location, period) DO UPDATE SET quantity = demand_totals.quantity + excluded.quantity
      $$;
      -- A line counts while its demand row is reserved.
      CREATE FUNCTION demand_line_counted() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE d record;
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          SELECT status, location INTO d FROM demand WHERE subscription_id = OLD.subscription_id AND period = OLD.period;
          IF FOUND AND d.status = 'reserved' THEN PERFORM demand_total_add(OLD.sku, d.location, OLD.period, -OLD.quantity); END IF;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
          SELECT status, location INTO d FROM demand WHERE subscription_id = NEW.subscription_id AND period = NEW.period;
          IF FOUND AND d.status = 'reserved' THEN PERFORM demand_total_add(NEW.sku, d.location, NEW.period, NEW.quantity); END IF;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER demand_line_counted AFTER INSERT OR UPDATE OR DELETE ON demand_lines FOR EACH ROW EXECUTE FUNCTION demand_line_counted();
      -- A demand row that changes status or location (or goes) moves its remaining lines along.
      CREATE FUNCTION demand_row_counted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.status = 'reserved' THEN
          PERFORM demand_total_add(l.sku, OLD.location, l.period, -l.quantity) FROM demand_lines l
            WHERE l.subscription_id = OLD.subscription_id AND l.period = OLD.period;
        END IF;
        IF TG_OP = 'UPDATE' AND NEW.status = 'reserved' THEN
          PERFORM demand_total_add(l.sku, NEW.location, l.period, l.quantity) FROM demand_lines l
            WHERE l.subscription_id = NEW.subscription_id AND l.period = NEW.period;
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER demand_row_changed AFTER UPDATE ON demand FOR EACH ROW
        WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.location IS DISTINCT FROM NEW.location
          OR OLD.subscription_id IS DISTINCT FROM NEW.subscription_id OR OLD.period IS DISTINCT FROM NEW.period)
        EXECUTE FUNCTION demand_row_counted();
      CREATE TRIGGER demand_row_removed AFTER DELETE ON demand FOR EACH ROW WHEN (OLD.status = 'reserved') EXECUTE FUNCTION demand_row_counted();
    `,
  },
  {
    version: 8,
    name: 'fetched-state keys: one normalised entry per (source, fetched state)',
    sql: `
      -- ConnectorDefinition.webhook.fetchedStateKey (e.g. Mollie's tr_x:failed): the first entry of a
      -- source normalised with a key owns it. A concurrent writer of the same key waits for the
      -- owner's commit, then inserts nothing (ON CONFLICT DO NOTHING) and writes an ignored duplicate.
      CREATE TABLE inbox_fetched_states (
        source text NOT NULL,
        state_key text NOT NULL,
        inbox_id text NOT NULL,
        PRIMARY KEY (source, state_key)
      );
    `,
  },
];
