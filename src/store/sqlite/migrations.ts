/** Versioned schema changes; append only, never edit a released one. Times are epoch ms. */
export const MIGRATIONS: ReadonlyArray<{ version: number; sql: string }> = [
  {
    version: 1,
    sql: `
      CREATE TABLE inbox (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL,
        source_event_id TEXT NOT NULL,
        event_type TEXT,
        received_at INTEGER NOT NULL,
        headers TEXT NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'normalised', 'ignored', 'failed')),
        lease_until INTEGER,
        attempts INTEGER NOT NULL DEFAULT 0,
        detail TEXT,
        UNIQUE (source, source_event_id)
      );
      CREATE INDEX inbox_claim ON inbox (status, received_at);

      CREATE TABLE events (
        id TEXT PRIMARY KEY,
        inbox_id TEXT NOT NULL REFERENCES inbox (id),
        type TEXT NOT NULL,
        entity_key TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX events_inbox ON events (inbox_id);

      CREATE TABLE deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        event_id TEXT NOT NULL REFERENCES events (id),
        route TEXT NOT NULL,
        target TEXT NOT NULL,
        action TEXT NOT NULL,
        mapping TEXT NOT NULL,
        entity_key TEXT NOT NULL,
        idempotency_key TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_flight', 'done', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        first_attempt_at INTEGER,
        last_attempt_at INTEGER,
        lease_until INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        UNIQUE (event_id, route)
      );
      CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at, seq);
      CREATE INDEX deliveries_entity ON deliveries (target, entity_key, seq);

      CREATE TABLE dead_letters (
        id TEXT PRIMARY KEY,
        stage TEXT NOT NULL CHECK (stage IN ('verify', 'map', 'route', 'deliver')),
        source TEXT NOT NULL,
        source_event_id TEXT NOT NULL,
        inbox_id TEXT,
        event_id TEXT,
        delivery_id TEXT,
        route TEXT,
        target TEXT,
        mapping TEXT,
        error_code TEXT NOT NULL,
        error_message TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        first_attempt_at INTEGER NOT NULL,
        last_attempt_at INTEGER NOT NULL,
        payload TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'replayed', 'discarded')),
        resolved_by TEXT,
        resolved_at INTEGER
      );
      CREATE INDEX dead_letters_status ON dead_letters (status, created_at);
      CREATE INDEX dead_letters_source ON dead_letters (source, source_event_id);

      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT NOT NULL,
        detail TEXT
      );
    `,
  },
  {
    // Per-entity order without scanning: a delivery is `blocked` while an earlier delivery of the
    // same (target, entity) is open; finishing the head unblocks the next one. Claims then read
    // only unblocked rows, in index order.
    version: 2,
    sql: `
      ALTER TABLE deliveries ADD COLUMN blocked INTEGER NOT NULL DEFAULT 0;
      UPDATE deliveries SET blocked = 1
        WHERE status IN ('pending', 'in_flight')
          AND EXISTS (SELECT 1 FROM deliveries p WHERE p.target = deliveries.target AND p.entity_key = deliveries.entity_key
                      AND p.seq < deliveries.seq AND p.status IN ('pending', 'in_flight'));
      DROP INDEX deliveries_due;
      CREATE INDEX deliveries_claimable ON deliveries (status, blocked, next_attempt_at, seq);
    `,
  },
  {
    // Dead letters of deliveries keep the idempotency key the target saw (to match its logs).
    version: 3,
    sql: `ALTER TABLE dead_letters ADD COLUMN idempotency_key TEXT;`,
  },
  {
    // A content fingerprint for sources whose signature does not cover the delivery id (Shopify).
    version: 4,
    sql: `
      ALTER TABLE inbox ADD COLUMN content_key TEXT;
      CREATE INDEX inbox_content ON inbox (source, content_key) WHERE content_key IS NOT NULL;
    `,
  },
  {
    // The subscription domain: projections, demand per (subscription, delivery, SKU), customers,
    // open dunning cycles, reorder proposals and the decision trail.
    version: 5,
    sql: `
      CREATE TABLE subscriptions (
        id TEXT PRIMARY KEY,
        provider_id TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        status TEXT NOT NULL,
        next_delivery TEXT,
        occurred_at TEXT NOT NULL,
        version INTEGER NOT NULL,
        state TEXT NOT NULL
      );
      CREATE INDEX subscriptions_provider ON subscriptions (provider_id);
      CREATE INDEX subscriptions_customer ON subscriptions (customer_id);

      CREATE TABLE demand (
        subscription_id TEXT NOT NULL,
        period TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('reserved', 'released')),
        lines TEXT NOT NULL,
        revision INTEGER NOT NULL,
        event_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (subscription_id, period)
      );
      CREATE INDEX demand_period ON demand (period, status);

      CREATE TABLE demand_lines (
        subscription_id TEXT NOT NULL,
        period TEXT NOT NULL,
        sku TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        PRIMARY KEY (subscription_id, period, sku)
      );
      CREATE INDEX demand_lines_period ON demand_lines (period, sku);

      CREATE TABLE customers (id TEXT PRIMARY KEY, blacklisted INTEGER NOT NULL DEFAULT 0, record TEXT NOT NULL);

      CREATE TABLE dunning (subscription_id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, record TEXT NOT NULL);

      CREATE TABLE proposals (
        id TEXT PRIMARY KEY,
        sku TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        record TEXT NOT NULL
      );
      CREATE UNIQUE INDEX proposals_one_open ON proposals (sku) WHERE status = 'open';

      CREATE TABLE decisions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        event_id TEXT,
        outcome TEXT NOT NULL,
        rule TEXT NOT NULL,
        detail TEXT
      );
      CREATE INDEX decisions_subject ON decisions (subject, seq);
    `,
  },
  {
    // The enrichment step ("fetch on notify"): what a connector fetched to complete an entry is
    // kept with it (a replay maps the same data), and an entry whose fetch failed retryably waits
    // until next_attempt_at.
    version: 6,
    sql: `
      ALTER TABLE inbox ADD COLUMN enrichment TEXT;
      ALTER TABLE inbox ADD COLUMN next_attempt_at INTEGER;
      `,
  },
  {
    // Privacy requests (Shopify's compliance topics) and what they found or redacted; the
    // ignored-events listing groups ignored inbox entries by source and type.
    version: 7,
    sql: `
      CREATE TABLE privacy_requests (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('customer_redact', 'customer_data_request', 'shop_redact')),
        source TEXT NOT NULL,
        source_event_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        customer_ref TEXT,
        received_at INTEGER NOT NULL,
        completed_at INTEGER NOT NULL,
        matches TEXT NOT NULL,
        contact TEXT
      );
      CREATE INDEX privacy_requests_received ON privacy_requests (received_at);
      CREATE INDEX inbox_ignored ON inbox (source, event_type, received_at) WHERE status = 'ignored';
    `,
  },
  {
    // Stock planned per (SKU, location): a delivery's demand counts at the location it ships
    // from (NULL: recorded before, the default location), and one proposal is open per (SKU, location).
    version: 8,
    sql: `
      ALTER TABLE demand ADD COLUMN location TEXT;
      ALTER TABLE proposals ADD COLUMN location TEXT;
      UPDATE proposals SET location = json_extract(record, '$.location');
      DROP INDEX proposals_one_open;
      CREATE UNIQUE INDEX proposals_one_open ON proposals (sku, location) WHERE status = 'open';

      -- Bumped by every domain write outside event handling (the nightly review, an operator's
      -- blacklist clear): a normalised batch computed at an older epoch is not committed.
      CREATE TABLE domain_epoch (id INTEGER PRIMARY KEY CHECK (id = 1), epoch INTEGER NOT NULL);
      INSERT INTO domain_epoch (id, epoch) VALUES (1, 0);

      -- Retention deletes the decision trail by date.
      CREATE INDEX decisions_at ON decisions (at);
    `,
  },
  {
    // Optimistic concurrency per domain unit (a customer): a write computed from an older
    // version is refused as a conflict and computed again. Derived hub events go to an outbox in
    // the transaction of the change that caused them, and a relay moves them to the inbox (the
    // event log), so a log outside this database (Kafka) needs no dual write. The epoch of
    // migration 8 is replaced by the unit versions.
    version: 9,
    sql: `
      CREATE TABLE domain_units (customer_id TEXT PRIMARY KEY, version INTEGER NOT NULL);
      INSERT INTO domain_units (customer_id, version) SELECT id, 1 FROM customers;
      DROP TABLE domain_epoch;
      CREATE INDEX demand_customer ON demand (customer_id);
      CREATE INDEX dunning_customer ON dunning (customer_id);

      CREATE TABLE outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        dedupe_key TEXT NOT NULL UNIQUE,
        event_type TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        body TEXT NOT NULL
      );
    `,
  },
  {
    // The operator views (src/store/operator-ports.ts): every list and count answered from an
    // index or a table kept up to date with the rows, at millions of rows.
    // - events carry their inbox entry's received_at, so searches by canonical type or entity
    //   page in the same order as searches of the inbox.
    // - subscription_counts, demand_totals: kept by triggers in the transaction of every write
    //   (whatever path writes: event handling, seeds, prune). demand_totals holds the reserved
    //   quantity per (SKU, location, delivery date), location '' the default (demand.location NULL):
    //   always equal to summing demand_lines of reserved demand rows.
    // - dunning's stage, start and unpaid sum as columns (written with the record) for the board.
    version: 10,
    sql: `
      ALTER TABLE events ADD COLUMN received_at INTEGER;
      UPDATE events SET received_at = (SELECT received_at FROM inbox WHERE inbox.id = events.inbox_id);
      CREATE INDEX events_type_received ON events (type, received_at, inbox_id);
      CREATE INDEX events_entity_received ON events (entity_key, received_at, inbox_id);
      CREATE INDEX inbox_source_event_received ON inbox (source_event_id, received_at, id);
      CREATE INDEX inbox_type_received ON inbox (event_type, received_at, id);
      CREATE INDEX inbox_received ON inbox (received_at, id);

      CREATE INDEX decisions_event ON decisions (event_id, seq) WHERE event_id IS NOT NULL;
      CREATE INDEX decisions_kind_outcome ON decisions (kind, outcome, at);
      CREATE INDEX audit_subject ON audit (subject, id);

      CREATE INDEX dead_letters_status_created ON dead_letters (status, created_at, id);
      CREATE INDEX dead_letters_stage ON dead_letters (status, stage, created_at, id);
      CREATE INDEX dead_letters_by_source ON dead_letters (status, source, created_at, id);
      CREATE INDEX dead_letters_target ON dead_letters (status, target, created_at, id);
      CREATE INDEX dead_letters_error ON dead_letters (status, error_code, created_at, id);

      DROP INDEX subscriptions_provider;
      DROP INDEX subscriptions_customer;
      CREATE INDEX subscriptions_provider ON subscriptions (provider_id, id);
      CREATE INDEX subscriptions_customer ON subscriptions (customer_id, id, provider_id);
      CREATE INDEX subscriptions_status ON subscriptions (status, id);
      CREATE TABLE subscription_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
      INSERT INTO subscription_counts (status, n) SELECT status, COUNT(*) FROM subscriptions GROUP BY status;
      CREATE TRIGGER subscriptions_counted_insert AFTER INSERT ON subscriptions BEGIN
        INSERT INTO subscription_counts (status, n) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER subscriptions_counted_update AFTER UPDATE OF status ON subscriptions WHEN OLD.status IS NOT NEW.status BEGIN
        UPDATE subscription_counts SET n = n - 1 WHERE status = OLD.status;
        INSERT INTO subscription_counts (status, n) VALUES (NEW.status, 1) ON CONFLICT (status) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER subscriptions_counted_delete AFTER DELETE ON subscriptions BEGIN
        UPDATE subscription_counts SET n = n - 1 WHERE status = OLD.status;
      END;

      CREATE INDEX customers_blacklisted ON customers (COALESCE(json_extract(record, '$.blacklistedAt'), ''), id) WHERE blacklisted = 1;

      ALTER TABLE dunning ADD COLUMN stage TEXT NOT NULL DEFAULT '';
      ALTER TABLE dunning ADD COLUMN started_at TEXT NOT NULL DEFAULT '';
      ALTER TABLE dunning ADD COLUMN unpaid_minor INTEGER NOT NULL DEFAULT 0;
      UPDATE dunning SET stage = json_extract(record, '$.stage'), started_at = json_extract(record, '$.startedAt'),
        unpaid_minor = (SELECT COALESCE(SUM(json_extract(u.value, '$.amountMinor')), 0) FROM json_each(record, '$.unpaid') u);
      CREATE INDEX dunning_board ON dunning (stage, started_at, subscription_id, unpaid_minor);
      CREATE INDEX dunning_started ON dunning (started_at, subscription_id);

      CREATE TABLE demand_totals (
        sku TEXT NOT NULL,
        location TEXT NOT NULL,
        period TEXT NOT NULL,
        quantity INTEGER NOT NULL,
        PRIMARY KEY (sku, location, period)
      ) WITHOUT ROWID;
      INSERT INTO demand_totals (sku, location, period, quantity)
        SELECT l.sku, COALESCE(d.location, ''), l.period, SUM(l.quantity) FROM demand_lines l
        JOIN demand d ON d.subscription_id = l.subscription_id AND d.period = l.period
        WHERE d.status = 'reserved' GROUP BY l.sku, COALESCE(d.location, ''), l.period;
      CREATE INDEX demand_totals_period ON demand_totals (period, sku, location);
      -- A line counts while its demand row is reserved: lines come and go with it, and a row that
      -- changes status or location moves its remaining lines' quantities along.
      CREATE TRIGGER demand_line_added AFTER INSERT ON demand_lines BEGIN
        INSERT INTO demand_totals (sku, location, period, quantity)
          SELECT NEW.sku, COALESCE(d.location, ''), NEW.period, NEW.quantity FROM demand d
          WHERE d.subscription_id = NEW.subscription_id AND d.period = NEW.period AND d.status = 'reserved'
          ON CONFLICT (sku, location, period) DO UPDATE SET quantity = quantity + excluded.quantity;
      END;
      CREATE TRIGGER demand_line_removed AFTER DELETE ON demand_lines BEGIN
        UPDATE demand_totals SET quantity = quantity - OLD.quantity
          WHERE sku = OLD.sku AND period = OLD.period AND location = (SELECT COALESCE(d.location, '') FROM demand d
            WHERE d.subscription_id = OLD.subscription_id AND d.period = OLD.period AND d.status = 'reserved');
      END;
      CREATE TRIGGER demand_line_changed AFTER UPDATE ON demand_lines BEGIN
        UPDATE demand_totals SET quantity = quantity - OLD.quantity
          WHERE sku = OLD.sku AND period = OLD.period AND location = (SELECT COALESCE(d.location, '') FROM demand d
            WHERE d.subscription_id = OLD.subscription_id AND d.period = OLD.period AND d.status = 'reserved');
        INSERT INTO demand_totals (sku, location, period, quantity)
          SELECT NEW.sku, COALESCE(d.location, ''), NEW.period, NEW.quantity FROM demand d
          WHERE d.subscription_id = NEW.subscription_id AND d.period = NEW.period AND d.status = 'reserved'
          ON CONFLICT (sku, location, period) DO UPDATE SET quantity = quantity + excluded.quantity;
      END;
      CREATE TRIGGER demand_row_changed AFTER UPDATE OF status, location, subscription_id, period ON demand
        WHEN OLD.status IS NOT NEW.status OR OLD.location IS NOT NEW.location OR OLD.subscription_id IS NOT NEW.subscription_id
          OR OLD.period IS NOT NEW.period BEGIN
        UPDATE demand_totals SET quantity = quantity - (SELECT l.quantity FROM demand_lines l
            WHERE l.subscription_id = OLD.subscription_id AND l.period = OLD.period AND l.sku = demand_totals.sku)
          WHERE OLD.status = 'reserved' AND location = COALESCE(OLD.location, '') AND period = OLD.period
            AND sku IN (SELECT l.sku FROM demand_lines l WHERE l.subscription_id = OLD.subscription_id AND l.period = OLD.period);
        INSERT INTO demand_totals (sku, location, period, quantity)
          SELECT l.sku, COALESCE(NEW.location, ''), l.period, l.quantity FROM demand_lines l
          WHERE NEW.status = 'reserved' AND l.subscription_id = NEW.subscription_id AND l.period = NEW.period
          ON CONFLICT (sku, location, period) DO UPDATE SET quantity = quantity + excluded.quantity;
      END;
      CREATE TRIGGER demand_row_removed AFTER DELETE ON demand WHEN OLD.status = 'reserved' BEGIN
        UPDATE demand_totals SET quantity = quantity - (SELECT l.quantity FROM demand_lines l
            WHERE l.subscription_id = OLD.subscription_id AND l.period = OLD.period AND l.sku = demand_totals.sku)
          WHERE location = COALESCE(OLD.location, '') AND period = OLD.period
            AND sku IN (SELECT l.sku FROM demand_lines l WHERE l.subscription_id = OLD.subscription_id AND l.period = OLD.period);
      END;
    `,
  },
  {
    // Fetched-state keys (ConnectorDefinition.webhook.fetchedStateKey, e.g. Mollie's `tr_x:failed`):
    // the first entry of a source normalised with a key owns it; the primary key makes a second
    // one an ignored duplicate, decided in the transaction that writes the outcome.
    version: 11,
    sql: `
      CREATE TABLE inbox_fetched_states (
        source TEXT NOT NULL,
        state_key TEXT NOT NULL,
        inbox_id TEXT NOT NULL,
        PRIMARY KEY (source, state_key)
      ) WITHOUT ROWID;
    `,
  },
];
