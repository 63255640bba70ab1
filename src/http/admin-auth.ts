import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { TokenBucket } from '../util/token-bucket';
import { cookieValue, SESSION_COOKIE, type SessionKeys } from './console/session';

export interface AdminAuthOptions {
  token: string;
  ratePerMin: number;
  now: () => number;
  /** The console's session keys: a valid session cookie authenticates like the bearer token. */
  sessions?: SessionKeys;
}

/**
 * The admin API's gate, in this order: a token bucket per client address (429 ADMIN_RATE_LIMITED),
 * then either the bearer token (constant-time compare of SHA-256 digests, so length leaks nothing)
 * or the console's session cookie. A cookie is sent by the browser on its own, so a state-changing
 * request authenticated by it must also carry the session's CSRF token (X-CSRF-Token) and must not
 * come from another origin (Sec-Fetch-Site, Origin): else 403 CONSOLE_CSRF. The actor recorded on
 * changes is the session's operator, or X-Subhub-Actor with the bearer token (`actorOf`).
 */
export function adminAuth(o: AdminAuthOptions): RequestHandler {
  const expected = createHash('sha256').update(o.token).digest();
  const buckets = new Map<string, TokenBucket>();
  return (req: Request, res: Response, next: NextFunction) => {
    const key = req.ip ?? 'unknown';
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size > 10_000) buckets.clear();
      buckets.set(key, (bucket = new TokenBucket(o.ratePerMin / 60, o.ratePerMin, o.now())));
    }
    const wait = bucket.take(o.now());
    if (wait > 0) {
      res.setHeader('retry-after', String(Math.ceil(wait / 1000)));
      return void res.status(429).json({ error: { code: 'ADMIN_RATE_LIMITED', message: 'too many requests' } });
    }
    const authorization = req.headers.authorization;
    if (authorization !== undefined || !o.sessions) {
      // The auth scheme name is case-insensitive (RFC 9110).
      const given = /^bearer\s+(.+)$/i.exec(authorization ?? '')?.[1] ?? '';
      if (!timingSafeEqual(createHash('sha256').update(given).digest(), expected)) return void unauthorized(res);
      res.locals.actor = String(req.headers['x-subhub-actor'] ?? 'admin-api').slice(0, 100);
      return next();
    }
    const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const session = o.sessions.verify(cookie, o.now());
    if (!session || !cookie) return void unauthorized(res);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const refusal =
        crossSiteRefusal(req) ?? (o.sessions.csrfValid(cookie, header(req, 'x-csrf-token')) ? undefined : 'no valid X-CSRF-Token');
      if (refusal) {
        return void res.status(403).json({ error: { code: 'CONSOLE_CSRF', message: `refused: ${refusal} (log in to the console again)` } });
      }
    }
    res.locals.actor = session.actor;
    next();
  };
}

/** Why a cookie-authenticated state change looks cross-site, or undefined when it does not. */
export function crossSiteRefusal(req: Request): string | undefined {
  const site = header(req, 'sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return `a ${site} request`;
  const origin = header(req, 'origin');
  if (origin !== undefined && origin !== `${req.protocol}://${req.headers.host ?? ''}`) return `origin ${origin}`;
  return undefined;
}

/** Who made a change, as the gate found it (the console's operator or the API client's X-Subhub-Actor). */
export function actorOf(res: Response): string {
  return typeof res.locals.actor === 'string' ? res.locals.actor : 'admin-api';
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function unauthorized(res: Response): void {
  res.status(401).json({ error: { code: 'ADMIN_UNAUTHORIZED', message: 'a valid bearer token or console session is required' } });
}
