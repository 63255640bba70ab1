import { decodeEntry, encodeEntry } from './messages';
import { loadRdkafka } from './rdkafka';

describe('inbox messages on the Kafka topic', () => {
  const entry = {
    id: '01J0000000000000000000000A',
    source: 'stripe',
    sourceEventId: 'evt_1',
    eventType: 'invoice.paid',
    receivedAt: 1_700_000_000_000,
    headers: { 'content-type': 'application/json' },
    body: '{"id":"evt_1"}',
  };

  it('round-trips an entry, raw body byte for byte', () => {
    expect(decodeEntry(encodeEntry(entry))).toEqual({ entry });
    expect(decodeEntry(encodeEntry({ ...entry, contentKey: 'k' }))).toEqual({ entry: { ...entry, contentKey: 'k' } });
  });

  it.each([
    ['no value', null, 'the message has no value'],
    ['not JSON', Buffer.from('{oops'), 'the message is not JSON'],
    ['another version', Buffer.from(JSON.stringify({ ...entry, v: 2 })), 'not an inbox message of version 1 (v: 2)'],
    ['a JSON scalar', Buffer.from('42'), 'not an inbox message of version 1'],
    ['no source', Buffer.from(JSON.stringify({ ...entry, v: 1, source: '' })), 'lacks id, source'],
    ['a body that is not text', Buffer.from(JSON.stringify({ ...entry, v: 1, body: { id: 'evt_1' } })), 'lacks id, source'],
  ])('says why a message is not an entry: %s', (_what, value, why) => {
    const decoded = decodeEntry(value);
    expect('error' in decoded && decoded.error).toContain(why);
  });
});

describe('loading node-rdkafka', () => {
  it('is KAFKA_CLIENT_MISSING, with the install command, when the optional package is not installed', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'node-rdkafka'"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(() => loadRdkafka(missing)).toThrow(expect.objectContaining({ code: 'KAFKA_CLIENT_MISSING', kind: 'config' }));
    expect(() => loadRdkafka(missing)).toThrow(/npm install node-rdkafka/);
  });

  it('passes any other load failure on as it is (a broken build is not a missing package)', () => {
    const broken = () => {
      throw new Error('Module did not self-register');
    };
    expect(() => loadRdkafka(broken)).toThrow('Module did not self-register');
  });
});
