import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, posix, relative, resolve } from 'node:path';
import { parseDockerfile, parseEnv, type DockerStage } from './dockerfile';

/** The last stage of a replayed Dockerfile: a folder standing for its file system, and how to run it. */
export interface ReplayedImage {
  /** Host folder standing for the stage's `/`. */
  root: string;
  /** Host folder of the stage's WORKDIR. */
  workdir: string;
  /** The stage's ENV (with those of the stages it copies nothing from left out, as in Docker). */
  env: Record<string, string>;
  /** CMD in exec form. */
  cmd: string[];
  /** The shell command of HEALTHCHECK ... CMD, if any. */
  healthcheck?: string;
  /** RUN commands of the final stage, not replayed: they change the image's own file system (users, volumes). */
  skippedRuns: string[];
}

export interface ReplayOptions {
  /** The build context (the repository). */
  context: string;
  dockerfile: string;
  /** An empty folder: each stage gets `<into>/<stage>` as its `/`. */
  into: string;
  /** Environment of RUN commands besides the stage's ENV (PATH with the Node runtime first, HOME for npm's cache). */
  baseEnv: Record<string, string>;
  /** Receives the output of RUN commands. */
  log: (chunk: string) => void;
}

/**
 * Replays a multi-stage Dockerfile without Docker: COPY from the context (honouring
 * .dockerignore) or from an earlier stage, WORKDIR, ENV, and every RUN of the build stages,
 * executed with `sh -c` in the stage's WORKDIR. Absolute paths of COPY and WORKDIR map into the
 * stage's folder; RUN commands run unchanged, so they must use relative paths (they do: the
 * build works in WORKDIR). The final stage's RUN commands are returned, not run.
 * Instructions it cannot replay faithfully (ADD, ARG, SHELL, ONBUILD, ...) throw.
 */
export async function replayDockerfile(o: ReplayOptions): Promise<ReplayedImage> {
  const stages = parseDockerfile(readFileSync(o.dockerfile, 'utf8'));
  const ignored = dockerignore(o.context);
  const roots = new Map<string, string>();
  let image: ReplayedImage | undefined;
  for (const [index, stage] of stages.entries()) {
    const last = index === stages.length - 1;
    const root = join(o.into, stage.name ?? `stage${index}`);
    mkdirSync(root, { recursive: true });
    image = await replayStage(stage, root, last, roots, ignored, o);
    roots.set(stage.name ?? String(index), root);
  }
  if (!image) throw new Error(`${o.dockerfile} has no stage`);
  return image;
}

async function replayStage(
  stage: DockerStage,
  root: string,
  last: boolean,
  roots: ReadonlyMap<string, string>,
  ignored: (path: string) => boolean,
  o: ReplayOptions,
): Promise<ReplayedImage> {
  let workdir = '/';
  const env: Record<string, string> = {};
  const image: ReplayedImage = { root, workdir: root, env, cmd: [], skippedRuns: [] };
  const host = (path: string) => join(root, posix.resolve(workdir, path));
  for (const ins of stage.instructions) {
    switch (ins.keyword) {
      case 'WORKDIR':
        workdir = posix.resolve(workdir, ins.args);
        mkdirSync(host('.'), { recursive: true });
        image.workdir = host('.');
        break;
      case 'ENV':
        Object.assign(env, parseEnv(ins.args));
        break;
      case 'COPY':
        copy(ins.args, host, roots, ignored, o.context);
        break;
      case 'RUN':
        if (last) image.skippedRuns.push(ins.args);
        else await run(ins.args, host('.'), { ...o.baseEnv, ...env }, o.log);
        break;
      case 'CMD':
        image.cmd = JSON.parse(ins.args) as string[];
        break;
      case 'HEALTHCHECK':
        image.healthcheck = /\bCMD (.*)$/.exec(ins.args)?.[1];
        break;
      case 'USER':
      case 'EXPOSE':
      case 'VOLUME':
        break; // metadata of the image: the test starts the process as the current user, on a port of its own
      default:
        throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} is not replayed by this test; extend replay-dockerfile.ts`);
    }
  }
  return image;
}

function copy(
  args: string,
  host: (path: string) => string,
  roots: ReadonlyMap<string, string>,
  ignored: (path: string) => boolean,
  context: string,
): void {
  const words = args.split(' ');
  const from = words[0]?.startsWith('--from=') ? words.shift()!.slice('--from='.length) : undefined;
  if (words.some((w) => w.startsWith('--'))) throw new Error(`COPY ${args}: options other than --from are not replayed`);
  const dest = words.pop()!;
  const sourceRoot = from === undefined ? context : roots.get(from);
  if (!sourceRoot) throw new Error(`COPY ${args}: no earlier stage ${from}`);
  const intoDir = dest.endsWith('/') || words.length > 1 || dest === '.';
  for (const src of words) {
    const source = from === undefined ? resolve(context, src) : join(sourceRoot, src);
    if (!existsSync(source)) throw new Error(`COPY ${args}: ${src} does not exist`);
    const isDir = statSync(source).isDirectory();
    // Docker copies a directory's contents into dest, a file into dest/ (a folder) or onto dest.
    const target = isDir || !intoDir ? host(dest) : join(host(dest), basename(source));
    cpSync(source, target, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (path) => from !== undefined || !ignored(relative(context, path)),
    });
  }
}

/**
 * The .dockerignore patterns of the context, as a predicate on context-relative paths. Only plain
 * paths (a file or folder and everything below it) are supported; wildcards and exceptions throw,
 * so that a new pattern is not silently ignored by this test.
 */
function dockerignore(context: string): (path: string) => boolean {
  const file = join(context, '.dockerignore');
  const patterns = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'))
    : [];
  for (const p of patterns) if (/[*?[\]!]/.test(p)) throw new Error(`.dockerignore pattern ${p}: wildcards are not replayed by this test`);
  const cleaned = patterns.map((p) => posix.normalize(p).replace(/^\/+|\/+$/g, ''));
  return (path) => path !== '' && cleaned.some((p) => path === p || path.startsWith(`${p}/`));
}

function run(command: string, cwd: string, env: Record<string, string>, log: (chunk: string) => void): Promise<void> {
  log(`\n$ ${command}\n`);
  return new Promise((resolveRun, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => log(b.toString()));
    child.stderr.on('data', (b: Buffer) => log(b.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolveRun() : reject(new Error(`RUN ${command} exited with ${code}`))));
  });
}
