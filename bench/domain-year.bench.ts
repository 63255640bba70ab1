import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubConfig } from '../src/config/config.types';
import { DomainService } from '../src/domain/domain-service';
import { domainSettings } from '../src/domain/domain-settings';
import type { UnitWrite } from '../src/domain/ports';
import { DomainView } from '../src/domain/domain-view';
import { applyRetention } from '../src/domain/retention';
import type { HubEvent } from '../src/events';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store';

const ROOT = join(__dirname, '..', '..');
const DAY = 86_400_000;
const START = Date.parse('2026-01-01T06:00:00Z');
const TABLES = ['subscriptions', 'customers', 'dunning', 'demand', 'demand_lines', 'proposals', 'decisions'] as const;

/**
 * `npm run bench -- domain-year`: a simulated year of SUBHUB_BENCH_SUBSCRIPTIONS subscriptions
 * (default 100,000; 5,000 under CI) through the real domain service and SQLite domain store: a
 * third renew every two weeks, the rest monthly; 3 % of renewals fail once (card, insufficient
 * funds) and are paid two days later. Every event's changes are committed as the pipeline does
 * (batches of 1,000). Prints rows and bytes (SQLite's dbstat: table and its indexes) of every
 * domain table after the year, then after the nightly retention with the default settings.
 * The inbox, events and deliveries the same traffic creates are another retention's business.
 */
export async function domainYearBench(): Promise<Record<string, unknown>> {
  const fromEnv = process.env.SUBHUB_BENCH_SUBSCRIPTIONS;
  const size = fromEnv ? Number(fromEnv) : process.env.CI ? 5_000 : 100_000;
  const dir = mkdtempSync(join(tmpdir(), 'subhub-bench-domain-year-'));
  const store = await openSqliteStore(join(dir, 'hub.db'));
  try {
    const config = JSON.parse(readFileSync(join(ROOT, 'config', 'hub.json'), 'utf8')) as HubConfig;
    const service = new DomainService(domainSettings(config, ROOT));
    const template = JSON.parse(
      readFileSync(join(ROOT, 'mappings', 'fixtures', 'hub-subscription-renewed-coffee.json'), 'utf8'),
    ) as HubEvent;
    const failure = JSON.parse(
      readFileSync(join(ROOT, 'mappings', 'fixtures', 'hub-invoice-payment-failed-coffee.json'), 'utf8'),
    ) as HubEvent;
    const started = Date.now();
    let events = 0;
    // As the pipeline does: each customer's unit read once per batch, each event computed on the state the one before left.
    let pending: Array<UnitWrite & { now: number }> = [];
    let views = new Map<string, DomainView>();
    const flush = () => {
      store.db.transaction(() =>
        pending.forEach((w) => {
          if (store.domain.commitInTransaction(w, w.now) !== 'committed') throw new Error(`unexpected conflict on ${w.customerId}`);
        }),
      )();
      views = new Map();
      pending = [];
    };
    const handle = (e: HubEvent, now: number) => {
      events++;
      const unit = DomainService.unitOf(e);
      if (!unit) return;
      let view = views.get(unit.customerId);
      if (!view) views.set(unit.customerId, (view = new DomainView(store.domain.unitNow(unit.customerId, unit.subscriptionId))));
      const changes = service.handle(e, view, now);
      pending.push({ customerId: unit.customerId, version: view.version, changes, now });
      view.apply(changes);
      if (pending.length >= 1000) flush();
    };
    // Each subscription starts on a day of the first four weeks and renews on its interval.
    const interval = (i: number) => (i % 3 === 0 ? 14 : 30);
    for (let day = 0; day < 365; day++) {
      const now = START + day * DAY;
      for (let i = 0; i < size; i++) {
        const first = i % 28;
        if (day < first || (day - first) % interval(i) !== 0) continue;
        const n = (day - first) / interval(i);
        const e = eventOf(i, n, now, interval(i), n === 0 ? 'subscription.created' : 'subscription.renewed', template);
        if (n > 0 && (i * 31 + n) % 100 < 3) {
          handle(
            {
              ...eventOf(i, n, now, interval(i), 'invoice.payment_failed', failure),
              invoice: { ...failure.invoice!, id: `in_${i}_${n}` },
              payment: failure.payment!,
            },
            now,
          );
          const paid = now + 2 * DAY;
          // Paid late, for the same period.
          handle(
            {
              ...eventOf(i, n, now, interval(i), 'invoice.paid', template, paid),
              invoice: { ...failure.invoice!, id: `in_${i}_${n}`, status: 'paid', amountPaidMinor: failure.invoice!.amountDueMinor },
            },
            paid,
          );
        } else handle(e, now);
      }
    }
    flush();
    const seconds = (Date.now() - started) / 1000;
    const afterYear = sizes(store);
    const pruned = await applyRetention(store.domain, config.retention, START + 365 * DAY);
    store.db.exec('VACUUM');
    const afterRetention = sizes(store);
    console.log(`${size} subscriptions, ${events} events in ${seconds.toFixed(0)} s`);
    for (const t of TABLES)
      console.log(
        `  ${t.padEnd(14)} ${String(afterYear[t]!.rows).padStart(10)} rows ${mb(afterYear[t]!.bytes)}  → after retention ${String(afterRetention[t]!.rows).padStart(10)} rows ${mb(afterRetention[t]!.bytes)}`,
      );
    return { bench: 'domain-year', subscriptions: size, events, seconds: Math.round(seconds), afterYear, pruned, afterRetention };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The event of subscription i's n-th period, starting at `now`; it happens at `happened` (default: then). */
function eventOf(i: number, n: number, now: number, days: number, type: HubEvent['type'], template: HubEvent, happened = now): HubEvent {
  const at = new Date(happened).toISOString();
  const sub = template.subscription!;
  return {
    ...template,
    id: `ev_${i}_${n}_${type}`,
    type,
    occurredAt: at,
    effectiveAt: at,
    receivedAt: at,
    source: { ...template.source, eventId: `evt_${i}_${n}_${type}`, dedupeKey: `stripe:evt_${i}_${n}_${type}` },
    customer: { hubCustomerId: `stripe:cus_${i}`, providerCustomerId: `cus_${i}`, email: `c${i}@example.com` },
    subscription: {
      ...sub,
      hubSubscriptionId: `stripe:sub_${i}`,
      providerSubscriptionId: `sub_${i}`,
      status: type === 'invoice.payment_failed' ? 'past_due' : 'active',
      items: i % 2 === 0 ? sub.items.slice(0, 1) : sub.items,
      interval: days === 14 ? { unit: 'week', count: 2 } : { unit: 'month', count: 1 },
      currentPeriodStart: new Date(now).toISOString(),
      currentPeriodEnd: new Date(now + days * DAY).toISOString(),
      nextRenewalAt: new Date(now + days * DAY).toISOString(),
    },
  };
}

function sizes(store: SqliteStore): Record<string, { rows: number; bytes: number }> {
  const bytes = new Map(
    (
      store.db
        .prepare('SELECT tbl_name AS t, SUM(d.pgsize) AS b FROM dbstat d JOIN sqlite_schema s ON s.name = d.name GROUP BY tbl_name')
        .all() as Array<{ t: string; b: number }>
    ).map((r) => [r.t, r.b]),
  );
  return Object.fromEntries(
    TABLES.map((t) => [t, { rows: store.db.prepare(`SELECT COUNT(*) FROM ${t}`).pluck().get() as number, bytes: bytes.get(t) ?? 0 }]),
  );
}

const mb = (b: number) => `${(b / 1e6).toFixed(1).padStart(7)} MB`;
