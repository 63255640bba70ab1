import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { subhubStartArgs } from '../helpers/cli-hub';

export { freePort } from '../helpers/free-port';

/**
 * The real hub as a child process (`subhub start`), for crash tests: `start()` resolves when it
 * listens, `kill()` sends SIGKILL (no chance to clean up) and resolves when it is gone.
 */
export class HubProcess {
  #child: ChildProcess | undefined;
  #output = '';
  kills = 0;
  starts = 0;

  constructor(
    readonly configPath: string,
    readonly port: number,
    readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** The started process's pid (undefined while stopped): a hub that recovered by itself keeps it. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** The last 16 KB the current (or last) process wrote to stderr: why a hub that died by itself did. */
  get output(): string {
    return this.#output;
  }

  /** Started and not exited since (a hub that crashed by itself is not alive, though `running`). */
  get alive(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, subhubStartArgs(this.configPath), {
      env: { ...process.env, ...this.env, PORT: String(this.port), SUBHUB_HOST: '127.0.0.1', SUBHUB_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#child = child;
    this.#output = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-16_384);
    });
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('listening on')) {
          child.stderr!.off('data', onData);
          child.off('exit', onExit);
          resolve();
        }
      };
      const onExit = (code: number | null) => reject(new Error(`hub exited during start (${code}): ${stderr}`));
      child.stderr!.on('data', onData);
      child.once('exit', onExit);
    });
    child.stderr!.resume();
    this.starts++;
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#child = undefined;
    const gone = exited(child);
    child.kill('SIGKILL');
    await gone;
    this.kills++;
  }

  /** SIGTERM and wait for the exit code. */
  async stop(): Promise<number | null> {
    const child = this.#child;
    if (!child) return null;
    this.#child = undefined;
    const gone = exited(child);
    child.kill('SIGTERM');
    return (await gone)[0];
  }
}

/** Resolves with the exit code once the process is gone, also when it was gone before the call. */
function exited(child: ChildProcess): Promise<[number | null]> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve([child.exitCode]);
  return once(child, 'exit') as Promise<[number | null]>;
}
