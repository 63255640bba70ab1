import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Store } from '../../src/store/ports';

/**
 * SqliteStores that live in another thread, with their own connection: two stores on one file
 * then really run in parallel, as two processes would. (Two stores in one thread never overlap:
 * better-sqlite3 runs each transaction synchronously.) The thread loads the adapter's TypeScript
 * source itself (transpiled on require), so it tests the code under test, not a stale build.
 *
 * Every Store member (and `domain.*`, `privacy.*`, `views.*`) becomes a message round trip; arguments and
 * results are structured-cloned, and a rejection keeps its `code`, `kind`, `name` and message.
 */
export interface SqliteThread {
  /** A store on `file` in the thread, initialised. */
  open(file: string): Promise<Store>;
  terminate(): Promise<void>;
}

const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const ts = require(workerData.typescript);
require.extensions['.ts'] = (m, filename) => {
  const source = fs.readFileSync(filename, 'utf8');
  const options = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true };
  m._compile(ts.transpileModule(source, { fileName: filename, compilerOptions: options }).outputText, filename);
};
const { openSqliteStore } = require(workerData.adapter);
const stores = new Map();
let next = 0;
parentPort.on('message', async ({ id, handle, part, method, args }) => {
  try {
    let value;
    if (method === 'open') {
      const store = await openSqliteStore(args[0]);
      stores.set(++next, store);
      value = next;
    } else {
      const store = stores.get(handle);
      const target = part === 'store' ? store : store[part];
      value = await target[method](...args);
      if (method === 'close' && part === 'store') stores.delete(handle);
    }
    parentPort.postMessage({ id, ok: true, value });
  } catch (e) {
    parentPort.postMessage({ id, ok: false, error: { message: String(e && e.message), code: e && e.code, kind: e && e.kind, name: e && e.name } });
  }
});
`;

type Reply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { message: string; code?: string; kind?: string; name?: string } };

export function sqliteThread(): SqliteThread {
  const root = join(__dirname, '..', '..');
  const worker = new Worker(THREAD, {
    eval: true,
    workerData: { typescript: require.resolve('typescript'), adapter: join(root, 'src', 'store', 'sqlite', 'sqlite-store.ts') },
  });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  let ids = 0;
  worker.on('message', (reply: Reply) => {
    const w = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (reply.ok) w?.resolve(reply.value);
    else w?.reject(Object.assign(new Error(reply.error.message), reply.error));
  });
  worker.on('error', (e) => {
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  });

  const call = (handle: number, part: string, method: string, args: unknown[]): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = ++ids;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, handle, part, method, args });
    });

  /** An object whose every method is `method` on `part` of the store in the thread. */
  const remote = (handle: number, part: string): object =>
    new Proxy(
      {},
      {
        get: (_, method) =>
          typeof method === 'string' && method !== 'then' ? (...args: unknown[]) => call(handle, part, method, args) : undefined,
      },
    );

  return {
    async open(file) {
      const handle = (await call(0, 'store', 'open', [file])) as number;
      const domain = remote(handle, 'domain');
      const privacy = remote(handle, 'privacy');
      const views = remote(handle, 'views');
      const store = remote(handle, 'store');
      const parts: Record<string | symbol, object> = { domain, privacy, views };
      return new Proxy(store, {
        get: (target, prop, receiver) => parts[prop] ?? Reflect.get(target, prop, receiver),
      }) as Store;
    },
    async terminate() {
      await worker.terminate();
    },
  };
}
