import type { Request, Response, Router } from 'express';
import { adminJsonBody, badBody } from './admin-body';
import type { MetricSample } from '../observability/metrics';
import type { DeadLetter, DeadLetterStage, Store } from '../store/ports';
import type { DeadLetterQuery, EventSearchField, OperatorViews, PageRequest } from '../store/operator-ports';
import { actorOf } from './admin-auth';
import type { StockView } from './stock-view';
import { isHubError } from '../errors/hub-error';

export interface AdminViewsDeps {
  store: Store;
  /** The store's operator views (paged, indexed lists); the routes below answer 404 without them. */
  views?: OperatorViews;
  /** Metrics of every thread of this hub, merged (the overview's live figures). */
  metricSamples?: () => Promise<MetricSample[]>;
  /** Stock per (SKU, location): rules, warehouse levels, proposals. */
  stock?: StockView;
  /** A reconciliation dry run (nothing repaired): its report. */
  reconcileDryRun?: () => Promise<unknown>;
  replayed?: () => void;
  /** Business time (the demo plays a month on its own clock): what "today" and "the last 30 days" mean. */
  clock?: () => number;
}

const FIELDS = new Set<EventSearchField>(['sourceEventId', 'subscription', 'customer', 'type']);
const STATUSES = new Set(['open', 'replayed', 'discarded']);
const STAGES = new Set(['verify', 'map', 'route', 'deliver']);
const DAY = 86_400_000;
/** The most dead letters one bulk request replays or discards (the console asks again for more). */
const BULK_MAX = 1000;

/**
 * The console's read side under /admin/api (behind the router's gate): the overview, event search
 * and timelines, dead-letter pages and bulk actions, subscription pages, the dunning board, stock
 * per (SKU, location) and reconciliation dry runs. Lists are pages with an opaque `next` cursor.
 */
export function adminViewRoutes(router: Router, deps: AdminViewsDeps, realNow: () => number): void {
  const now = deps.clock ?? realNow;
  const views = (res: Response): OperatorViews | undefined => {
    if (!deps.views)
      res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'operator views are not available on this store' } });
    return deps.views;
  };

  router.get('/overview', async (_req, res) => {
    const [counts, samples, lastRun] = await Promise.all([
      deps.store.counts(),
      deps.metricSamples?.() ?? Promise.resolve([]),
      deps.store.domain.decisions({ kind: 'reconcile', limit: 1, newest: true }),
    ]);
    res.json({ at: new Date(now()).toISOString(), counts, ...overviewOf(samples), lastReconcile: lastRun[0] ?? null });
  });

  router.get('/event-search', async (req, res) => {
    const v = views(res);
    const page = pageOf(req, res);
    if (!v || !page) return;
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 200) : '';
    const field = req.query.field ?? 'sourceEventId';
    if (typeof field !== 'string' || !FIELDS.has(field as EventSearchField))
      return badQuery(res, `field is one of ${[...FIELDS].join(', ')}`);
    res.json(q ? await v.searchEvents(field as EventSearchField, q, page) : await v.recentEvents(page));
  });

  router.get('/timeline/:inboxId', async (req, res) => {
    const v = views(res);
    if (!v) return;
    const t = await v.eventTimeline(String(req.params.inboxId));
    if (!t) return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'no such inbox entry' } });
    res.json(t);
  });

  router.get('/dead-letter-page', async (req, res) => {
    const v = views(res);
    const page = pageOf(req, res);
    const filter = page && deadLetterFilter(req.query, res);
    if (!v || !page || !filter) return;
    res.json(await v.deadLetters({ ...filter, ...page }));
  });

  router.get('/dead-letter-facets', async (req, res) => {
    const v = views(res);
    if (!v) return;
    const status = req.query.status ?? 'open';
    if (typeof status !== 'string' || !STATUSES.has(status)) return badQuery(res, 'status is open, replayed or discarded');
    res.json(await v.deadLetterFacets(status as DeadLetter['status']));
  });

  // Replays or discards dead letters by id, or every open one matching a filter (at most BULK_MAX per
  // request; `remaining` says whether to ask again). Each is audited with the operator, like one by one.
  router.post('/dead-letters/bulk', adminJsonBody('64kb'), async (req, res) => {
    const v = views(res);
    if (!v) return;
    const body = (req.body ?? {}) as { action?: unknown; ids?: unknown; filter?: unknown };
    if (body.action !== 'replay' && body.action !== 'discard') return badBody(res, 'action is replay or discard');
    let ids: string[];
    let remaining = false;
    if (Array.isArray(body.ids)) {
      if (body.ids.length > BULK_MAX || !body.ids.every((x) => typeof x === 'string'))
        return badBody(res, `ids: at most ${BULK_MAX} strings`);
      ids = body.ids as string[];
    } else if (body.filter && typeof body.filter === 'object') {
      const filter = deadLetterFilter(body.filter as Record<string, unknown>, res, true);
      if (!filter) return;
      const found = await v.deadLetters({ ...filter, status: 'open', limit: 500 });
      ids = found.items.map((d) => d.id);
      if (found.next) {
        const more = await v.deadLetters({ ...filter, status: 'open', limit: BULK_MAX - 500, cursor: found.next });
        ids.push(...more.items.map((d) => d.id));
        remaining = more.next !== undefined;
      }
    } else return badBody(res, 'give ids (an array) or filter (an object)');
    const actor = actorOf(res);
    const outcomes: Record<string, number> = {};
    for (const id of ids) {
      const r =
        body.action === 'replay'
          ? await deps.store.replayDeadLetter(id, actor, now())
          : await deps.store.discardDeadLetter(id, actor, now());
      outcomes[r] = (outcomes[r] ?? 0) + 1;
    }
    if (outcomes.replayed) deps.replayed?.();
    res.json({ action: body.action, matched: ids.length, outcomes, remaining, actor });
  });

  router.get('/subscription-page', async (req, res) => {
    const v = views(res);
    const page = pageOf(req, res);
    if (!v || !page) return;
    const q = typeof req.query.q === 'string' && req.query.q.trim() ? req.query.q.trim().slice(0, 200) : undefined;
    const status = typeof req.query.status === 'string' && req.query.status ? req.query.status.slice(0, 50) : undefined;
    res.json(await v.subscriptions({ ...page, q, status }));
  });

  router.get('/subscription-counts', async (_req, res) => {
    const v = views(res);
    if (v) res.json({ counts: await v.subscriptionCounts() });
  });

  router.get('/dunning-board', async (_req, res) => {
    const v = views(res);
    if (!v) return;
    const since = new Date(now() - 30 * DAY).toISOString();
    const [stages, recoveries, blacklisted] = await Promise.all([
      v.dunningStages(),
      v.recoveriesPerDay(since),
      v.blacklistedCustomers({ limit: 20 }),
    ]);
    res.json({ stages, recoveries: fillDays(recoveries, now(), 30), blacklisted });
  });

  router.get('/dunning-cycles', async (req, res) => {
    const v = views(res);
    const page = pageOf(req, res);
    if (!v || !page) return;
    const stage = typeof req.query.stage === 'string' && req.query.stage ? req.query.stage.slice(0, 50) : undefined;
    res.json(await v.dunningCycles(stage, page));
  });

  router.get('/blacklisted', async (req, res) => {
    const v = views(res);
    const page = pageOf(req, res);
    if (v && page) res.json(await v.blacklistedCustomers(page));
  });

  router.get('/stock', async (_req, res) => {
    if (!deps.stock) return void res.json({ items: [], defaultLocation: null });
    res.json(await deps.stock.list(now()));
  });

  router.get('/stock/detail', async (req, res) => {
    const { sku, location } = req.query;
    if (typeof sku !== 'string' || !sku || typeof location !== 'string' || !location) return badQuery(res, 'give sku and location');
    if (!deps.stock) return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'no stock configured' } });
    res.json(await deps.stock.detail(sku, location, now()));
  });

  router.post('/reconcile/dry-run', async (_req, res) => {
    if (!deps.reconcileDryRun)
      return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'reconciliation is not available here' } });
    try {
      res.json({ report: await deps.reconcileDryRun() });
    } catch (e) {
      if (!isHubError(e)) throw e;
      res
        .status(e.code === 'RECONCILE_LOCKED' ? 409 : 502)
        .json({ error: { code: e.code, message: e.message, next: e.code === 'RECONCILE_LOCKED' ? 'try again later' : 'retry' } });
    }
  });

  router.get('/audit', async (req, res) => {
    const v = views(res);
    const page = pageOf(req, res);
    if (v && page) res.json(await v.audit(page));
  });
}

/** The overview's figures from the metric samples: webhooks per connector, deliveries per target and outcome, circuits and tokens. */
function overviewOf(samples: MetricSample[]) {
  const webhooks: Record<string, Record<string, number>> = {};
  const deliveries: Record<string, Record<string, number>> = {};
  const targets: Record<string, { circuit?: string; tokens?: number }> = {};
  const add = (into: Record<string, Record<string, number>>, key: string, what: string, n: number) => {
    const row = (into[key] ??= {});
    row[what] = (row[what] ?? 0) + n;
  };
  for (const s of samples) {
    const connector = String(s.labels.connector ?? '');
    const target = String(s.labels.target ?? '');
    if (s.name === 'subhub_webhooks_received_total') add(webhooks, connector, 'received', s.value);
    else if (s.name === 'subhub_webhooks_accepted_total') add(webhooks, connector, 'accepted', s.value);
    else if (s.name === 'subhub_webhooks_duplicate_total') add(webhooks, connector, 'duplicate', s.value);
    else if (s.name === 'subhub_webhooks_rejected_total') add(webhooks, connector, 'rejected', s.value);
    else if (s.name === 'subhub_deliveries_total') add(deliveries, target, String(s.labels.outcome ?? ''), s.value);
    else if (s.name === 'subhub_circuit_state')
      (targets[target] ??= {}).circuit = ['closed', 'half-open', 'open'][s.value] ?? String(s.value);
    else if (s.name === 'subhub_rate_limit_tokens') (targets[target] ??= {}).tokens = s.value;
  }
  return { webhooks, deliveries, targets };
}

/** One value per day for the last `days` days (UTC), 0 where nothing happened: a chart needs every day. */
function fillDays(rows: Array<{ day: string; recoveries: number }>, now: number, days: number) {
  const byDay = new Map(rows.map((r) => [r.day, r.recoveries]));
  const out: Array<{ day: string; recoveries: number }> = [];
  for (let i = days - 1; i >= 0; i--) {
    const day = new Date(now - i * DAY).toISOString().slice(0, 10);
    out.push({ day, recoveries: byDay.get(day) ?? 0 });
  }
  return out;
}

/** `cursor` and `limit` (1–500, default 50) from the query; undefined after answering 400. */
function pageOf(req: Request, res: Response): PageRequest | undefined {
  const limit = req.query.limit === undefined ? 50 : Number(req.query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) return void badQuery(res, 'limit is an integer from 1 to 500');
  const cursor = req.query.cursor;
  if (cursor !== undefined && (typeof cursor !== 'string' || cursor.length > 1000))
    return void badQuery(res, 'cursor is a string from a previous page');
  return { limit, cursor: cursor || undefined };
}

function deadLetterFilter(
  q: Record<string, unknown>,
  res: Response,
  inBody = false,
): Omit<DeadLetterQuery, 'limit' | 'cursor'> | undefined {
  const bad = inBody ? badBody : badQuery;
  const f: Omit<DeadLetterQuery, 'limit' | 'cursor'> = {};
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v.slice(0, 200) : undefined);
  if (q.status !== undefined && q.status !== '') {
    if (typeof q.status !== 'string' || !STATUSES.has(q.status)) return void bad(res, 'status is open, replayed or discarded');
    f.status = q.status as DeadLetter['status'];
  }
  if (q.stage !== undefined && q.stage !== '') {
    if (typeof q.stage !== 'string' || !STAGES.has(q.stage)) return void bad(res, 'stage is verify, map, route or deliver');
    f.stage = q.stage as DeadLetterStage;
  }
  f.source = text(q.source);
  f.target = text(q.target);
  f.errorCode = text(q.errorCode);
  return f;
}

function badQuery(res: Response, message: string): void {
  res.status(400).json({ error: { code: 'ADMIN_BAD_QUERY', message } });
}
