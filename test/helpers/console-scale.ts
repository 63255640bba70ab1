import type { Store } from '../../src/store/ports';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store';

/**
 * Fills a store with an operator console's worth of data, fast, with direct SQL in big
 * transactions (the public methods would take hours at this size): subscriptions with realistic
 * state, each active one's next delivery's demand and lines, customers (1 % blacklisted), open
 * dunning cycles for 2 % across stages, decisions (dunning recoveries over the last 30 days),
 * inbox entries with events and deliveries for a slice, dead letters across stages, sources,
 * targets and error codes, and audit rows. The kept tables (subscription counts, demand totals)
 * follow through the schema's triggers, so the views see exactly what the rows say.
 *
 * Deterministic: row i always gets the same values. Dates are relative to SCALE_TODAY.
 */
export interface ConsoleScale {
  subscriptions: number;
  deadLetters: number;
  /** Default: one customer per two subscriptions. */
  customers?: number;
}

export const SCALE_TODAY = '2026-03-01';
const DAY = 86_400_000;
const T_TODAY = Date.parse(`${SCALE_TODAY}T00:00:00Z`);
export const SCALE_SKUS = Array.from({ length: 40 }, (_, i) => `SKU-${String(i).padStart(3, '0')}`);
export const SCALE_LOCATIONS = ['AMS1', 'BER1', 'PAR1'];
const STATUSES = [
  'active',
  'active',
  'active',
  'active',
  'active',
  'active',
  'active',
  'active',
  'past_due',
  'canceled',
  'paused',
  'trialing',
];
const STAGES = ['REMIND', 'RETRY', 'HOLD', 'PAUSE', 'FINAL'];
const DL_STAGES = ['verify', 'map', 'route', 'deliver'];
const DL_SOURCES = ['stripe', 'shopify', 'mollie', 'hub'];
const DL_TARGETS = ['erp', 'warehouse', 'mail', 'shopify', 'crm'];
const DL_CODES = [
  'DELIVERY_REJECTED',
  'DELIVERY_EXHAUSTED',
  'MAPPING_LOOKUP_MISSING',
  'MAPPING_OUTPUT_INVALID',
  'ROUTE_NO_MAPPING',
  'DELIVERY_GONE',
];

const pad = (i: number) => String(i).padStart(8, '0');
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const subId = (i: number) => `stripe:sub_${pad(i)}`;

/** Everything one row i of each table holds, shared by both backends' writers. */
function rows(sizes: ConsoleScale) {
  const customers = sizes.customers ?? Math.max(1, Math.floor(sizes.subscriptions / 2));
  const customerOf = (i: number) => `stripe:cus_${pad(i % customers)}`;
  const statusOf = (i: number) => STATUSES[(i * 7) % STATUSES.length]!;
  const nextDelivery = (i: number) => T_TODAY + ((i * 13) % 35) * DAY + 9 * 3_600_000;
  const linesOf = (i: number) =>
    Array.from({ length: 1 + (i % 3) }, (_, k) => ({
      sku: SCALE_SKUS[(i * 7 + k * 11) % SCALE_SKUS.length]!,
      quantity: 1 + ((i + k) % 3),
    }));
  return {
    customers,
    subscription(i: number) {
      const id = subId(i);
      const status = statusOf(i);
      const next = new Date(nextDelivery(i)).toISOString();
      const lines = linesOf(i);
      const state = {
        hubSubscriptionId: id,
        hubCustomerId: customerOf(i),
        tenantId: 'beans-nl',
        snapshot: {
          hubSubscriptionId: id,
          providerSubscriptionId: `sub_${pad(i)}`,
          status,
          providerStatus: status,
          items: lines.map((l) => ({ sku: l.sku, quantity: l.quantity, priceRef: `price_${l.sku}` })),
          interval: { unit: 'month', count: 1 },
          currentPeriodStart: new Date(nextDelivery(i) - 30 * DAY).toISOString(),
          currentPeriodEnd: next,
          nextRenewalAt: next,
          entitlement: { deliver: status === 'active' || status === 'trialing', blockChanges: false, blockedBy: [] },
        },
        occurredAt: new Date(nextDelivery(i) - 30 * DAY).toISOString(),
        lastEventType: 'subscription.renewed',
        applied: [`stripe:evt_${pad(i)}`],
        version: 3,
      };
      return { id, providerId: `sub_${pad(i)}`, customerId: customerOf(i), status, next, state: JSON.stringify(state) };
    },
    /** The next delivery's demand of subscription i (active and trialing ones). */
    demand(i: number) {
      const status = statusOf(i);
      if (status !== 'active' && status !== 'trialing') return undefined;
      const lines = linesOf(i);
      return {
        subscriptionId: subId(i),
        period: day(nextDelivery(i)),
        customerId: customerOf(i),
        location: i % 10 === 0 ? null : SCALE_LOCATIONS[i % SCALE_LOCATIONS.length]!,
        status: i % 20 === 0 ? 'released' : 'reserved',
        lines,
        linesJson: JSON.stringify(lines),
      };
    },
    customer(c: number) {
      const blacklisted = c % 100 === 0;
      const id = `stripe:cus_${pad(c)}`;
      const record = {
        id,
        defaults: blacklisted ? ['2025-10-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z'] : [],
        blacklisted,
        ...(blacklisted ? { blacklistedAt: new Date(T_TODAY - (c % 90) * DAY - c).toISOString() } : {}),
        email: `customer${c}@example.com`,
        providerCustomerId: `cus_${pad(c)}`,
      };
      return { id, blacklisted, record: JSON.stringify(record) };
    },
    /** Subscriptions 0, 50, 100, …: 2 % in an open dunning cycle. */
    dunning(i: number) {
      if (i % 50 !== 0) return undefined;
      const stage = STAGES[(i / 50) % STAGES.length]!;
      const startedAt = new Date(T_TODAY - (1 + (i % 60)) * DAY - (i % 1000)).toISOString();
      const unpaid: Record<string, { amountMinor: number; failedAt: string }> = {};
      for (let k = 0; k <= i % 2; k++) unpaid[`in_${pad(i)}_${k}`] = { amountMinor: 1500 + ((i + k) % 40) * 100, failedAt: startedAt };
      const record = {
        subscriptionId: subId(i),
        customerId: customerOf(i),
        policyId: 'default',
        stage,
        startedAt,
        unpaid,
        attempts: 1 + (i % 4),
        method: i % 3 ? 'card' : 'sepa_debit',
        deliver: stage !== 'HOLD' && stage !== 'PAUSE',
      };
      const unpaidMinor = Object.values(unpaid).reduce((s, u) => s + u.amountMinor, 0);
      return { subscriptionId: subId(i), customerId: customerOf(i), record: JSON.stringify(record), stage, startedAt, unpaidMinor };
    },
    /** Decision j: half dunning recoveries (CLEAR) over the last 30 days, the rest other kinds. */
    decision(j: number) {
      const at = new Date(T_TODAY - (j % (30 * 24)) * 3_600_000 - (j % 3_600_000)).toISOString();
      const clear = j % 2 === 0;
      return {
        at,
        kind: clear ? 'dunning' : j % 4 === 1 ? 'demand' : 'projection',
        subject: subId(j),
        eventId: `ev_${pad(j)}`,
        outcome: clear ? 'CLEAR' : 'applied',
        rule: clear ? 'recovered: a payment succeeded' : 'projection applied',
      };
    },
    /** Inbox entry k with its event (9 in 10) and one delivery per event. */
    inbox(k: number) {
      const receivedAt = T_TODAY - k * 1000;
      const normalised = k % 10 !== 9;
      return {
        id: `01SCALE${pad(k)}`,
        source: k % 4 === 3 ? 'shopify' : 'stripe',
        sourceEventId: `evt_${pad(k)}`,
        eventType: ['invoice.paid', 'customer.subscription.updated', 'invoice.payment_failed'][k % 3]!,
        receivedAt,
        status: normalised ? 'normalised' : 'ignored',
        body: `{"id":"evt_${pad(k)}","type":"invoice.paid"}`,
        event: normalised
          ? {
              id: `ev_${pad(k)}`,
              type: ['subscription.renewed', 'subscription.updated', 'dunning.payment_failed'][k % 3]!,
              entityKey: subId((k * 37) % Math.max(1, sizes.subscriptions)),
              createdAt: receivedAt + 50,
            }
          : undefined,
      };
    },
    deadLetter(k: number) {
      const stage = DL_STAGES[k % DL_STAGES.length]!;
      const createdAt = T_TODAY - k * 7000;
      return {
        id: `01DEAD${pad(k)}`,
        stage,
        source: DL_SOURCES[k % DL_SOURCES.length]!,
        sourceEventId: `evt_dead_${pad(k)}`,
        target: stage === 'deliver' ? DL_TARGETS[(k >> 2) % DL_TARGETS.length]! : null,
        route: stage === 'deliver' ? `${DL_TARGETS[(k >> 2) % DL_TARGETS.length]!}-route` : null,
        errorCode: DL_CODES[(k * 5) % DL_CODES.length]!,
        errorMessage: `HTTP 422: invalid field ${k % 17}`,
        attempts: 1 + (k % 8),
        firstAttemptAt: createdAt - 60_000,
        lastAttemptAt: createdAt,
        payload: `{"id":"ev_dead_${pad(k)}","n":${k}}`,
        createdAt,
        status: k % 20 < 16 ? 'open' : k % 20 < 19 ? 'replayed' : 'discarded',
      };
    },
  };
}

/** How many inbox entries (with events and deliveries) and decisions come with `sizes`. */
export function scaleSlices(sizes: ConsoleScale): { inbox: number; decisions: number } {
  return {
    inbox: Math.min(200_000, Math.max(100, Math.floor(sizes.subscriptions / 10))),
    decisions: Math.max(100, Math.floor(sizes.subscriptions / 25)),
  };
}

/** Fills `store` (an initialised, empty SqliteStore) with `sizes` worth of console data. */
export async function seedConsoleScale(store: Store, sizes: ConsoleScale): Promise<void> {
  if (store instanceof SqliteStore) return seedSqlite(store, sizes);
  // PostgreSQL is not seeded yet (the rows above are backend-neutral: a COPY-based writer is what is missing).
  throw new Error('seedConsoleScale: only a SqliteStore is seeded so far');
}

function seedSqlite(store: SqliteStore, sizes: ConsoleScale): void {
  const db = store.db;
  const r = rows(sizes);
  const s = {
    sub: db.prepare(
      `INSERT INTO subscriptions (id, provider_id, customer_id, status, next_delivery, occurred_at, version, state) VALUES (?, ?, ?, ?, ?, ?, 3, ?)`,
    ),
    demand: db.prepare(
      `INSERT INTO demand (subscription_id, period, customer_id, location, status, lines, revision, event_id, reason) VALUES (?, ?, ?, ?, ?, ?, 1, 'ev_seed', 'seed')`,
    ),
    line: db.prepare('INSERT INTO demand_lines (subscription_id, period, sku, quantity) VALUES (?, ?, ?, ?)'),
    customer: db.prepare('INSERT INTO customers (id, blacklisted, record) VALUES (?, ?, ?)'),
    unit: db.prepare('INSERT INTO domain_units (customer_id, version) VALUES (?, 1)'),
    dunning: db.prepare(
      'INSERT INTO dunning (subscription_id, customer_id, record, stage, started_at, unpaid_minor) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    decision: db.prepare('INSERT INTO decisions (at, kind, subject, event_id, outcome, rule) VALUES (?, ?, ?, ?, ?, ?)'),
    inbox: db.prepare(
      `INSERT INTO inbox (id, source, source_event_id, event_type, received_at, headers, body, status, attempts) VALUES (?, ?, ?, ?, ?, '{}', ?, ?, 1)`,
    ),
    event: db.prepare('INSERT INTO events (id, inbox_id, type, entity_key, body, created_at, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    delivery: db.prepare(
      `INSERT INTO deliveries (id, event_id, route, target, action, mapping, entity_key, idempotency_key, status, attempts, next_attempt_at,
         first_attempt_at, last_attempt_at, created_at) VALUES (?, ?, 'erp-route', 'erp', 'upsert', 'erp/m', ?, ?, 'done', 1, ?, ?, ?, ?)`,
    ),
    dead: db.prepare(
      `INSERT INTO dead_letters (id, stage, source, source_event_id, route, target, error_code, error_message, attempts, first_attempt_at,
         last_attempt_at, payload, created_at, status, resolved_by, resolved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    audit: db.prepare(`INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, 'ops', ?, ?, NULL)`),
  };
  const { inbox, decisions } = scaleSlices(sizes);
  const sync = db.pragma('synchronous', { simple: true }) as number;
  db.pragma('synchronous = OFF');
  try {
    const chunk = 100_000;
    for (let from = 0; from < sizes.subscriptions; from += chunk)
      db.transaction(() => {
        for (let i = from; i < Math.min(sizes.subscriptions, from + chunk); i++) {
          const x = r.subscription(i);
          s.sub.run(x.id, x.providerId, x.customerId, x.status, x.next, '2026-01-01T00:00:00.000Z', x.state);
          const d = r.demand(i);
          if (d) {
            s.demand.run(d.subscriptionId, d.period, d.customerId, d.location, d.status, d.linesJson);
            for (const l of d.lines) s.line.run(d.subscriptionId, d.period, l.sku, l.quantity);
          }
          const g = r.dunning(i);
          if (g) s.dunning.run(g.subscriptionId, g.customerId, g.record, g.stage, g.startedAt, g.unpaidMinor);
        }
      })();
    db.transaction(() => {
      for (let c = 0; c < r.customers; c++) {
        const x = r.customer(c);
        s.customer.run(x.id, x.blacklisted ? 1 : 0, x.record);
        s.unit.run(x.id);
      }
      for (let j = 0; j < decisions; j++) {
        const x = r.decision(j);
        s.decision.run(x.at, x.kind, x.subject, x.eventId, x.outcome, x.rule);
      }
      for (let k = 0; k < inbox; k++) {
        const x = r.inbox(k);
        s.inbox.run(x.id, x.source, x.sourceEventId, x.eventType, x.receivedAt, x.body, x.status);
        if (x.event) {
          s.event.run(x.event.id, x.id, x.event.type, x.event.entityKey, '{}', x.event.createdAt, x.receivedAt);
          s.delivery.run(
            `01DLV${pad(k)}`,
            x.event.id,
            x.event.entityKey,
            `${x.event.id}/erp-route`,
            x.event.createdAt,
            x.event.createdAt,
            x.event.createdAt,
            x.event.createdAt,
          );
        }
      }
      for (let k = 0; k < sizes.deadLetters; k++) {
        const x = r.deadLetter(k);
        const resolved = x.status === 'open' ? [null, null] : ['ops', x.createdAt + 1000];
        s.dead.run(
          x.id,
          x.stage,
          x.source,
          x.sourceEventId,
          x.route,
          x.target,
          x.errorCode,
          x.errorMessage,
          x.attempts,
          x.firstAttemptAt,
          x.lastAttemptAt,
          x.payload,
          x.createdAt,
          x.status,
          ...resolved,
        );
        if (x.status !== 'open') s.audit.run(x.createdAt + 1000, `dead_letter.${x.status === 'replayed' ? 'replay' : 'discard'}`, x.id);
      }
    })();
    db.exec('ANALYZE');
  } finally {
    db.pragma(`synchronous = ${sync}`);
  }
}
