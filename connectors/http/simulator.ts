import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { restTooMany, simulatorKit } from '../../src/sdk';

/**
 * A "mailbox": a transactional e-mail service for the generic HTTP connector (the `mailer`
 * connector that sends dunning notifications), for tests and demos.
 *
 * - `POST /messages` takes JSON `{to, template, subject?, variables?}` and answers
 *   `202 {"id"}`. With an `Idempotency-Key` header, a repeat of that key answers the first
 *   answer again with `200` (header `idempotent-replayed: true`) and stores nothing; only accepted
 *   messages are remembered, so a corrected retry of a rejected request may reuse its key.
 * - `GET /messages?limit=&cursor=` lists stored messages oldest first: `{data, nextCursor}`
 *   (cursor pagination as in the warehouse simulator; `nextCursor` is null on the last page).
 * - Errors are JSON `{"error": {"code", "message"}}`: 400 invalid_json / invalid_request,
 *   401 unauthorized, 413 payload_too_large, 415 unsupported_media_type, 404 not_found.
 *
 * `npx subhub simulate mailbox --port N` starts it alone.
 */
export interface MailboxSimulatorOptions {
  /** Bearer token required on every request (none: open). */
  token?: string;
  /** Largest accepted request body, in kilobytes (default 64). */
  maxBodyKb?: number;
}

/** One accepted message, as stored. */
export interface MailboxMessage {
  id: string;
  to: string;
  template: string;
  subject?: string;
  variables?: Record<string, unknown>;
  idempotencyKey?: string;
  receivedAt: string;
}

export interface MailboxSimulator {
  url: string;
  /** A copy of every stored message, oldest first. */
  messages(): MailboxMessage[];
  close(): Promise<void>;
}

const fail = (res: Response, status: number, code: string, message: string) => void res.status(status).json({ error: { code, message } });

/** The problems of a `POST /messages` body (empty: valid). */
function problemsOf(body: unknown): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return ['the body is a JSON object'];
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof b.to !== 'string' || b.to.trim() === '') problems.push('to is a non-empty string');
  if (typeof b.template !== 'string' || b.template.trim() === '') problems.push('template is a non-empty string');
  if (b.subject !== undefined && typeof b.subject !== 'string') problems.push('subject is a string');
  if (b.variables !== undefined && (b.variables === null || typeof b.variables !== 'object' || Array.isArray(b.variables)))
    problems.push('variables is an object');
  return problems;
}

export function createMailboxApp(store: MailboxMessage[], options: MailboxSimulatorOptions = {}) {
  const app = express();
  const replies = new Map<string, { id: string }>();
  app.disable('x-powered-by');
  app.use((req, res, next) => {
    if (options.token && req.header('authorization') !== `Bearer ${options.token}`)
      return fail(res, 401, 'unauthorized', 'a valid bearer token is required');
    next();
  });
  app.use(express.json({ limit: `${options.maxBodyKb ?? 64}kb` }));

  app.post('/messages', (req, res) => {
    if (!req.is('application/json')) return fail(res, 415, 'unsupported_media_type', 'send Content-Type: application/json');
    const key = req.header('idempotency-key') || undefined;
    const earlier = key === undefined ? undefined : replies.get(key);
    if (earlier) return void res.status(200).set('idempotent-replayed', 'true').json(earlier);
    const problems = problemsOf(req.body);
    if (problems.length > 0) return fail(res, 400, 'invalid_request', problems.join('; '));
    const b = req.body as { to: string; template: string; subject?: string; variables?: Record<string, unknown> };
    // Zero-padded, so the id order is the arrival order (the pagination cursor compares ids).
    const id = `msg_${String(store.length + 1).padStart(8, '0')}`;
    store.push({
      id,
      to: b.to,
      template: b.template,
      subject: b.subject,
      variables: b.variables,
      idempotencyKey: key,
      receivedAt: new Date().toISOString(),
    });
    if (key !== undefined) replies.set(key, { id });
    res.status(202).json({ id });
  });

  app.get('/messages', (req, res) => {
    const limit = Math.min(100, Math.max(1, Number(req.query.limit ?? 50) || 50));
    const cursor = typeof req.query.cursor === 'string' ? req.query.cursor : undefined;
    const start = cursor === undefined ? 0 : store.findIndex((m) => m.id > cursor);
    const slice = start < 0 ? [] : store.slice(start, start + limit);
    const more = start >= 0 && start + limit < store.length;
    res.json({ data: slice, nextCursor: more ? slice.at(-1)!.id : null });
  });

  app.use((_req, res) => fail(res, 404, 'not_found', 'no such route'));
  // body-parser marks its errors with `type`; anything else is a bug of the simulator.
  app.use((err: { status?: number; type?: string; message?: string }, _req: Request, res: Response, _next: NextFunction) => {
    if (err.type === 'entity.parse.failed') return fail(res, 400, 'invalid_json', 'the body is not valid JSON');
    if (err.type === 'entity.too.large')
      return fail(res, 413, 'payload_too_large', `the body is larger than ${options.maxBodyKb ?? 64} KB`);
    if (err.status && err.status >= 400 && err.status < 500) return fail(res, err.status, 'invalid_request', err.message ?? 'bad request');
    fail(res, 500, 'internal', err.message ?? 'error');
  });
  return app;
}

/** Starts the mailbox on `host:port` (0: any free port); rejects when the port cannot be bound. */
export async function startMailboxSimulator(
  port = 0,
  options: MailboxSimulatorOptions = {},
  host = '127.0.0.1',
): Promise<MailboxSimulator> {
  const store: MailboxMessage[] = [];
  const server: Server = await new Promise((resolve, reject) => {
    // Express 5 passes a listen error (EADDRINUSE) to this callback.
    const s = express()
      .use(simulatorKit('mailbox', {}, restTooMany).handler, createMailboxApp(store, options))
      .listen(port, host, (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    messages: () => structuredClone(store),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
