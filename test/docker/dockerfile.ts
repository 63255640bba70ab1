/** One instruction of a Dockerfile: its keyword (upper case), its argument text, and its first line. */
export interface DockerInstruction {
  keyword: string;
  args: string;
  line: number;
}

/** One build stage: the image it starts FROM, its `AS` name, and its instructions after FROM. */
export interface DockerStage {
  from: string;
  name?: string;
  instructions: DockerInstruction[];
}

/**
 * Parses a Dockerfile into stages, enough to replay it without Docker: comments and parser
 * directives are dropped, backslash continuations joined (comment lines inside them skipped, as
 * Docker does). Anything before the first FROM other than comments throws.
 */
export function parseDockerfile(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const first = i + 1;
    let current = lines[i]!.trim();
    if (current === '' || current.startsWith('#')) continue;
    while (current.endsWith('\\') && i + 1 < lines.length) {
      current = current.slice(0, -1);
      let next = lines[++i]!.trim();
      while (next.startsWith('#') && i + 1 < lines.length) next = lines[++i]!.trim();
      current += ' ' + next;
    }
    const m = /^(\S+)\s*(.*)$/.exec(current)!;
    const keyword = m[1]!.toUpperCase();
    const args = m[2]!.replace(/\s+/g, ' ').trim();
    if (keyword === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`Dockerfile line ${first}: cannot read FROM ${args}`);
      stages.push({ from: from[1]!, name: from[2], instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile line ${first}: ${keyword} before the first FROM`);
    stage.instructions.push({ keyword, args, line: first });
  }
  return stages;
}

/** `KEY=value` pairs of an ENV instruction (values without quotes or spaces; anything else throws). */
export function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of args.split(' ')) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=([^"'\s]*)$/.exec(pair);
    if (!m) throw new Error(`ENV ${args}: only KEY=value pairs without quotes are supported here`);
    env[m[1]!] = m[2]!;
  }
  return env;
}

/** The major Node version of a `node:<major>-<variant>` image name (undefined for other images). */
export function nodeMajorOf(image: string): number | undefined {
  const m = /^node:(\d+)(?:[.-]|$)/.exec(image);
  return m ? Number(m[1]) : undefined;
}
