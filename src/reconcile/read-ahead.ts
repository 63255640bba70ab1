/**
 * Streams an async iterable in batches of `size`, reading up to `ahead` items in advance: the
 * source fetches its next page while the caller works on the current batch (the overlap that
 * matters when the provider answers from another core or machine). Memory stays bounded by
 * `ahead` plus one page of the source. An error of the source is thrown at the next batch; a
 * caller that stops early closes the source.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, size: number, ahead = size * 2): AsyncGenerator<T[]> {
  const it = source[Symbol.asyncIterator]();
  const buffer: T[] = [];
  let done = false;
  let stopped = false;
  let failure: { error: unknown } | undefined;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const signalConsumer = () => {
    const w = wakeConsumer;
    wakeConsumer = undefined;
    w?.();
  };

  const producer = (async () => {
    try {
      while (!stopped) {
        while (buffer.length >= ahead && !stopped) await new Promise<void>((r) => (wakeProducer = r));
        if (stopped) break;
        const r = await it.next();
        if (r.done) break;
        buffer.push(r.value);
        if (buffer.length >= size) signalConsumer();
      }
      if (stopped) await it.return?.();
    } catch (error) {
      failure = { error };
    } finally {
      done = true;
      signalConsumer();
    }
  })();

  try {
    for (;;) {
      while (buffer.length < size && !done && !failure) await new Promise<void>((r) => (wakeConsumer = r));
      if (failure) throw failure.error;
      if (buffer.length === 0) return;
      const batch = buffer.splice(0, size);
      const w = wakeProducer;
      wakeProducer = undefined;
      w?.();
      yield batch;
    }
  } finally {
    stopped = true;
    const w = wakeProducer;
    wakeProducer = undefined;
    w?.();
    await producer;
  }
}
