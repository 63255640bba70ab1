import { readFileSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve } from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';

/** A named lookup table: string keys to JSON values. Backed by a Map, so no key reaches a prototype. */
export interface LookupTable {
  readonly name: string;
  readonly size: number;
  get(key: string): unknown;
}

/** How a mapping declares a table (see mapping.schema.json, `tables`). */
export type TableSpec = { data: Record<string, unknown> } | { file: string; key?: string; value?: string; delimiter?: string };

export class TableLoadError extends Error {}

const FORBIDDEN_COLUMNS = new Set(['__proto__', 'constructor', 'prototype']);

export function tableFromEntries(name: string, entries: Iterable<[string, unknown]>): LookupTable {
  const map = new Map<string, unknown>();
  for (const [k, v] of entries) {
    if (map.has(k)) throw new TableLoadError(`duplicate key "${k}"`);
    map.set(k, v);
  }
  return { name, size: map.size, get: (k) => map.get(k) };
}

/**
 * Loads a table. JSON files hold one object (key → value); CSV files have a header row, `key`
 * names the key column and `value` (optional) the column to return instead of the whole row.
 * `baseDir` is the folder of the mapping that declares the table.
 */
export function loadTable(name: string, spec: TableSpec, baseDir: string, cache?: Map<string, LookupTable>): LookupTable {
  if ('data' in spec) return tableFromEntries(name, Object.entries(spec.data));
  // Mapping files may come from anyone's repository: a table may not read outside its folder.
  const file = resolve(baseDir, spec.file);
  const rel = relative(resolve(baseDir), file);
  if (isAbsolute(spec.file) || rel.startsWith('..') || isAbsolute(rel)) {
    throw new TableLoadError(`${spec.file} lies outside the mapping's folder`);
  }
  const cacheKey = `${file}\0${spec.key ?? ''}\0${spec.value ?? ''}\0${spec.delimiter ?? ''}`;
  const cached = cache?.get(cacheKey);
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TableLoadError(`cannot read ${spec.file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const table = extname(file).toLowerCase() === '.csv' ? csvTable(name, text, spec) : jsonTable(name, text, spec.file);
  cache?.set(cacheKey, table);
  return table;
}

function jsonTable(name: string, text: string, file: string): LookupTable {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new TableLoadError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TableLoadError(`${file} must hold one JSON object of key → value`);
  }
  return tableFromEntries(name, Object.entries(value));
}

function csvTable(name: string, text: string, spec: { file: string; key?: string; value?: string; delimiter?: string }): LookupTable {
  let rows: Array<Record<string, string>>;
  try {
    rows = parseCsv(text, {
      columns: (header: string[]) => {
        for (const h of header) if (FORBIDDEN_COLUMNS.has(h)) throw new TableLoadError(`column name "${h}" is not allowed`);
        return header;
      },
      skip_empty_lines: true,
      trim: true,
      delimiter: spec.delimiter ?? ',',
    }) as Array<Record<string, string>>;
  } catch (e) {
    if (e instanceof TableLoadError) throw e;
    throw new TableLoadError(`${spec.file} is not valid CSV: ${(e as Error).message}`);
  }
  const keyCol = spec.key;
  if (!keyCol) throw new TableLoadError(`${spec.file}: a CSV table needs "key" (the key column)`);
  const first = rows[0];
  if (first) {
    if (!(keyCol in first)) throw new TableLoadError(`${spec.file} has no column "${keyCol}"`);
    if (spec.value !== undefined && !(spec.value in first)) throw new TableLoadError(`${spec.file} has no column "${spec.value}"`);
  }
  const valueCol = spec.value;
  // An empty cell means "no value": it is left out, so a required lookup of it fails.
  const present = (row: Record<string, string>) => Object.fromEntries(Object.entries(row).filter(([, v]) => v !== ''));
  return tableFromEntries(
    name,
    rows.map((row) => [row[keyCol]!, valueCol === undefined ? present(row) : row[valueCol] === '' ? undefined : row[valueCol]]),
  );
}
