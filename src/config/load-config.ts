import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { kindOf } from '../errors/codes';
import { LocatedError, LocatedErrors } from '../errors/located-error';
import { createAjv } from '../json/ajv';
import type { LocatedJson } from '../json/located-json';
import { pointerToSegments } from '../json/pointer';
import { schemaErrorsToLocated } from '../json/schema-errors';
import { readLocated } from '../mapping/mapping-set';
import type { HubConfig } from './config.types';
import { isPlainObject, layerOf, mergeLayers } from './config-layers';
import { checkConfigReferences, type ReferenceCatalog } from './config-refs';
import hubConfigSchema from '../../config/hub.schema.json';

export { hubConfigSchema };
export { deepMerge } from './config-layers';

/** Environment variables that override single config values (documented in README). */
export const ENV_OVERRIDES: ReadonlyArray<{ env: string; pointer: string; type: 'string' | 'port' | 'level' }> = [
  { env: 'PORT', pointer: '/server/port', type: 'port' },
  { env: 'SUBHUB_HOST', pointer: '/server/host', type: 'string' },
  { env: 'SUBHUB_DATA_DIR', pointer: '/storage/dataDir', type: 'string' },
  { env: 'SUBHUB_LOG_LEVEL', pointer: '/log/level', type: 'string' },
];

export interface LoadConfigOptions {
  /** The main config file (default config/hub.json). */
  path?: string;
  /** An override file merged on top (default: local.json beside the main file, when it exists). */
  localPath?: string | false;
  env?: NodeJS.ProcessEnv;
  /**
   * What routes and connectors may refer to; omitted parts are not checked. A function receives
   * the schema-valid config (e.g. to load the mappings it names) and returns the catalog.
   */
  catalog?: ReferenceCatalog | ((config: Readonly<HubConfig>) => ReferenceCatalog);
}

export interface LoadedConfig {
  readonly config: Readonly<HubConfig>;
  /** The files that were read, in merge order. */
  readonly files: readonly string[];
  /** The environment variables that overrode a value (names only). */
  readonly envOverrides: readonly string[];
}

let validator: ValidateFunction | undefined;

/**
 * Loads the effective hub config: the main file, then the local overlay file (merged as
 * config-layers.ts says: objects merge, routes and dunning stages merge by name, `$remove` drops
 * entries, other arrays and values replace), then environment overrides; validates the result
 * against hub.schema.json (defaults applied) and cross-checks references. Every problem is
 * reported with the file, line and column it comes from. The result is deep-frozen.
 */
export function loadConfig(options: LoadConfigOptions = {}): LoadedConfig {
  const path = options.path ?? join('config', 'hub.json');
  const env = options.env ?? process.env;
  const docs: LocatedJson[] = [readLocated(path)];
  const localPath = options.localPath === undefined ? join(dirname(path), 'local.json') : options.localPath;
  if (localPath && existsSync(localPath)) docs.push(readLocated(localPath));

  // Overlay problems are reported with everything else the merged config gets wrong.
  const { merged: layeredValue, problems: overlayProblems } = mergeLayers(docs);
  let merged = layeredValue;
  const envOrigins = new Map<string, string>();
  const envProblems: LocatedError[] = [];
  for (const o of ENV_OVERRIDES) {
    const raw = env[o.env];
    if (raw === undefined || raw === '') continue;
    let value: unknown = raw;
    if (o.type === 'port') {
      value = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
      if (Number.isNaN(value) || (value as number) > 65535) {
        envProblems.push(
          new LocatedError('CONFIG_ENV_INVALID', kindOf('CONFIG_ENV_INVALID'), `${o.env}=${JSON.stringify(raw)} is not a port number`, {
            file: `env ${o.env}`,
            pointer: o.pointer,
          }),
        );
        continue;
      }
    }
    merged = setAt(merged, o.pointer, value);
    envOrigins.set(o.pointer, `env ${o.env}`);
  }
  if (envProblems.length > 0) throw new LocatedErrors(envProblems);

  const origin = originLocator(docs, merged, envOrigins);
  validator ??= createAjv({ useDefaults: true }).compile(hubConfigSchema);
  if (!validator(merged)) {
    const errors = schemaErrorsToLocated(validator.errors ?? [], origin, 'SCHEMA_INVALID').map(secretHint);
    throw new LocatedErrors([...overlayProblems, ...errors]);
  }
  const config = merged as HubConfig;
  const catalog = typeof options.catalog === 'function' ? options.catalog(config) : (options.catalog ?? {});
  const refProblems = checkConfigReferences(config, catalog, origin);
  if (overlayProblems.length + refProblems.length > 0) throw new LocatedErrors([...overlayProblems, ...refProblems]);
  return {
    config: deepFreeze(config),
    files: docs.map((d) => d.file),
    envOverrides: ENV_OVERRIDES.filter((o) => envOrigins.has(o.pointer)).map((o) => o.env),
  };
}

/** Locates a pointer in the layer that last set it (env, local file, main file). */
function originLocator(
  docs: LocatedJson[],
  merged: unknown,
  envOrigins: Map<string, string>,
): Pick<LocatedJson, 'file' | 'locate'> & { fileOf(pointer: string): string } {
  return {
    file: docs[0]!.file,
    fileOf: (pointer) => envOrigins.get(pointer) ?? layerOf(docs, merged, pointer).doc.file,
    locate: (pointer, at) => {
      const l = layerOf(docs, merged, pointer);
      return l.doc.locate(l.pointer, at);
    },
  };
}

function secretHint(e: LocatedError): LocatedError {
  if (!/\/secrets\/\d+$/.test(e.location.pointer) || !e.message.startsWith('expected object')) return e;
  return new LocatedError(e.code, e.kind, 'a secret must be a reference, never a literal value', e.location, {
    hint: 'write {"env": "STRIPE_WEBHOOK_SECRET"} or {"file": "/run/secrets/stripe"}',
  });
}

function setAt(root: unknown, pointer: string, value: unknown): unknown {
  const segs = pointerToSegments(pointer);
  const out = isPlainObject(root) ? { ...root } : {};
  let cur: Record<string, unknown> = out;
  segs.forEach((seg, i) => {
    if (i === segs.length - 1) cur[seg] = value;
    else {
      const next = isPlainObject(cur[seg]) ? { ...(cur[seg] as Record<string, unknown>) } : {};
      cur[seg] = next;
      cur = next;
    }
  });
  return out;
}

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}
