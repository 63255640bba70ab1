import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { kindOf } from '../errors/codes';
import { LocatedError } from '../errors/located-error';
import type { ConnectorDefinition } from '../sdk';

const KINDS = new Set(['billing', 'webshop', 'erp', 'warehouse', 'generic']);

/**
 * Loads customers' own connectors: every folder (or .js file) under each configured path whose
 * module exports `connector`, a ConnectorDefinition (see docs/writing-a-connector.md). Modules
 * are JavaScript (compile TypeScript first); they run with the hub's rights, like any code you
 * install. Problems are reported, not thrown, so validation shows them all.
 */
export function loadPluginConnectors(
  paths: readonly string[],
  builtInTypes: readonly string[],
): { definitions: ConnectorDefinition[]; problems: LocatedError[] } {
  const definitions: ConnectorDefinition[] = [];
  const problems: LocatedError[] = [];
  const report = (file: string, message: string, hint?: string) =>
    problems.push(
      new LocatedError('CONFIG_PLUGIN_INVALID', kindOf('CONFIG_PLUGIN_INVALID'), message, { file, pointer: '' }, hint ? { hint } : {}),
    );
  paths.forEach((p) => {
    const dir = resolve(p);
    if (!existsSync(dir)) return report(p, 'connector folder not found');
    for (const entry of readdirSync(dir).sort()) {
      const file = join(dir, entry);
      const isModule = statSync(file).isDirectory() ? existsSync(join(file, 'index.js')) : entry.endsWith('.js');
      if (!isModule) continue;
      let def: unknown;
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- plugins are loaded by path at run time
        def = (require(file) as { connector?: unknown }).connector;
      } catch (e) {
        report(file, `cannot load: ${(e as Error).message}`);
        continue;
      }
      const d = def as Partial<ConnectorDefinition> | undefined;
      if (!d || typeof d.type !== 'string' || !/^[a-z][a-z0-9-]*$/.test(d.type)) {
        report(file, 'the module must export `connector` with a lower-case `type`', 'export const connector = defineConnector({...})');
        continue;
      }
      if (!KINDS.has(String(d.kind))) report(file, `connector ${d.type}: kind must be one of ${[...KINDS].join(', ')}`);
      else if (builtInTypes.includes(d.type) || definitions.some((x) => x.type === d.type))
        report(file, `connector type "${d.type}" is already defined`);
      else definitions.push(d as ConnectorDefinition);
    }
  });
  return { definitions, problems };
}
