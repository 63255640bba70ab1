import type { KafkaBroker } from '../helpers/kafka';
import type { PostgresServer } from '../helpers/postgres';
import { runCli } from '../helpers/cli-hub';
import { useKafka, usePostgres } from '../reliability/crash-loop';
import { HubFleet } from '../reliability/hub-fleet';

/**
 * Hubs on Kafka + PostgreSQL as an operator starts them: the config pointed at both, the topics
 * created with `subhub kafka check --create` (which must succeed), then `hubs` hub processes.
 */
export async function kafkaFleet(
  configPath: string,
  servers: { pg: PostgresServer; kafka: KafkaBroker },
  o: { hubs: number; secret: string; kafka?: Record<string, unknown> },
): Promise<{ fleet: HubFleet; env: Record<string, string>; check: { code: number; stdout: string } }> {
  usePostgres(configPath);
  useKafka(configPath, servers.kafka.brokers, o.kafka);
  const env = { STRIPE_WEBHOOK_SECRET: o.secret, DATABASE_URL: servers.pg.url };
  const check = await runCli(['kafka', 'check', '--create', '-c', configPath], env);
  if (check.code !== 0) throw new Error(`subhub kafka check --create failed:\n${check.stdout}${check.stderr}`);
  return { fleet: await HubFleet.start(o.hubs, configPath, env), env, check };
}
