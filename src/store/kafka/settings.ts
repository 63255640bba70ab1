import type { KafkaEventLogConfig } from '../../config/config.types';
import { requireSecret } from '../../config/secrets';
import type { KafkaSettings } from './rdkafka';

/** The configured topic names and sizes with their defaults (config/hub.schema.json). */
export interface KafkaTopics {
  inbox: string;
  partitions: number;
  /** Undefined unless the canonical stream is on. */
  stream?: { topic: string; partitions: number };
}

export function kafkaTopics(k: Readonly<KafkaEventLogConfig>): KafkaTopics {
  const stream = k.canonicalStream?.enabled
    ? { topic: k.canonicalStream.topic ?? 'subhub.events.v1', partitions: k.canonicalStream.partitions ?? 12 }
    : undefined;
  return { inbox: k.inboxTopic ?? 'subhub.inbox.v1', partitions: k.partitions ?? 12, ...(stream ? { stream } : {}) };
}

/**
 * The settings every client of this log shares: brokers, SASL credentials resolved from their
 * secret references (never logged), then the operator's pass-through librdkafka properties.
 * `fixed` (the guarantees each client depends on) is applied last, so config cannot weaken it.
 */
export function clientSettings(
  k: Readonly<KafkaEventLogConfig>,
  env: NodeJS.ProcessEnv,
  role: string,
  fixed: KafkaSettings = {},
): KafkaSettings {
  const settings: KafkaSettings = {
    'client.id': `subhub-${role}`,
    'socket.keepalive.enable': true,
    // A broker that comes back is reconnected within a second, not after librdkafka's 10 s backoff.
    'reconnect.backoff.max.ms': 1000,
    ...k.librdkafka,
    'metadata.broker.list': k.brokers.join(','),
  };
  if (k.sasl) {
    settings['sasl.username'] = requireSecret(k.sasl.username, env);
    settings['sasl.password'] = requireSecret(k.sasl.password, env);
  }
  return { ...settings, ...fixed };
}
