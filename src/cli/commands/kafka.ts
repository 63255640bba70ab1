import { isHubError } from '../../errors/hub-error';
import { loadRuntime } from '../../runtime';
import { checkKafka } from '../../store/kafka/kafka-check';
import type { CliIO } from '../io';

export interface KafkaCheckCommandOptions {
  config: string;
  create?: boolean;
  timeout?: string;
}

/**
 * `subhub kafka check`: reaches the brokers of eventLog.kafka and checks each configured topic and
 * its partition count; one line per finding (`ok` or `FAIL <code>`). Exit 0 when all is well, 1
 * when something is wrong, 2 when the config has no Kafka event log.
 */
export async function kafkaCheckCommand(o: KafkaCheckCommandOptions, io: CliIO): Promise<number> {
  let runtime;
  try {
    runtime = loadRuntime({ path: o.config, env: io.env });
  } catch (e) {
    io.err(`subhub kafka check: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
  const k = runtime.config.eventLog?.kafka;
  if (runtime.config.eventLog?.kind !== 'kafka' || !k) {
    io.err('subhub kafka check: the config has no Kafka event log (eventLog.kind "kafka")');
    return 2;
  }
  const timeoutMs = o.timeout === undefined ? undefined : Number(o.timeout);
  try {
    const findings = await checkKafka(k, io.env, { create: o.create === true, ...(timeoutMs ? { timeoutMs } : {}) });
    for (const f of findings) io.out(f.ok ? `ok    ${f.line}` : `FAIL  ${f.code}: ${f.line}`);
    return findings.every((f) => f.ok) ? 0 : 1;
  } catch (e) {
    io.err(`subhub kafka check: ${isHubError(e) ? `${e.code}: ` : ''}${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
