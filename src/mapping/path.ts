/**
 * The path syntax of mappings, parsed once at compile time.
 *
 *   data.object.id            relative to the current item (the input at top level)
 *   $.data.object.id          from the root input, also inside $map
 *   $sub.items.data[0]        from the variable `sub` (declared in `let`, or by `as`/`index`)
 *   @                         the current item itself
 *   items[-1]                 last element; items[*] / items.* every element (the result is an array)
 *   metadata["order-ref"]     a key that is not a plain identifier
 *
 * Only own properties are read: `__proto__`, `constructor` and friends resolve to nothing unless
 * the input really holds such a key. Arrays have elements, not keys.
 */

export type PathBase = { kind: 'cur' } | { kind: 'root' } | { kind: 'var'; name: string };
export type PathSegment = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'wild' };

export interface ParsedPath {
  base: PathBase;
  segments: PathSegment[];
  hasWildcard: boolean;
}

export class PathSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const INT = /-?\d+/y;

export function parsePath(text: string): ParsedPath {
  let i = 0;
  const err = (msg: string): never => {
    throw new PathSyntaxError(`${msg} at column ${i + 1} of "${text}"`, i + 1);
  };
  const ident = (): string | undefined => {
    IDENT.lastIndex = i;
    const m = IDENT.exec(text);
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };

  if (text.length === 0) err('empty path');
  let base: PathBase = { kind: 'cur' };
  if (text[0] === '$') {
    i = 1;
    const name = ident();
    base = name === undefined ? { kind: 'root' } : { kind: 'var', name };
  } else if (text[0] === '@') {
    i = 1;
  }
  const segments: PathSegment[] = [];
  let first = base.kind === 'cur' && text[0] !== '@';
  while (i < text.length) {
    const c = text[i];
    if (c === '.' || first) {
      if (!first) i++;
      first = false;
      if (text[i] === '*') {
        i++;
        segments.push({ kind: 'wild' });
        continue;
      }
      if (text[i] === '[' && text[i - 1] === '.') err('"." cannot come before "["');
      if (text[i] === '[') continue;
      const key = ident();
      if (key === undefined) err('expected a key name');
      segments.push({ kind: 'key', key: key! });
    } else if (c === '[') {
      i++;
      if (text[i] === '*') {
        i++;
        segments.push({ kind: 'wild' });
      } else if (text[i] === '"' || text[i] === "'") {
        segments.push({ kind: 'key', key: quoted(text[i]!) });
      } else {
        INT.lastIndex = i;
        const m = INT.exec(text);
        if (!m) err('expected an index, * or a quoted key');
        i += m![0].length;
        const index = Number(m![0]);
        if (!Number.isSafeInteger(index)) err('index out of range');
        segments.push({ kind: 'index', index });
      }
      if (text[i] !== ']') err('expected ]');
      i++;
    } else {
      err(`unexpected "${c}"`);
    }
  }
  return { base, segments, hasWildcard: segments.some((s) => s.kind === 'wild') };

  function quoted(q: string): string {
    i++;
    let out = '';
    while (i < text.length && text[i] !== q) {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      out += text[i];
      i++;
    }
    if (text[i] !== q) err('unterminated quoted key');
    i++;
    return out;
  }
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Reads one step; undefined when the value has no such own key or element. */
export function step(value: unknown, seg: PathSegment): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  if (seg.kind === 'key') {
    if (Array.isArray(value) || !hasOwn.call(value, seg.key)) return undefined;
    return (value as Record<string, unknown>)[seg.key];
  }
  if (seg.kind === 'index') {
    if (!Array.isArray(value)) return undefined;
    const idx = seg.index < 0 ? value.length + seg.index : seg.index;
    return idx >= 0 && idx < value.length ? value[idx] : undefined;
  }
  return undefined;
}

/** Follows `segments` from `start`. Each wildcard fans out one level; the result is then an array. */
export function walk(start: unknown, segments: readonly PathSegment[], from = 0): unknown {
  let v = start;
  for (let k = from; k < segments.length; k++) {
    const seg = segments[k]!;
    if (seg.kind === 'wild') {
      if (v === null || typeof v !== 'object') return undefined;
      const elements = Array.isArray(v) ? v : Object.values(v);
      const fansOutAgain = hasWildcardFrom(segments, k + 1);
      const out: unknown[] = [];
      for (const el of elements) {
        const r = walk(el, segments, k + 1);
        if (r === undefined) continue;
        if (fansOutAgain && Array.isArray(r)) out.push(...r);
        else out.push(r);
      }
      return out;
    }
    v = step(v, seg);
    if (v === undefined) return undefined;
  }
  return v;
}

function hasWildcardFrom(segments: readonly PathSegment[], from: number): boolean {
  for (let k = from; k < segments.length; k++) if (segments[k]!.kind === 'wild') return true;
  return false;
}

/** Renders segments back into path syntax, for error messages. */
export function formatSegments(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (s.kind === 'wild') out += '[*]';
    else if (s.kind === 'index') out += `[${s.index}]`;
    else out += /^[A-Za-z_][A-Za-z0-9_-]*$/.test(s.key) ? (out === '' ? s.key : `.${s.key}`) : `[${JSON.stringify(s.key)}]`;
  }
  return out;
}
