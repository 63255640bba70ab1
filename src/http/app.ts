import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { HubConfig } from '../config/config.types';
import type { Logger } from '../observability/logger';

export interface AppDeps {
  config: Readonly<HubConfig>;
  logger: Logger;
  /** Readiness facts shown by /readyz. */
  ready(): { ready: boolean; checks: Record<string, unknown> };
}

/**
 * The hub's HTTP surface. For now: health (`/healthz`: the process answers) and readiness
 * (`/readyz`: config loaded, mappings compiled). Webhooks and the admin API join in later.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', (_req, res) => {
    const r = deps.ready();
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'not_ready', checks: r.checks });
  });
  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${req.path}` } });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    deps.logger.error('unhandled request error', { error: err instanceof Error ? err.message : String(err) });
    res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  return app;
}
