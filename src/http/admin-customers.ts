import type { Request, Response, Router } from 'express';
import type { CustomerRecord, DecisionRecord } from '../domain/ports';
import type { Store } from '../store/ports';
import { adminJsonBody, badBody } from './admin-body';
import { actorOf } from './admin-auth';

/** Dunning overrides an operator may set per customer (docs/dunning.md §4.5). */
export interface OverridesInput {
  goodwill?: boolean;
  /** Days added to every stage's day threshold, 0..365. */
  graceDays?: number;
}

export interface AdminCustomersDeps {
  store: Store;
  /**
   * Sets a customer's operator overrides through the domain's unit write and re-decides their open
   * dunning cycles; resolves the customer record as committed, undefined for an unknown customer.
   */
  setOverrides?: (customerId: string, overrides: OverridesInput, actor: string) => Promise<CustomerRecord | undefined>;
  /** The customer's overrides from config (`dunning.customers`), for the console to show beside the operator's. */
  configOverrides?: (customerId: string) => OverridesInput | undefined;
}

/** Most decisions one customer page shows (newest first). */
const DECISIONS = 200;
/** Subscriptions whose decisions are gathered for the page; a customer with more shows the newest of these. */
const DECISION_SUBJECTS = 50;
const FIELDS = new Set(['goodwill', 'graceDays']);

/**
 * A customer as operators see it, under /admin/api (behind the token check):
 * `GET /customers/:id` → `{ customer, overrides: { config, operator }, subscriptions, dunning, decisions }`
 * (decisions about the customer and their subscriptions, newest first, at most 200), and
 * `PUT /customers/:id/overrides` with `{ goodwill?, graceDays? }`, which replaces the operator's
 * overrides as a whole (`{}` removes them: config's apply again), decides the customer's open
 * dunning cycles again at once, and answers `{ customer, dunning }`. Audited with the actor
 * (X-Subhub-Actor).
 */
export function adminCustomerRoutes(router: Router, deps: AdminCustomersDeps): void {
  router.get('/customers/:id', async (req, res) => {
    const id = String(req.params.id);
    const domain = deps.store.domain;
    const unit = await domain.loadUnit(id);
    if (!unit.customer) return notFound(res);
    const subjects = [`customer:${id}`, ...unit.subscriptions.slice(0, DECISION_SUBJECTS).map((s) => s.hubSubscriptionId)];
    const trails = await Promise.all(subjects.map((subject) => domain.decisions({ subject, limit: DECISIONS, newest: true })));
    res.json({
      customer: unit.customer,
      overrides: { config: deps.configOverrides?.(id) ?? null, operator: unit.customer.overrides ?? null },
      subscriptions: unit.subscriptions,
      dunning: unit.dunning,
      decisions: newestFirst(trails).slice(0, DECISIONS),
    });
  });

  router.put('/customers/:id/overrides', adminJsonBody(), async (req: Request, res: Response) => {
    const id = String(req.params.id);
    if (!deps.setOverrides)
      return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'the subscription domain is not available here' } });
    const input = overridesOf(req.body);
    if (typeof input === 'string') return badBody(res, input);
    const customer = await deps.setOverrides(id, input, actorOf(res));
    if (!customer) return notFound(res);
    res.json({ customer, dunning: (await deps.store.domain.loadUnit(id)).dunning });
  });
}

/** The overrides of a request body, or what is wrong with it. */
function overridesOf(body: unknown): OverridesInput | string {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    return 'send a JSON object: { "goodwill"?: boolean, "graceDays"?: integer 0..365 }';
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !FIELDS.has(k));
  if (unknown.length) return `unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}: only "goodwill" and "graceDays"`;
  if (b.goodwill !== undefined && typeof b.goodwill !== 'boolean') return '"goodwill" is true or false';
  if (b.graceDays !== undefined && !(Number.isInteger(b.graceDays) && (b.graceDays as number) >= 0 && (b.graceDays as number) <= 365))
    return '"graceDays" is an integer from 0 to 365';
  return {
    ...(b.goodwill !== undefined ? { goodwill: b.goodwill as boolean } : {}),
    ...(b.graceDays !== undefined ? { graceDays: b.graceDays as number } : {}),
  };
}

/** Merges trails that are each newest first into one, newest first (ISO dates sort as strings). */
function newestFirst(trails: DecisionRecord[][]): DecisionRecord[] {
  return trails.flat().sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}

function notFound(res: Response): void {
  res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'no such customer (hub id, e.g. stripe:cus_…)' } });
}
