import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';

/** Largest JSON body an admin route reads. */
export const ADMIN_BODY_LIMIT = '256kb';

/**
 * A JSON body parser for one admin route (the router parses no bodies; routes that take one
 * mount this after the token check, so unauthenticated bodies are never read). An unreadable body
 * answers 400 ADMIN_BAD_BODY, one over the limit 413 ADMIN_BODY_TOO_LARGE, in the admin API's
 * `{ error: { code, message } }` shape. A request without a body leaves `req.body` undefined; a
 * body that is not `application/json` is refused (400), never guessed at.
 */
export function adminJsonBody(limit = ADMIN_BODY_LIMIT): RequestHandler {
  const parse = express.json({ limit, strict: true });
  return (req: Request, res: Response, next: NextFunction) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (hasBody && !req.is('application/json'))
      return void res
        .status(400)
        .json({ error: { code: 'ADMIN_BAD_BODY', message: 'send the body as JSON (content-type: application/json)' } });
    parse(req, res, (err?: unknown) => {
      if (err === undefined) return next();
      const e = err as { type?: string; status?: number };
      if (e.type === 'entity.too.large' || e.status === 413)
        return void res.status(413).json({ error: { code: 'ADMIN_BODY_TOO_LARGE', message: `the body is larger than ${limit}` } });
      res.status(400).json({ error: { code: 'ADMIN_BAD_BODY', message: 'the body is not valid JSON' } });
    });
  };
}

/** A 400 ADMIN_BAD_BODY answer. */
export function badBody(res: Response, message: string): void {
  res.status(400).json({ error: { code: 'ADMIN_BAD_BODY', message } });
}
