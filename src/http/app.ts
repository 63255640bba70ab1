import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from '../observability/logger';
import type { HubMetrics, MetricsSnapshot } from '../observability/metrics';

export interface AppDeps {
  logger: Logger;
  metrics: HubMetrics;
  /** Metrics kept elsewhere (the pipeline thread), merged into /metrics. */
  moreMetrics?: () => Promise<MetricsSnapshot[]>;
  /** Readiness facts shown by /readyz. */
  ready(): Promise<{ ready: boolean; checks: Record<string, unknown> }>;
  webhooks?: Router;
  /** Customer-facing links (payment-details updates), public: each carries its own capability token. */
  links?: Router;
  admin?: Router;
  /** The operator console (mounted at /console with the admin API). */
  console?: Router;
}

/**
 * The hub's HTTP surface: webhooks, health (`/healthz`: the process answers), readiness
 * (`/readyz`: store reachable, workers running), Prometheus metrics, the admin API and the console.
 */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', false);
  if (deps.webhooks) app.use(deps.webhooks);
  if (deps.links) app.use(deps.links);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const r = await deps.ready();
    res.status(r.ready ? 200 : 503).json({ status: r.ready ? 'ready' : 'not_ready', checks: r.checks });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', deps.metrics.registry.contentType);
    res.send(await deps.metrics.exposition((await deps.moreMetrics?.()) ?? []));
  });
  // The admin API takes no request bodies: nothing is parsed before the token is checked.
  if (deps.admin) app.use('/admin/api', deps.admin);
  else {
    // Off is not "no such route": say so, and how to switch it on (stable code ADMIN_API_OFF).
    app.use('/admin/api', (_req: Request, res: Response) => {
      res.status(404).json({
        error: {
          code: 'ADMIN_API_OFF',
          message: 'the admin API is off: start the hub with SUBHUB_ADMIN_TOKEN set (a bearer token) to enable /admin/api',
        },
      });
    });
  }
  if (deps.console) app.use('/console', deps.console);
  else {
    app.use('/console', (_req: Request, res: Response) => {
      res.status(404).json({
        error: {
          code: 'CONSOLE_OFF',
          message: 'the console is off: start the hub with SUBHUB_ADMIN_TOKEN set (and admin.console.enabled not false) to serve /console',
        },
      });
    });
  }
  app.use((req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `no route for ${req.method} ${req.path}` } });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      if (!res.headersSent) res.status(status).json({ error: { code: 'BAD_REQUEST', message: (err as Error).message } });
      return;
    }
    deps.logger.error('unhandled request error', { error: err instanceof Error ? err.message : String(err) });
    if (!res.headersSent) res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
  return app;
}
