import { HubError } from '../errors/hub-error';
import type { Page, PageRequest } from './operator-ports';

/**
 * Paging shared by the OperatorViews adapters. A cursor is base64url of a JSON array: the name of
 * the list it belongs to, then the last row's sort key. Opaque to callers; a cursor that is not one
 * this list made (edited, truncated, from another list) is VIEWS_BAD_CURSOR, never a wrong page.
 */

/** Largest page a view hands out. */
export const MAX_PAGE = 500;

/** A page request that cannot be answered: a malformed or foreign cursor, or a limit outside 1–500. */
export class ViewsPageError extends HubError {
  constructor(message: string) {
    super('VIEWS_BAD_CURSOR', 'bad_input', message, { hint: 'start again from the first page (no cursor); limit is 1–500' });
    this.name = 'ViewsPageError';
  }
}

/** The parts of a sort key: `n` a finite number, `s` a string. */
export type KeyShape = ReadonlyArray<'n' | 's'>;
export type Key = Array<number | string>;

export function encodeCursor(list: string, key: Key): string {
  return Buffer.from(JSON.stringify([list, ...key]), 'utf8').toString('base64url');
}

/** The sort key in `page.cursor` (undefined: first page), after checking the limit. */
export function decodeCursor(list: string, shape: KeyShape, page: PageRequest): Key | undefined {
  const { limit, cursor } = page;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw new ViewsPageError(`page limit ${String(limit)} is not 1–${MAX_PAGE}`);
  if (cursor === undefined) return undefined;
  const bad = (why: string) => new ViewsPageError(`cursor for ${list} is malformed (${why})`);
  if (typeof cursor !== 'string' || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad('not base64url');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad('not JSON');
  }
  if (!Array.isArray(parsed) || parsed.length !== shape.length + 1) throw bad('wrong shape');
  if (parsed[0] !== list) throw bad(`made by ${typeof parsed[0] === 'string' ? parsed[0] : 'something else'}`);
  const key = parsed.slice(1) as unknown[];
  key.forEach((v, i) => {
    if (shape[i] === 'n' ? typeof v !== 'number' || !Number.isFinite(v) : typeof v !== 'string') throw bad(`key part ${i + 1}`);
  });
  return key as Key;
}

/** Key order: each part ascending (numbers numerically, strings by UTF-16 code unit, as SQLite and PostgreSQL's "C" collation order ASCII). */
export function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return 0;
}

/** A row of one stream of a merged list, with its sort key and identity (rows of several streams may be the same row). */
export interface Keyed<T> {
  key: Key;
  id: string;
  item: T;
}

/**
 * Merges streams that each return rows strictly after `after` (in the list's direction), at most
 * `n` of them, in order. Every stream is asked for limit + 1 rows, so a merged page knows whether
 * another follows; a row several streams return (same id) is listed once.
 */
export async function mergedPage<T>(
  list: string,
  streams: ReadonlyArray<(after: Key | undefined, n: number) => Promise<Keyed<T>[]>>,
  after: Key | undefined,
  limit: number,
  direction: 'asc' | 'desc',
): Promise<Page<T>> {
  const sign = direction === 'asc' ? 1 : -1;
  const rows = (await Promise.all(streams.map((s) => s(after, limit + 1)))).flat();
  rows.sort((a, b) => sign * compareKeys(a.key, b.key) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const unique = rows.filter((r, i) => i === 0 || r.id !== rows[i - 1]!.id);
  return pageOf(list, unique, limit);
}

/** The first `limit` of `rows` (already in order, fetched with limit + 1) as a page. */
export function pageOf<T>(list: string, rows: ReadonlyArray<Keyed<T>>, limit: number): Page<T> {
  const items = rows.slice(0, limit);
  return rows.length > limit
    ? { items: items.map((r) => r.item), next: encodeCursor(list, items.at(-1)!.key) }
    : { items: items.map((r) => r.item) };
}

/** Where a newest-first list starts: before every (time, id). */
export const NEWEST: Key = [Number.MAX_SAFE_INTEGER, ''];
