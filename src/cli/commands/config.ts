import { loadConfig } from '../../config/load-config';
import { LocatedError, LocatedErrors } from '../../errors/located-error';
import type { CliIO } from '../io';

export interface ConfigCommandOptions {
  config: string;
  overlay?: string;
  /** false with --no-local: merge no overlay. */
  local: boolean;
}

/**
 * `subhub config print`: the effective config as the hub would run it (the config file, its
 * overlay, environment overrides; schema defaults filled in) as JSON on stdout, and which layers
 * it came from on stderr. Secrets stay references ({"env": ...} / {"file": ...}): the config never
 * holds a value, and nothing here resolves one. References between parts (mappings, connectors)
 * are `subhub validate`'s job. Exit 1 on a config problem, 2 on bad usage.
 */
export function configCommand(action: string, o: ConfigCommandOptions, io: CliIO): number {
  if (action !== 'print') {
    io.err(`subhub config: unknown action "${action}"; use print`);
    return 2;
  }
  try {
    const loaded = loadConfig({ path: o.config, localPath: o.local === false ? false : o.overlay, env: io.env });
    io.out(JSON.stringify(loaded.config, null, 2));
    const layers = [...loaded.files, ...loaded.envOverrides.map((e) => `env ${e}`)].join(' + ');
    io.err(`effective config from ${layers} (schema defaults filled in; secrets are references, never values)`);
    return 0;
  } catch (e) {
    if (e instanceof LocatedErrors) for (const x of e.errors) io.err(x.toLine());
    else if (e instanceof LocatedError) io.err(e.toLine());
    else throw e;
    return 1;
  }
}
