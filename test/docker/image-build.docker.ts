import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { nodeMajorOf, parseDockerfile } from './dockerfile';
import { replayDockerfile, type ReplayedImage } from './replay-dockerfile';

/**
 * The Dockerfile's build, replayed without Docker (there is no Docker engine on CI): its COPY and
 * RUN steps run in a clean temporary folder on the Node runtime running this test (which must be
 * the image's major version), then the final stage's CMD starts and must answer /healthz and
 * /readyz and pass the image's own HEALTHCHECK. Slow (npm ci and a native build of
 * better-sqlite3, ~2-3 min): run by `npm run test:docker` (and .ci/run), not by `npm test`.
 */
jest.setTimeout(900_000);

const repo = resolve(__dirname, '../..');
const dockerfile = join(repo, 'Dockerfile');
let dir: string;
let hub: ChildProcess | undefined;
let output = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'subhub-image-'));
});
afterAll(() => {
  hub?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The runtime's prefix: its headers (include/node) sit beside bin/node, in the image as in npm's node packages. */
const nodePrefix = resolve(dirname(process.execPath), '..');

test('the test runs on the Node major version the image uses', () => {
  const majors = parseDockerfile(readFileSync(dockerfile, 'utf8')).map((s) => nodeMajorOf(s.from));
  expect(majors.every((m) => m === Number(process.versions.node.split('.')[0]))).toBe(true);
  expect(existsSync(join(nodePrefix, 'include', 'node', 'node_version.h'))).toBe(true);
});

test('the image built by the Dockerfile starts and answers /healthz, /readyz and its HEALTHCHECK', async () => {
  let image: ReplayedImage;
  try {
    image = await replayDockerfile({
      context: repo,
      dockerfile,
      into: join(dir, 'stages'),
      baseEnv: {
        PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        HOME: process.env.HOME ?? dir,
        ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
      },
      log: (chunk) => (output += chunk),
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}\n--- build output (tail) ---\n${output.slice(-4000)}`);
  }
  // Only file-system set-up of the image itself is left out (the data volume's owner).
  expect(image.skippedRuns).toEqual(['mkdir -p /data && chown node:node /data']);
  expect(image.cmd).toEqual(['node', 'bin/subhub.js', 'start']);

  // As `docker run -e PORT=0 -v <tmp>:/data`: an ephemeral port, a data folder of its own.
  const env = {
    ...image.env,
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    PORT: '0',
    SUBHUB_DATA_DIR: join(dir, 'data'),
  };
  const started = spawn(image.cmd[0]!, image.cmd.slice(1), { cwd: image.workdir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  hub = started;
  const url = await listeningUrl(started);

  const health = await fetch(`${url}/healthz`);
  expect(health.status).toBe(200);
  const ready = await fetch(`${url}/readyz`);
  expect(await ready.json()).toMatchObject({ status: 'ready', checks: { store: 'ok', workers: 'running' } });
  expect(await exitCode(spawn('sh', ['-c', image.healthcheck!], { env: { ...env, PORT: new URL(url).port }, stdio: 'ignore' }))).toBe(0);

  started.kill('SIGTERM');
  expect(await exitCode(started)).toBe(0);
  hub = undefined;
});

/** Resolves with the URL the hub prints once listening; rejects with its output if it exits first. */
function listeningUrl(child: ChildProcess): Promise<string> {
  let text = '';
  return new Promise((resolveUrl, reject) => {
    const onData = (b: Buffer) => {
      text += b.toString();
      const m = /listening on (http:\/\/\S+) /.exec(text);
      if (m) resolveUrl(m[1]!);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the image's CMD exited with ${code} before listening:\n${text.slice(-4000)}`)));
  });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolveExit) => {
    if (child.exitCode !== null) resolveExit(child.exitCode);
    else child.once('exit', (code) => resolveExit(code));
  });
}
