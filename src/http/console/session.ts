import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The console's session: a signed cookie, no server-side state, so every hub sharing the admin
 * token accepts it (several hubs behind one load balancer) and changing the token ends every
 * session. The cookie holds its expiry and the operator's name (audited on replays and discards),
 * MAC'd with a key derived from the admin token. The CSRF token is derived from the cookie: a page
 * of another origin can neither read the cookie (HttpOnly) nor the token (same-origin policy).
 */
export interface ConsoleSession {
  actor: string;
  expiresAt: number;
}

export const SESSION_COOKIE = 'subhub_session';
const VERSION = 'v1';

export class SessionKeys {
  readonly #key: Buffer;

  constructor(adminToken: string) {
    this.#key = createHmac('sha256', adminToken).update('subhub console session v1').digest();
  }

  /** The cookie value for an operator until `expiresAt` (epoch ms). */
  issue(actor: string, expiresAt: number): string {
    const body = `${VERSION}.${expiresAt.toString(36)}.${Buffer.from(actor, 'utf8').toString('base64url')}`;
    return `${body}.${this.#mac(body)}`;
  }

  /** The session a cookie value stands for, or undefined (forged, malformed or expired at `now`). */
  verify(value: string | undefined, now: number): ConsoleSession | undefined {
    if (!value || value.length > 512) return undefined;
    const parts = value.split('.');
    if (parts.length !== 4 || parts[0] !== VERSION) return undefined;
    const body = parts.slice(0, 3).join('.');
    if (!equal(parts[3]!, this.#mac(body))) return undefined;
    const expiresAt = parseInt(parts[1]!, 36);
    if (!Number.isFinite(expiresAt) || expiresAt <= now) return undefined;
    return { actor: Buffer.from(parts[2]!, 'base64url').toString('utf8'), expiresAt };
  }

  /** The CSRF token that goes with a cookie value. */
  csrf(cookieValue: string): string {
    return this.#mac(`csrf.${cookieValue}`);
  }

  /** Constant time: whether `token` is the CSRF token of `cookieValue`. */
  csrfValid(cookieValue: string, token: string | undefined): boolean {
    return token !== undefined && equal(token, this.csrf(cookieValue));
  }

  #mac(text: string): string {
    return createHmac('sha256', this.#key).update(text).digest('base64url');
  }
}

/** Constant-time string compare (a length difference returns false without comparing contents). */
function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The value of one cookie from a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** An operator's name as recorded: printable, trimmed, at most 100 characters; empty when nothing printable is left. */
export function cleanActor(name: unknown): string {
  if (typeof name !== 'string') return '';
  // eslint-disable-next-line no-control-regex
  const printable = name.replace(/[\u0000-\u001f\u007f]/g, '');
  return printable.trim().slice(0, 100);
}
