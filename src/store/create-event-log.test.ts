import type { HubConfig } from '../config/config.types';
import { openEventLog } from './create-event-log';
import type { Store } from './ports';

describe('openEventLog', () => {
  const kafka: HubConfig['eventLog'] = { kind: 'kafka', kafka: { brokers: ['127.0.0.1:9092'] } };
  const ctx = (store: Partial<Store>, load?: (name: string) => unknown) => ({
    store: store as Store,
    keyOf: () => 'k',
    port: 8080,
    ...(load ? { load } : {}),
  });

  it('is the store itself by default: webhooks are appended to its inbox', async () => {
    const store = { append: jest.fn() } as Partial<Store>;
    const log = await openEventLog({}, {}, ctx(store));
    expect(log.kind).toBe('store');
    expect(log.writer).toBe(store);
    expect(log.external).toBeUndefined();
  });

  it('refuses Kafka on the embedded store (EVENT_LOG_CONFIG), before loading any client', async () => {
    const load = jest.fn();
    await expect(openEventLog({ storage: { kind: 'sqlite' }, eventLog: kafka }, {}, ctx({}, load))).rejects.toMatchObject({
      code: 'EVENT_LOG_CONFIG',
      message: expect.stringContaining('needs storage.kind "postgres"'),
    });
    expect(load).not.toHaveBeenCalled();
  });

  it('is KAFKA_CLIENT_MISSING on PostgreSQL when node-rdkafka is not installed', async () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'node-rdkafka'"), { code: 'MODULE_NOT_FOUND' });
    };
    const landing = { landBatch: jest.fn() } as unknown as Partial<Store>;
    await expect(openEventLog({ storage: { kind: 'postgres' }, eventLog: kafka }, {}, ctx(landing, missing))).rejects.toMatchObject({
      code: 'KAFKA_CLIENT_MISSING',
    });
  });
});
