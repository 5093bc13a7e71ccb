/**
 * JSON logs (pino), and kafkajs' own log lines routed into them so one stream carries everything,
 * each line with its topic / partition / offsets where it concerns a batch.
 */
import { logLevel as KafkaLevel, type logCreator } from 'kafkajs';
import pino from 'pino';

export function createLogger(level: string): pino.Logger {
  return pino({ level, base: { service: 'etl-worker' } });
}

/**
 * kafkajs messages that say nothing is wrong, at debug rather than warn or error:
 * - answers with an error kafkajs retries by itself, which every start meets: a group coordinator
 *   still loading (COORDINATOR_LOAD_IN_PROGRESS) right after a broker start, a topic just created
 *   whose partitions the broker does not know yet (UNKNOWN_TOPIC_OR_PARTITION), a leader being
 *   elected. If the retries run out, the caller gets the error and it is logged there, with context;
 * - its notices about its own defaults (the partitioner change of v2, idempotent retries).
 */
const BENIGN = [
  /coordinator is loading/i,
  /does not host this topic-partition/i,
  /no leader for this topic-partition/i,
  /switched default partitioner/i,
  /Limiting retries for the idempotent producer/i,
];

export function isBenignKafkaMessage(message: string): boolean {
  return BENIGN.some((re) => re.test(message));
}

export function kafkaLogCreator(log: pino.Logger): logCreator {
  return () =>
    ({ level, log: entry }) => {
      const { message, ...rest } = entry;
      const child = { kafkajs: true, ...rest };
      const text = `${message} ${String((rest as { error?: unknown }).error ?? '')}`;
      if (level <= KafkaLevel.WARN && isBenignKafkaMessage(text)) log.debug(child, message);
      else if (level === KafkaLevel.ERROR) log.error(child, message);
      else if (level === KafkaLevel.WARN) log.warn(child, message);
      else if (level === KafkaLevel.INFO) log.debug(child, message);
      else log.trace(child, message);
    };
}
