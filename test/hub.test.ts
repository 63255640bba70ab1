import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { startHub, type RunningHub } from '../src/hub';
import { LocatedErrors } from '../src/errors/located-error';
import { tempFiles } from './helpers/temp-files';

const ROOT = join(__dirname, '..');

describe('startHub', () => {
  let hub: RunningHub | undefined;
  afterEach(async () => {
    await hub?.stop();
    hub = undefined;
  });

  it('serves /healthz and /readyz on loopback and answers unknown paths with a JSON 404', async () => {
    const mappingsDir = tempFiles({ 'a.json': { output: { x: 1 } } });
    const dir = tempFiles({
      'hub.json': { server: { host: '127.0.0.1', port: 0 }, mappings: { paths: [mappingsDir] }, storage: { dataDir: 'PLACEHOLDER' } },
    });
    writeFileSync(
      join(dir, 'hub.json'),
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0 },
        mappings: { paths: [mappingsDir] },
        storage: { dataDir: join(dir, 'data') },
      }),
    );
    const cfg = join(dir, 'hub.json');
    hub = await startHub({ path: cfg, env: {}, silent: true });
    const health = await fetch(`${hub.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${hub.url}/readyz`);
    expect(await ready.json()).toEqual({
      status: 'ready',
      checks: {
        store: 'ok',
        workers: 'running',
        pipeline: 'ok',
        mappings: 1,
        inboxPending: 0,
        inboxDeferred: 0,
        outboxPending: 0,
        deliveriesPending: 0,
        deadLettersOpen: 0,
      },
    });
    const missing = await fetch(`${hub.url}/nope`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
    expect(missing.headers.get('x-powered-by')).toBeNull();
  });

  it('refuses to start a second hub on the same data folder (STORE_LOCKED)', async () => {
    const mappingsDir = tempFiles({ 'a.json': { output: { x: 1 } } });
    const dir = tempFiles({});
    writeFileSync(
      join(dir, 'hub.json'),
      JSON.stringify({
        server: { host: '127.0.0.1', port: 0 },
        mappings: { paths: [mappingsDir] },
        storage: { dataDir: join(dir, 'data') },
      }),
    );
    hub = await startHub({ path: join(dir, 'hub.json'), env: {}, silent: true });
    // A lock held by this live process: a second hub in another process would be refused.
    writeFileSync(join(dir, 'data', 'subhub.pid'), String(process.ppid));
    await expect(startHub({ path: join(dir, 'hub.json'), env: {}, silent: true })).rejects.toMatchObject({ code: 'STORE_LOCKED' });
  });

  it('refuses to start when a mapping does not compile', async () => {
    const mappingsDir = tempFiles({ 'bad.json': { output: { $nope: 1 } } });
    const dir = tempFiles({});
    writeFileSync(
      join(dir, 'hub.json'),
      JSON.stringify({ server: { port: 0 }, mappings: { paths: [mappingsDir] }, storage: { dataDir: join(dir, 'data') } }),
    );
    await expect(startHub({ path: join(dir, 'hub.json'), env: {}, silent: true })).rejects.toBeInstanceOf(LocatedErrors);
  });
});

describe('npx subhub start (the README command) with the shipped config', () => {
  it('starts, answers /healthz, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'subhub.js'), 'start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', SUBHUB_HOST: '127.0.0.1', SUBHUB_LOG_LEVEL: 'error', SUBHUB_DATA_DIR: tempFiles({}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const m = /listening on (http:\/\/\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`exited early with ${code}: ${stderr}`)));
    });
    const res = await fetch(`${url}/healthz`);
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
