import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { WriteGate } from './write-gate';

/**
 * The other thread is a worker running plain JavaScript over the same cells (0: holder, 1: ingest
 * waiting; holder marks 1 ingest, 2 background), writing what it did to a shared log (cell 0 of
 * `log` counts, the entries follow). Each worker posts 'ready' once it holds what it holds.
 */
function otherThread(script: string, gate: SharedArrayBuffer, log: SharedArrayBuffer): Worker {
  return new Worker(
    `const { workerData, parentPort } = require('node:worker_threads');
     const c = new Int32Array(workerData.gate); const log = new Int32Array(workerData.log);
     const record = (x) => { const i = Atomics.add(log, 0, 1) + 1; Atomics.store(log, i, x); };
     ${script}`,
    { eval: true, workerData: { gate, log } },
  );
}

const entries = (log: SharedArrayBuffer) => {
  const l = new Int32Array(log);
  return Array.from(l.subarray(1, 1 + Atomics.load(l, 0)));
};
const record = (log: SharedArrayBuffer, x: number) => {
  const l = new Int32Array(log);
  Atomics.store(l, Atomics.add(l, 0, 1) + 1, x);
};

describe('WriteGate', () => {
  test('a webhook write waits for the pipeline transaction in progress, and enters as soon as it ends', async () => {
    const buffer = WriteGate.buffer();
    const log = new SharedArrayBuffer(64);
    // The pipeline holds the gate until it sees the webhook waiting, then records 1 and leaves.
    const w = otherThread(
      `Atomics.store(c, 0, 2); parentPort.postMessage('ready');
       while (Atomics.load(c, 1) === 0) Atomics.wait(c, 1, 0, 1000);
       record(1); Atomics.store(c, 0, 0); Atomics.notify(c, 0);`,
      buffer,
      log,
    );
    await once(w, 'message');
    const gate = new WriteGate(buffer, 'ingest');
    const holderInside = gate.run(() => {
      record(log, 2);
      return Atomics.load(new Int32Array(buffer), 0);
    });
    await once(w, 'exit');
    expect(entries(log)).toEqual([1, 2]);
    expect(holderInside).toBe(1);
    expect(Array.from(new Int32Array(buffer))).toEqual([0, 0]);
  });

  test('the pipeline starts no write while a webhook write waits or runs', async () => {
    const buffer = WriteGate.buffer();
    const log = new SharedArrayBuffer(64);
    // Ingest holds the gate and waits with a second write: the pipeline may enter only after both.
    const w = otherThread(
      `Atomics.store(c, 1, 1); Atomics.store(c, 0, 1); parentPort.postMessage('ready');
       while (Atomics.load(log, 15) === 0) Atomics.wait(log, 15, 0, 1000);
       record(1); Atomics.store(c, 0, 0); Atomics.notify(c, 0);
       while (Atomics.compareExchange(c, 0, 0, 1) !== 0) Atomics.wait(c, 0, 2, 1000);
       record(2); Atomics.store(c, 0, 0); Atomics.notify(c, 0);
       Atomics.sub(c, 1, 1); Atomics.notify(c, 1);`,
      buffer,
      log,
    );
    await once(w, 'message');
    const gate = new WriteGate(buffer, 'background');
    Atomics.store(new Int32Array(log), 15, 1); // the pipeline is about to write
    gate.run(() => record(log, 3));
    await once(w, 'exit');
    expect(entries(log)).toEqual([1, 2, 3]);
  });

  test('a holder that never leaves (a terminated thread) delays a write by the timeout once, then the gate is free', async () => {
    const buffer = WriteGate.buffer();
    const w = otherThread(`Atomics.store(c, 0, 2); parentPort.postMessage('ready');`, buffer, new SharedArrayBuffer(8));
    await once(w, 'message');
    await once(w, 'exit');
    const gate = new WriteGate(buffer, 'ingest', 50);
    const started = Date.now();
    expect(gate.run(() => 'written ungated')).toBe('written ungated');
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    // The stale mark was cleared: the next write takes the gate at once.
    expect(gate.run(() => Atomics.load(new Int32Array(buffer), 0))).toBe(1);
    expect(Array.from(new Int32Array(buffer))).toEqual([0, 0]);
  });

  test('nested runs in one thread do not wait for themselves', () => {
    const buffer = WriteGate.buffer();
    const gate = new WriteGate(buffer, 'background', 10_000);
    expect(gate.run(() => gate.run(() => gate.run(() => 'inner')))).toBe('inner');
    expect(Array.from(new Int32Array(buffer))).toEqual([0, 0]);
  });
});
