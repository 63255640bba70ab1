// The console's access to the admin API: same origin, the session cookie (sent by the browser),
// the CSRF token on every change, and a 401 sends the operator to the login page.
import { useCallback, useEffect, useRef, useState } from '/console/vendor/preact.js';

let csrf = '';

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

function toLogin() {
  location.assign(`/console/login?next=${encodeURIComponent(location.pathname + location.search)}`);
  return new ApiError(401, 'ADMIN_UNAUTHORIZED', 'your session ended: log in again');
}

export async function loadSession() {
  const r = await fetch('/console/session', { credentials: 'same-origin' });
  if (r.status === 401) throw toLogin();
  const s = await r.json();
  csrf = s.csrf;
  return s;
}

export async function logout() {
  await fetch('/console/logout', { method: 'POST', headers: { 'x-csrf-token': csrf }, credentials: 'same-origin' });
  location.assign('/console/login');
}

/** Calls /admin/api{path}; resolves the JSON body, rejects with an ApiError carrying the stable code. */
export async function api(path, { method = 'GET', body } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET') headers['x-csrf-token'] = csrf;
  const r = await fetch(`/admin/api${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (r.status === 401) throw toLogin();
  const data = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, data.error?.code, data.error?.message);
  return data;
}

/** A query string from an object, leaving out empty values. */
export function qs(params) {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * Loads `path` (again whenever it changes, and on `reload()`); `everyMs` refreshes it without
 * reloading the page. Returns { data, error, loading, reload }.
 */
export function useApi(path, everyMs) {
  const [state, setState] = useState({ data: undefined, error: undefined, loading: path !== null });
  const seq = useRef(0);
  const load = useCallback(() => {
    if (path === null) return;
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    api(path).then(
      (data) => mine === seq.current && setState({ data, error: undefined, loading: false }),
      (error) => mine === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, [path]);
  useEffect(() => {
    load();
    if (!everyMs) return undefined;
    const t = setInterval(load, everyMs);
    return () => clearInterval(t);
  }, [load, everyMs]);
  return { ...state, reload: load };
}

/** The page's query parameters as state, kept in the address bar (back and forward work, links can be shared). */
export function useQueryState() {
  const [params, setParams] = useState(() => Object.fromEntries(new URLSearchParams(location.search)));
  useEffect(() => {
    const onPop = () => setParams(Object.fromEntries(new URLSearchParams(location.search)));
    addEventListener('popstate', onPop);
    return () => removeEventListener('popstate', onPop);
  }, []);
  const update = useCallback((next, replace = false) => {
    const merged = { ...Object.fromEntries(new URLSearchParams(location.search)), ...next };
    for (const k of Object.keys(merged)) if (merged[k] === undefined || merged[k] === '') delete merged[k];
    const url = `${location.pathname}${qs(merged)}`;
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    setParams(merged);
  }, []);
  return [params, update];
}
