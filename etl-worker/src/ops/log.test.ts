import { Writable } from 'node:stream';
import { logLevel } from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { kafkaLogCreator } from './log.ts';

/** kafkajs' log lines through our creator, into a pino logger at debug; the levels they got. */
function route(entries: Array<{ level: logLevel; message: string; error?: string }>): number[] {
  const levels: number[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        levels.push((JSON.parse(line) as { level: number }).level);
      done();
    },
  });
  const log = kafkaLogCreator(pino({ level: 'debug' }, sink))(logLevel.DEBUG);
  for (const e of entries) {
    log({
      namespace: 'Connection',
      level: e.level,
      label: 'ERROR',
      log: { timestamp: '', logger: 'kafkajs', message: e.message, error: e.error },
    });
  }
  return levels;
}

describe('ETL worker > kafkajs logs', () => {
  it('should keep what every start meets at debug and real failures at error', () => {
    const levels = route([
      {
        level: logLevel.ERROR,
        message: 'Response GroupCoordinator(key: 10, version: 2)',
        error: "The coordinator is loading and hence can't process requests for this group",
      },
      {
        level: logLevel.ERROR,
        message: 'Response Metadata(key: 3, version: 6)',
        error: 'This server does not host this topic-partition',
      },
      {
        level: logLevel.WARN,
        message: 'KafkaJS v2.0.0 switched default partitioner. To retain the same…',
      },
      { level: logLevel.ERROR, message: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' },
      { level: logLevel.WARN, message: 'Broker disconnected' },
    ]);
    // pino: 20 debug, 40 warn, 50 error
    expect(levels).toEqual([20, 20, 20, 50, 40]);
  });
});
