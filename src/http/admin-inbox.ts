import type { Router } from 'express';
import { inboxSettlement } from '../pipeline/normalise-quarantine';
import { actorOf } from './admin-auth';
import type { Store } from '../store/ports';

export interface AdminInboxDeps {
  store: Store;
  /** Called after an entry was set aside: the hub abandons it if the pipeline is stuck on it. Resolves whether it did. */
  inboxSettled?: (inboxId: string) => Promise<boolean>;
}

/**
 * Operator control of the inbox under /admin/api (behind the router's token check and rate
 * limit): `GET /inbox` lists pending entries oldest first (attempts > 1 means an earlier claim
 * never finished); `POST /inbox/:id/skip` marks one ignored and `POST /inbox/:id/dead-letter`
 * turns it into a dead letter INBOX_SET_ASIDE (replayable later). Both are audited with the
 * actor (X-Subhub-Actor) and take an optional `?reason=` (the admin API reads no bodies).
 */
export function adminInboxRoutes(router: Router, deps: AdminInboxDeps, now: () => number): void {
  router.get('/inbox', async (req, res) => {
    const n = req.query.limit === undefined ? 100 : Number(req.query.limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000)
      return void res.status(400).json({ error: { code: 'ADMIN_BAD_QUERY', message: 'limit is an integer from 1 to 1000' } });
    res.json({ entries: await deps.store.listPendingInbox(n) });
  });

  for (const action of ['skip', 'dead-letter'] as const) {
    router.post(`/inbox/:id/${action}`, async (req, res) => {
      const actor = actorOf(res);
      const reason = (typeof req.query.reason === 'string' ? req.query.reason : '').slice(0, 500);
      const id = String(req.params.id);
      const r = await deps.store.settleInbox(id, inboxSettlement(action, actor, reason), actor, now());
      if (r.status === 'not_found')
        return void res.status(404).json({ error: { code: 'ADMIN_NOT_FOUND', message: 'no such inbox entry' } });
      if (r.status === 'not_pending') {
        return void res.status(409).json({
          error: {
            code: 'ADMIN_NOT_PENDING',
            message: 'the inbox entry was already normalised, ignored or dead-lettered: nothing changed',
          },
        });
      }
      const abandoned = (await deps.inboxSettled?.(id)) ?? false;
      res.json({ ...r, id, actor, abandoned });
    });
  }
}
