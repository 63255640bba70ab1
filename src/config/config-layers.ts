import { kindOf } from '../errors/codes';
import { LocatedError } from '../errors/located-error';
import type { LocatedJson } from '../json/located-json';
import { joinPointer, pointerToSegments } from '../json/pointer';

/**
 * How config layers merge (hub.json, then an overlay such as local.json): objects merge key by
 * key; a keyed list merges entry by entry (below); every other array and every value replaces the
 * one below. The same rules are documented in config/hub.schema.json (`$remove`) and the README.
 *
 * A keyed list's entries are identified by a key: an overlay entry whose key is new is appended
 * (in the overlay's order), one whose key exists replaces that entry whole, in its place, and
 * `"$remove": {"<list>": ["<key>", ...]}` in the overlay removes entries. Removing a key that no
 * layer below has is an error (a typo would otherwise leave the entry active without a word).
 */
export interface KeyedList {
  /** The name used in `$remove`. */
  readonly name: 'routes' | 'dunningStages';
  /** Where the list sits in the config. */
  readonly pointer: string;
  /** The key of one entry, or undefined when the entry is not an object. */
  key(entry: unknown): string | undefined;
}

export const KEYED_LISTS: readonly KeyedList[] = [
  { name: 'routes', pointer: '/routes', key: (r) => (isPlainObject(r) ? routeKey(r) : undefined) },
  {
    name: 'dunningStages',
    pointer: '/dunning/policy/stages',
    key: (s) => (isPlainObject(s) && typeof s.name === 'string' ? s.name : undefined),
  },
];

/** A route's key, as logs and dead letters name it: its "name", else `<to>.<action>`. */
export function routeKey(route: { name?: unknown; to?: unknown; action?: unknown }): string {
  return typeof route.name === 'string' ? route.name : `${String(route.to)}.${String(route.action)}`;
}

const REMOVE = '$remove';
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Merges the layers in order (the first is the base, the others overlays) and returns the merged
 * value with `$remove` consumed, plus one located problem per `$remove` in the base file or per
 * removal of a key no layer below has.
 */
export function mergeLayers(docs: readonly LocatedJson[]): { merged: unknown; problems: LocatedError[] } {
  const problems: LocatedError[] = [];
  let merged: unknown = {};
  docs.forEach((doc, layer) => {
    const over = doc.value;
    const removals = isPlainObject(over) && isPlainObject(over[REMOVE]) ? over[REMOVE] : {};
    if (layer === 0 && isPlainObject(over) && over[REMOVE] !== undefined) {
      problems.push(
        overlayProblem(
          doc,
          `/${REMOVE}`,
          `"${REMOVE}" removes entries of the layers below; the base file ${doc.file} has none`,
          'move it to config/local.json (or another overlay)',
        ),
      );
    }
    const next = deepMerge(merged, over, '', layer > 0);
    for (const list of KEYED_LISTS) {
      const keys = removals[list.name];
      if (!Array.isArray(keys) || layer === 0) continue;
      const below = listAt(merged, list.pointer);
      const present = new Set(below.map((e) => list.key(e)));
      keys.forEach((k, i) => {
        if (typeof k !== 'string') return; // the schema reports it
        if (!present.has(k)) {
          const known = [...present].filter((x): x is string => x !== undefined);
          problems.push(
            overlayProblem(
              doc,
              joinPointer(`/${REMOVE}`, list.name, i),
              `${list.name}: no entry "${k}" to remove in the layers below`,
              known.length > 0 ? `known: ${known.join(', ')}` : 'the list below is empty',
            ),
          );
        }
      });
      const drop = new Set(keys.filter((k): k is string => typeof k === 'string'));
      const kept = listAt(next, list.pointer).filter((e) => !drop.has(list.key(e) ?? ''));
      if (drop.size > 0 && hasList(next, list.pointer)) setList(next, list.pointer, kept);
    }
    if (isPlainObject(next)) delete next[REMOVE];
    merged = next;
  });
  return { merged, problems };
}

/**
 * Which layer set the value at `pointer` of the merged config, and where it sits in that layer's
 * file: the last layer that has the pointer; inside a keyed list, the last layer whose list holds
 * an entry with the same key (entries move when lists merge). Used to report problems in the
 * file that caused them.
 */
export function layerOf(docs: readonly LocatedJson[], merged: unknown, pointer: string): { doc: LocatedJson; pointer: string } {
  for (const list of KEYED_LISTS) {
    if (!pointer.startsWith(`${list.pointer}/`)) continue;
    const rest = pointerToSegments(pointer.slice(list.pointer.length));
    const entry = listAt(merged, list.pointer)[Number(rest[0])];
    const key = list.key(entry);
    if (key === undefined) break;
    for (let i = docs.length - 1; i >= 0; i--) {
      const index = listAt(docs[i]!.value, list.pointer).findIndex((e) => list.key(e) === key);
      if (index >= 0) return { doc: docs[i]!, pointer: joinPointer(list.pointer, index, ...rest.slice(1)) };
    }
  }
  for (let i = docs.length - 1; i > 0; i--) if (hasPointer(docs[i]!.value, pointer)) return { doc: docs[i]!, pointer };
  return { doc: docs[0]!, pointer };
}

function hasPointer(value: unknown, pointer: string): boolean {
  let v = value;
  for (const seg of pointerToSegments(pointer)) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, seg)) return false;
    v = (v as Record<string, unknown>)[seg];
  }
  return true;
}

/** Objects merge key by key; keyed lists merge by key when `overlay`; other values replace. Prototype keys are skipped. */
export function deepMerge(base: unknown, over: unknown, pointer = '', overlay = false): unknown {
  const keyed = overlay ? KEYED_LISTS.find((l) => l.pointer === pointer) : undefined;
  if (keyed && Array.isArray(base) && Array.isArray(over)) return mergeKeyed(base, over, keyed);
  if (!isPlainObject(base) || !isPlainObject(over)) return structuredClone(over);
  const out: Record<string, unknown> = { ...base };
  for (const k of Object.keys(over)) {
    if (UNSAFE_KEYS.has(k)) continue;
    out[k] = deepMerge(out[k], over[k], joinPointer(pointer, k), overlay);
  }
  return out;
}

function mergeKeyed(base: unknown[], over: unknown[], list: KeyedList): unknown[] {
  const out = base.map((e) => structuredClone(e));
  for (const entry of over) {
    const key = list.key(entry);
    const at = key === undefined ? -1 : out.findIndex((e) => list.key(e) === key);
    if (at >= 0) out[at] = structuredClone(entry);
    else out.push(structuredClone(entry));
  }
  return out;
}

function listAt(root: unknown, pointer: string): unknown[] {
  let v = root;
  for (const seg of pointerToSegments(pointer)) v = isPlainObject(v) ? v[seg] : undefined;
  return Array.isArray(v) ? v : [];
}

function hasList(root: unknown, pointer: string): boolean {
  let v = root;
  for (const seg of pointerToSegments(pointer)) v = isPlainObject(v) ? v[seg] : undefined;
  return Array.isArray(v);
}

/** Replaces the array at `pointer` in place (hasList said it exists; `root` is a fresh merge result, never a file's value). */
function setList(root: unknown, pointer: string, value: unknown[]): void {
  const segs = pointerToSegments(pointer);
  let v = root as Record<string, unknown>;
  for (const seg of segs.slice(0, -1)) v = v[seg] as Record<string, unknown>;
  v[segs[segs.length - 1]!] = value;
}

function overlayProblem(doc: LocatedJson, pointer: string, message: string, hint: string): LocatedError {
  return new LocatedError(
    'CONFIG_OVERLAY_INVALID',
    kindOf('CONFIG_OVERLAY_INVALID'),
    message,
    { file: doc.file, pointer, ...doc.locate(pointer) },
    { hint },
  );
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
