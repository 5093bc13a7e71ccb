/**
 * JSON logs (pino), and kafkajs' own log lines routed into them so one stream carries everything,
 * each line with its topic / partition / offsets where it concerns a batch.
 */
import { logLevel as KafkaLevel, type logCreator } from 'kafkajs';
import pino from 'pino';

export function createLogger(level: string): pino.Logger {
  return pino({ level, base: { service: 'etl-worker' } });
}

export function kafkaLogCreator(log: pino.Logger): logCreator {
  return () =>
    ({ level, log: entry }) => {
      const { message, ...rest } = entry;
      const child = { kafkajs: true, ...rest };
      if (level === KafkaLevel.ERROR) log.error(child, message);
      else if (level === KafkaLevel.WARN) log.warn(child, message);
      else if (level === KafkaLevel.INFO) log.debug(child, message);
      else log.trace(child, message);
    };
}
