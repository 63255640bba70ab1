import { createHash, randomBytes } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { HubConfig } from '../config/config.types';
import { resolveSecret } from '../config/secrets';
import type { ConnectorRuntime } from '../connectors/registry';
import type { ErrorCode } from '../errors/codes';
import type { Logger } from '../observability/logger';
import type { HubMetrics } from '../observability/metrics';
import { logStoreFailure } from '../observability/store-failure';
import { StoreUnavailableError } from '../store/store-error';
import type { EventLogWriter, Store } from '../store/ports';
import { isHubError } from '../errors/hub-error';
import { LocatedErrors } from '../errors/located-error';
import { parseLocatedJson } from '../json/located-json';
import { CLASSIC_MAX_BYTES, DEFAULT_TOLERANCE_SEC, FORM_CONTENT_TYPE, verifiersByScheme, type WebhookVerifier } from './verifiers';

export interface WebhookDeps {
  config: Readonly<HubConfig>;
  connectors: ReadonlyMap<string, ConnectorRuntime>;
  store: Store;
  /** Where verified webhooks are written (eventLog.kind): the store itself, or Kafka. Default: the store. */
  log?: EventLogWriter;
  logger: Logger;
  metrics: HubMetrics;
  env: NodeJS.ProcessEnv;
  /** False once the hub is stopping: new webhooks get 503. */
  accepting(): boolean;
  /** Called after each stored webhook, to wake the pipeline. */
  stored(): void;
  now?: () => number;
}

/** Headers worth keeping with the event (never signatures or credentials). */
const KEPT_HEADERS = [
  'content-type',
  'user-agent',
  'x-shopify-topic',
  'x-shopify-shop-domain',
  'x-shopify-webhook-id',
  'x-shopify-api-version',
  'x-shopify-triggered-at',
  'x-shopify-event-id',
  'webhook-id',
  'webhook-timestamp',
];

interface Source {
  id: string;
  verifier: WebhookVerifier;
  secrets: string[];
  toleranceSec: number;
  /** `webhook.allowUnsigned` (mollie scheme only): Mollie's classic unsigned `id=…` notifications are accepted. */
  allowUnsigned: boolean;
}

/**
 * POST /webhooks/:connectorId. Order of checks, each with its own answer: unknown connector
 * (404), content type (415), body size after decompression and encoding (413/415), signature
 * over the raw bytes (401, also without a configured secret), JSON and event id (400, kept as
 * a dead letter), then the durable append: 202 accepted or 200 duplicate only after the
 * commit, 503 when the store cannot commit or the hub is stopping.
 */
export function webhookRouter(deps: WebhookDeps): Router {
  const now = deps.now ?? Date.now;
  const sources = new Map<string, Source>();
  for (const [id, c] of deps.connectors) {
    const scheme = c.definition.webhook?.scheme;
    const webhook = c.config.webhook;
    if (!scheme || !webhook) continue;
    const secrets = webhook.secrets.map((ref) => resolveSecret(ref, deps.env)).filter((s): s is string => s !== undefined);
    const allowUnsigned = scheme === 'mollie' && webhook.allowUnsigned === true;
    if (secrets.length === 0)
      deps.logger.warn(
        allowUnsigned
          ? 'no webhook secret is set: signed webhooks to this connector are rejected (fail closed); classic unsigned ones are accepted'
          : 'no webhook secret is set: every webhook to this connector is rejected (fail closed)',
        { connector: id },
      );
    sources.set(id, {
      id,
      verifier: verifiersByScheme[scheme],
      secrets,
      toleranceSec: webhook.toleranceSec ?? DEFAULT_TOLERANCE_SEC,
      allowUnsigned,
    });
  }
  const limitKb = deps.config.server?.maxBodyKb ?? 1024;
  const raw = express.raw({ type: () => true, limit: `${limitKb}kb`, inflate: true });
  // Mollie's classic form bodies are one short id: a small limit, whatever server.maxBodyKb says.
  const rawForm = express.raw({ type: () => true, limit: CLASSIC_MAX_BYTES, inflate: true });
  const router = express.Router();

  router.post('/webhooks/:connectorId', (req: Request, res: Response, next: NextFunction) => {
    const source = sources.get(String(req.params.connectorId));
    const connector = String(req.params.connectorId);
    deps.metrics.received.inc({ connector: source ? connector : 'unknown' });
    res.locals.started = process.hrtime.bigint();
    res.locals.connector = source ? connector : 'unknown';
    if (!deps.accepting()) return reject(res, deps, 503, 'HUB_SHUTTING_DOWN', 'the hub is shutting down; send again', 'shutting_down');
    if (!source)
      return reject(res, deps, 404, 'WEBHOOK_UNKNOWN_CONNECTOR', `no connector "${connector}" receives webhooks`, 'unknown_connector');
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    res.locals.source = source;
    if (type === FORM_CONTENT_TYPE && source.verifier.scheme === 'mollie') {
      res.locals.limitText = `${CLASSIC_MAX_BYTES} bytes (a classic Mollie webhook)`;
      return rawForm(req, res, next);
    }
    if (type !== 'application/json')
      return reject(
        res,
        deps,
        415,
        'WEBHOOK_UNSUPPORTED_MEDIA',
        `content type "${type || 'none'}" is not accepted; send application/json`,
        'media_type',
      );
    raw(req, res, next);
  });

  router.post('/webhooks/:connectorId', async (req: Request, res: Response) => {
    const source = res.locals.source as Source;
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const receivedAt = now();
    const verdict = source.verifier.verify({
      rawBody: body,
      headers: req.headers,
      secrets: source.secrets,
      nowSec: Math.floor(receivedAt / 1000),
      toleranceSec: source.toleranceSec,
      allowUnsigned: source.allowUnsigned,
    });
    const text = body.toString('utf8');
    let problem: string | undefined;
    if (!verdict.ok) {
      if (verdict.reason !== 'malformed_body') return reject(res, deps, 401, 'WEBHOOK_SIGNATURE_INVALID', verdict.message, verdict.reason);
      problem = verdict.message;
    }
    const eventType = verdict.ok ? verdict.eventType : undefined;
    // A notification that only names an object (Mollie's classic `id=tr_…`) repeats that id for every
    // change of the object, and may be re-sent: its id cannot be the inbox key, or a later status
    // change would be dropped as a duplicate. Each request gets its own key (object id, receive time,
    // random suffix); repeats of one fetched state are then told apart after enrichment
    // (ConnectorDefinition.webhook.fetchedStateKey).
    const dedupeId = !verdict.ok
      ? undefined
      : verdict.notifyOnly
        ? `${verdict.dedupeId}#${receivedAt}-${randomBytes(6).toString('hex')}`
        : verdict.dedupeId;
    // The Stripe and Mollie verifiers have parsed the event already (its id is the dedupe key);
    // other schemes take their id from a header, so their body is checked here.
    if (verdict.ok && ((source.verifier.scheme !== 'stripe' && source.verifier.scheme !== 'mollie') || !dedupeId)) {
      try {
        JSON.parse(text);
        if (!dedupeId) problem = source.verifier.scheme === 'stripe' ? 'the event has no "id"' : 'the webhook carries no delivery id';
      } catch (e) {
        problem = `the body is not JSON: ${jsonProblem(text, e)}`;
      }
    }
    if (problem || !dedupeId) {
      const message = problem ?? 'the webhook carries no delivery id';
      try {
        await deps.store.addDeadLetter(
          {
            stage: 'verify',
            source: source.id,
            sourceEventId: `sha256:${createHash('sha256').update(body).digest('hex')}`,
            errorCode: 'WEBHOOK_MALFORMED',
            errorMessage: message,
            attempts: 1,
            firstAttemptAt: receivedAt,
            lastAttemptAt: receivedAt,
            payload: text,
          },
          receivedAt,
        );
      } catch (e) {
        if (e instanceof StoreUnavailableError)
          return reject(res, deps, 503, 'STORE_UNAVAILABLE', 'the hub cannot store events right now; send again', 'store');
        throw e;
      }
      return reject(res, deps, 400, 'WEBHOOK_MALFORMED', message, 'malformed');
    }

    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    try {
      // Shopify signs only the body: the webhook id and topic could be swapped on a captured
      // delivery, so the same topic + body counts as the same event whatever its id.
      const contentKey =
        source.verifier.scheme === 'shopify'
          ? createHash('sha256')
              .update(`${eventType ?? ''}\n`)
              .update(body)
              .digest('hex')
          : undefined;
      const r = await (deps.log ?? deps.store).append({
        source: source.id,
        sourceEventId: dedupeId,
        eventType,
        receivedAt,
        headers,
        body: text,
        contentKey,
      });
      observe(res, deps);
      if (r.status === 'duplicate') {
        deps.metrics.duplicate.inc({ connector: source.id });
        res.status(200).json({ status: 'duplicate', id: r.id });
        return;
      }
      deps.metrics.accepted.inc({ connector: source.id });
      deps.logger.debug('webhook accepted', { eventId: r.id, source: source.id, sourceEventId: dedupeId, eventType });
      res.status(202).json({ status: 'accepted', id: r.id });
      deps.stored();
    } catch (e) {
      if (e instanceof StoreUnavailableError) {
        logStoreFailure(deps, 'append_webhook', 'store cannot commit: answering 503', e, { source: source.id });
        return reject(res, deps, 503, 'STORE_UNAVAILABLE', 'the hub cannot store events right now; send again', 'store');
      }
      if (isHubError(e) && e.code === 'EVENT_LOG_UNAVAILABLE') {
        logStoreFailure(deps, 'append_webhook', 'event log did not acknowledge: answering 503', e, { source: source.id });
        return reject(res, deps, 503, 'EVENT_LOG_UNAVAILABLE', 'the hub cannot log events right now; send again', 'event_log');
      }
      throw e;
    }
  });

  // body-parser's own refusals, answered in the same shape.
  router.use('/webhooks', (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const type = (err as { type?: string }).type;
    if (type === 'entity.too.large') {
      const limit = typeof res.locals.limitText === 'string' ? res.locals.limitText : `${limitKb} KiB`;
      return reject(res, deps, 413, 'WEBHOOK_TOO_LARGE', `the body exceeds ${limit} (after decompression)`, 'too_large');
    }
    if (type === 'encoding.unsupported' || type === 'charset.unsupported')
      return reject(res, deps, 415, 'WEBHOOK_UNSUPPORTED_MEDIA', (err as Error).message, 'encoding');
    if (type === 'request.aborted' || type === 'request.size.invalid')
      return reject(res, deps, 400, 'WEBHOOK_MALFORMED', (err as Error).message, 'aborted');
    if ((err as { status?: number }).status === 400)
      return reject(res, deps, 400, 'WEBHOOK_MALFORMED', 'the body could not be read (bad compression?)', 'unreadable');
    next(err);
  });
  return router;
}

/** Where and what the JSON error is (line, column, offset), whatever JSON.parse's message says. */
function jsonProblem(text: string, e: unknown): string {
  try {
    parseLocatedJson(text, 'body');
  } catch (located) {
    const first = located instanceof LocatedErrors ? located.errors[0] : undefined;
    if (first?.location.line !== undefined) return `${first.message} at line ${first.location.line}, column ${first.location.col}`;
  }
  return (e as Error).message;
}

function observe(res: Response, deps: WebhookDeps): void {
  const started = res.locals.started as bigint | undefined;
  if (started !== undefined)
    deps.metrics.webhookSeconds.observe({ connector: String(res.locals.connector) }, Number(process.hrtime.bigint() - started) / 1e9);
}

function reject(res: Response, deps: WebhookDeps, status: number, code: ErrorCode, message: string, reason: string): void {
  deps.metrics.rejected.inc({ connector: String(res.locals.connector ?? 'unknown'), reason });
  observe(res, deps);
  if (status === 503) res.setHeader('retry-after', '5');
  res.status(status).json({ error: { code, message } });
}
