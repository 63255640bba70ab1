import { FORM_CONTENT_TYPE } from './verifiers';

/**
 * An inbox entry's body as inbound mappings, enrichers and partition keys see it. The stored body
 * is always the exact text received; most sources send JSON (parsed here, throwing a SyntaxError
 * when it is not), and a form body (Mollie's classic `id=tr_…`, told by the kept content type)
 * becomes an object of its parameters, e.g. `{ id: "tr_…" }`.
 */
export function parseInboxBody(body: string, headers: Readonly<Record<string, string>>): unknown {
  const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== FORM_CONTENT_TYPE) return JSON.parse(body);
  // fromEntries defines properties (a `__proto__` parameter stays a plain key); the last repeat wins.
  return Object.fromEntries(new URLSearchParams(body));
}
