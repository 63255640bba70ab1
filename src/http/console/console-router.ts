import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { TokenBucket } from '../../util/token-bucket';
import { crossSiteRefusal } from '../admin-auth';
import { cleanActor, cookieValue, SESSION_COOKIE, type SessionKeys } from './session';
import { loginPage, PAGES, shellPage, type PageName } from './pages';

export interface ConsoleOptions {
  token: string;
  sessions: SessionKeys;
  now: () => number;
  /** Hours a login lasts. */
  sessionHours: number;
  /** IANA time zone times are shown in (the business's), and the locale numbers follow (default: the browser's). */
  timeZone: string;
  locale?: string;
  /** Login attempts per minute per client address. */
  loginsPerMin?: number;
}

/**
 * The operator console at /console: static assets shipped in the package (nothing fetched at run
 * time), a login that exchanges the admin token for a session cookie (HttpOnly, SameSite=Strict,
 * signed; see session.ts), and one page per area, each a small HTML shell whose script reads the
 * admin API with the cookie. Every response carries a content security policy without inline
 * scripts or styles. Pages without a session redirect to the login (HTML) or answer 401 (JSON).
 */
export function consoleRouter(o: ConsoleOptions): Router {
  const router = express.Router();
  const expected = createHash('sha256').update(o.token).digest();
  const buckets = new Map<string, TokenBucket>();
  const assets = assetRoot();

  router.use((_req, res, next) => {
    res.setHeader(
      'content-security-policy',
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; " +
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    res.setHeader('x-content-type-options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer a form POST carries `Origin: null`, which the CSRF check refuses.
    res.setHeader('referrer-policy', 'same-origin');
    res.setHeader('x-frame-options', 'DENY');
    next();
  });

  const staticOptions = { fallthrough: false, index: false, maxAge: '1h', dotfiles: 'deny' as const };
  router.use('/assets', express.static(join(assets, 'console', 'assets'), staticOptions));
  router.get('/vendor/preact.js', (_req, res) => sendVendor(res, 'htm', 'preact/standalone.mjs'));
  router.get('/vendor/uplot.js', (_req, res) => sendVendor(res, 'uplot', 'dist/uPlot.esm.js'));
  router.get('/vendor/uplot.css', (_req, res) => sendVendor(res, 'uplot', 'dist/uPlot.min.css'));

  const session = (req: Request) => {
    const cookie = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const s = o.sessions.verify(cookie, o.now());
    return s && cookie ? { ...s, cookie } : undefined;
  };

  router.get('/login', (req, res) => {
    res.setHeader('cache-control', 'no-store');
    res.type('html').send(loginPage(req.query.failed === '1' ? 'That token is not the admin token.' : undefined, nextOf(req.query.next)));
  });

  router.post('/login', express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 }), (req, res) => {
    const refusal = crossSiteRefusal(req);
    if (refusal) return void res.status(403).json({ error: { code: 'CONSOLE_CSRF', message: `login refused: ${refusal}` } });
    const key = req.ip ?? 'unknown';
    let bucket = buckets.get(key);
    if (!bucket) {
      if (buckets.size > 10_000) buckets.clear();
      const perMin = o.loginsPerMin ?? 10;
      buckets.set(key, (bucket = new TokenBucket(perMin / 60, perMin, o.now())));
    }
    const wait = bucket.take(o.now());
    if (wait > 0) {
      res.setHeader('retry-after', String(Math.ceil(wait / 1000)));
      return void res.status(429).type('html').send(loginPage('Too many attempts: wait a minute and try again.'));
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = typeof body.token === 'string' ? body.token : '';
    const actor = cleanActor(body.name);
    const next = nextOf(body.next);
    if (!timingSafeEqual(createHash('sha256').update(token).digest(), expected) || !actor) {
      return void res.redirect(303, `/console/login?failed=1${next !== '/console/' ? `&next=${encodeURIComponent(next)}` : ''}`);
    }
    const expiresAt = o.now() + o.sessionHours * 3_600_000;
    res.cookie(SESSION_COOKIE, o.sessions.issue(actor, expiresAt), {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
      expires: new Date(expiresAt),
    });
    res.redirect(303, next);
  });

  router.post('/logout', (req, res) => {
    const s = session(req);
    const refusal =
      crossSiteRefusal(req) ?? (s && o.sessions.csrfValid(s.cookie, header(req, 'x-csrf-token')) ? undefined : 'no valid X-CSRF-Token');
    if (refusal) return void res.status(403).json({ error: { code: 'CONSOLE_CSRF', message: `logout refused: ${refusal}` } });
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
    res.status(204).end();
  });

  // What the page scripts need: who is logged in, the CSRF token for changes, how to format.
  router.get('/session', (req, res) => {
    res.setHeader('cache-control', 'no-store');
    const s = session(req);
    if (!s) return void res.status(401).json({ error: { code: 'ADMIN_UNAUTHORIZED', message: 'log in to the console' } });
    res.json({ actor: s.actor, csrf: o.sessions.csrf(s.cookie), expiresAt: s.expiresAt, timeZone: o.timeZone, locale: o.locale ?? null });
  });

  router.get(['/', '/:page'], (req: Request, res: Response, next: NextFunction) => {
    const page = (req.params.page ?? 'overview') as PageName;
    if (!PAGES.some((p) => p.name === page)) return next();
    res.setHeader('cache-control', 'no-store');
    if (!session(req)) return void res.redirect(302, `/console/login?next=${encodeURIComponent(req.originalUrl)}`);
    res.type('html').send(shellPage(page));
  });

  router.use((req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `no console page ${req.path}` } });
  });
  return router;
}

/** Where a login goes next: a console path only (never another site: no open redirect). */
function nextOf(value: unknown): string {
  return typeof value === 'string' && /^\/console\/[A-Za-z0-9\-/?=&%._~]*$/.test(value) && !value.includes('//') ? value : '/console/';
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/** The package root: the folder holding console/ (two levels above this file in src/, three in dist/src/). */
function assetRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'console', 'assets'))) return dir;
    dir = dirname(dir);
  }
  return resolve(__dirname, '..', '..', '..');
}

/** Serves a file of an installed package (its version pinned in package.json): no CDN. */
function sendVendor(res: Response, pkg: string, file: string): void {
  // The package's folder, found from its main entry (its exports do not list package.json).
  const main = require.resolve(pkg);
  const marker = join('node_modules', pkg);
  const root = main.slice(0, main.lastIndexOf(marker) + marker.length);
  res.setHeader('cache-control', 'public, max-age=3600');
  res.sendFile(join(root, file), { headers: { 'content-type': file.endsWith('.css') ? 'text/css' : 'text/javascript' } });
}
