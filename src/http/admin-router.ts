import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { actorOf, adminAuth } from './admin-auth';
import type { SessionKeys } from './console/session';
import type { DecisionRecord } from '../domain/ports';
import type { DeadLetterFilter, Store } from '../store/ports';
import { adminInboxRoutes, type AdminInboxDeps } from './admin-inbox';
import { adminViewRoutes, type AdminViewsDeps } from './admin-views';
import { adminCustomerRoutes, type AdminCustomersDeps } from './admin-customers';
import { adminMappingRoutes, type AdminMappingsDeps } from './admin-mappings';
import { StoreUnavailableError } from '../store/store-error';

export interface AdminDeps extends AdminInboxDeps, AdminViewsDeps, AdminCustomersDeps, AdminMappingsDeps {
  store: Store;
  /** The bearer token (SUBHUB_ADMIN_TOKEN); the router is only mounted when one is set. */
  token: string;
  ratePerMin: number;
  /** The console's session keys: its session cookie authenticates like the token (with CSRF checks on changes). */
  sessions?: SessionKeys;
  now?: () => number;
  /** Called after a replay put work back in line (wakes the pipeline). */
  replayed?: () => void;
  /** Clears a customer's blacklist (the domain releases held shipments and tells the shop and the ERP). */
  clearBlacklist?: (customerId: string, actor: string) => Promise<'cleared' | 'not_blacklisted'>;
}

const STATUSES = new Set(['open', 'replayed', 'discarded']);
const STAGES = new Set(['verify', 'map', 'route', 'deliver']);
const DECISION_KINDS = new Set(['demand', 'dunning', 'blacklist', 'reorder', 'projection', 'reconcile']);

/**
 * /admin/api: the gate (adminAuth: rate limit, bearer token or console session with CSRF checks),
 * then JSON endpoints for events, dead letters and the subscription domain. Replays, discards and
 * other changes are audited with the actor (the console's operator, or X-Subhub-Actor, default "admin-api").
 */
export function adminRouter(deps: AdminDeps): Router {
  const now = deps.now ?? Date.now;
  const router = express.Router();

  router.use(adminAuth({ token: deps.token, ratePerMin: deps.ratePerMin, now, sessions: deps.sessions }));

  router.get('/events', async (req, res) => {
    const source = typeof req.query.source === 'string' ? req.query.source : '';
    const sourceEventId = typeof req.query.sourceEventId === 'string' ? req.query.sourceEventId : '';
    if (!source || !sourceEventId)
      return void res.status(400).json({ error: { code: 'ADMIN_BAD_QUERY', message: 'give source and sourceEventId' } });
    const found = await deps.store.findEvent(source, sourceEventId);
    if (!found) return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'no such event' } });
    res.json(found);
  });

  router.get('/dead-letters', async (req, res) => {
    const filter: DeadLetterFilter = {};
    const { status, stage, source, limit } = req.query;
    if (status !== undefined) {
      if (typeof status !== 'string' || !STATUSES.has(status))
        return void res.status(400).json({ error: { code: 'ADMIN_BAD_QUERY', message: 'status is open, replayed or discarded' } });
      filter.status = status as DeadLetterFilter['status'];
    }
    if (stage !== undefined) {
      if (typeof stage !== 'string' || !STAGES.has(stage))
        return void res.status(400).json({ error: { code: 'ADMIN_BAD_QUERY', message: 'stage is verify, map, route or deliver' } });
      filter.stage = stage as DeadLetterFilter['stage'];
    }
    if (typeof source === 'string') filter.source = source;
    if (limit !== undefined) {
      const n = Number(limit);
      if (!Number.isInteger(n) || n < 1 || n > 1000)
        return void res.status(400).json({ error: { code: 'ADMIN_BAD_QUERY', message: 'limit is an integer from 1 to 1000' } });
      filter.limit = n;
    }
    res.json({ deadLetters: await deps.store.listDeadLetters(filter) });
  });

  router.get('/dead-letters/:id', async (req, res) => {
    const dl = await deps.store.getDeadLetter(String(req.params.id));
    if (!dl) return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'no such dead letter' } });
    res.json(dl);
  });

  // What the hub drops and why: ignored inbox entries grouped by (source, event type, reason).
  router.get('/ignored', async (req, res) => {
    const limit = limitOf(req.query.limit, 100);
    if (limit === undefined)
      return void res.status(400).json({ error: { code: 'ADMIN_BAD_QUERY', message: 'limit is an integer from 1 to 1000' } });
    const source = typeof req.query.source === 'string' ? req.query.source : undefined;
    res.json({ ignored: await deps.store.listIgnored({ source, limit }) });
  });

  // Privacy requests (Shopify compliance webhooks): what was redacted, and a data request's data.
  router.get('/privacy-requests', async (req, res) => {
    const limit = limitOf(req.query.limit, 100);
    if (limit === undefined)
      return void res.status(400).json({ error: { code: 'ADMIN_BAD_QUERY', message: 'limit is an integer from 1 to 1000' } });
    res.json({ privacyRequests: await deps.store.privacy.listRequests(limit) });
  });

  router.get('/privacy-requests/:id', async (req, res) => {
    const found = await deps.store.privacy.getRequest(String(req.params.id));
    if (!found) return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'no such privacy request' } });
    res.json(found);
  });

  // The subscription domain: a subscription as the hub sees it, and the decision trail.
  router.get('/subscriptions/:id', async (req, res) => {
    const id = String(req.params.id);
    const domain = deps.store.domain;
    const state = await domain.subscription(id);
    if (!state)
      return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'no such subscription (hub id, e.g. stripe:sub_…)' } });
    const period = (state.snapshot.nextRenewalAt ?? state.snapshot.currentPeriodEnd)?.slice(0, 10);
    res.json({
      subscription: state,
      nextDelivery: period ? ((await domain.demand(id, period)) ?? null) : null,
      dunning: (await domain.dunning(id)) ?? null,
      customer: (await domain.customer(state.hubCustomerId)) ?? null,
      decisions: await domain.decisions({ subject: id, limit: 200, newest: true }),
    });
  });

  router.get('/decisions', async (req, res) => {
    const { kind, subject, limit } = req.query;
    if (kind !== undefined && (typeof kind !== 'string' || !DECISION_KINDS.has(kind))) {
      return void res.status(400).json({ error: { code: 'ADMIN_BAD_QUERY', message: `kind is one of ${[...DECISION_KINDS].join(', ')}` } });
    }
    const n = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000)
      return void res.status(400).json({ error: { code: 'ADMIN_BAD_QUERY', message: 'limit is an integer from 1 to 1000' } });
    // Newest first: what an operator looks for is what just happened.
    res.json({
      decisions: await deps.store.domain.decisions({
        kind: kind as DecisionRecord['kind'] | undefined,
        subject: typeof subject === 'string' ? subject : undefined,
        limit: n,
        newest: true,
      }),
    });
  });

  router.post('/customers/:id/clear-blacklist', async (req, res) => {
    const actor = actorOf(res);
    const id = String(req.params.id);
    if (!deps.clearBlacklist)
      return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'the subscription domain is not available here' } });
    if (!(await deps.store.domain.customer(id)))
      return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'no such customer (hub id, e.g. stripe:cus_…)' } });
    if ((await deps.clearBlacklist(id, actor)) === 'not_blacklisted')
      return void res.status(409).json({ error: { code: 'ADMIN_NOT_BLACKLISTED', message: 'the customer is not blacklisted' } });
    res.json({ status: 'cleared', id, actor });
  });

  adminInboxRoutes(router, deps, now);
  adminViewRoutes(router, deps, now);
  adminCustomerRoutes(router, deps);
  adminMappingRoutes(router, deps);

  for (const action of ['replay', 'discard'] as const) {
    router.post(`/dead-letters/:id/${action}`, async (req, res) => {
      const actor = actorOf(res);
      const id = String(req.params.id);
      const r =
        action === 'replay' ? await deps.store.replayDeadLetter(id, actor, now()) : await deps.store.discardDeadLetter(id, actor, now());
      if (r === 'not_found') return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'no such dead letter' } });
      if (r === 'not_open')
        return void res
          .status(409)
          .json({ error: { code: 'ADMIN_NOT_OPEN', message: 'the dead letter was already replayed or discarded' } });
      if (r === 'not_replayable') {
        return void res.status(409).json({
          error: {
            code: 'ADMIN_NOT_REPLAYABLE',
            message: 'nothing was stored behind this dead letter (an unreadable webhook): discard it',
          },
        });
      }
      if (r === 'replayed') deps.replayed?.();
      res.json({ status: r, id, actor });
    });
  }
  // The store could not answer: say so (503), like the webhook route, instead of a bare 500.
  router.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (!(err instanceof StoreUnavailableError)) return next(err);
    res.setHeader('retry-after', '5');
    res.status(503).json({ error: { code: 'STORE_UNAVAILABLE', message: 'the store is unavailable; try again' } });
  });
  return router;
}

/** A `limit` query value: the default when absent, undefined when it is not an integer from 1 to 1000. */
function limitOf(value: unknown, fallback: number): number | undefined {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : undefined;
}
