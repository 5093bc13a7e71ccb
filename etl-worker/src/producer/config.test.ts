import { describe, expect, it } from 'vitest';
import { parseBrokers } from '../kafka/topics.ts';
import { loadConfig, parseBulkArgs } from './config.ts';

describe('Producer > Config', () => {
  it('should use the documented defaults', () => {
    expect(loadConfig({})).toEqual({
      brokers: ['127.0.0.1:9092'],
      rate: 50,
      streams: ['sensor_readings', 'market_trades'],
      sensors: 50,
      badRatio: 0.01,
      httpPort: 9465,
      httpHost: '0.0.0.0',
      partitions: 3,
      logLevel: 'info',
    });
  });

  it('should read every setting from the environment', () => {
    const config = loadConfig({
      KAFKA_BROKERS: '10.0.0.1:9092, kafka:29092',
      PRODUCER_RATE: '2.5',
      PRODUCER_STREAMS: 'market_trades',
      PRODUCER_SENSORS: '500',
      PRODUCER_BAD_RATIO: '0',
      PRODUCER_HTTP_PORT: '0',
      PRODUCER_HTTP_HOST: '127.0.0.1',
      ETL_TOPIC_PARTITIONS: '6',
      LOG_LEVEL: 'WARN',
    });
    expect(config).toEqual({
      brokers: ['10.0.0.1:9092', 'kafka:29092'],
      rate: 2.5,
      streams: ['market_trades'],
      sensors: 500,
      badRatio: 0,
      httpPort: 0,
      httpHost: '127.0.0.1',
      partitions: 6,
      logLevel: 'warn',
    });
  });

  it.each([
    ['KAFKA_BROKERS', 'kafka'],
    ['KAFKA_BROKERS', 'kafka:99999'],
    ['KAFKA_BROKERS', ' , '],
    ['PRODUCER_RATE', 'fast'],
    ['PRODUCER_RATE', '0'],
    ['PRODUCER_STREAMS', 'sensor_readings,weather'],
    ['PRODUCER_SENSORS', '0'],
    ['PRODUCER_BAD_RATIO', '1.5'],
    ['PRODUCER_HTTP_PORT', '70000'],
    ['PRODUCER_HTTP_HOST', 'a host'],
    ['ETL_TOPIC_PARTITIONS', 'three'],
    ['LOG_LEVEL', 'verbose'],
  ])('should refuse %s=%j with a message naming the key', (key, value) => {
    expect(() => loadConfig({ [key]: value })).toThrow(key);
  });

  it('should parse broker lists, IPv6 included', () => {
    expect(parseBrokers(undefined)).toEqual(['127.0.0.1:9092']);
    expect(parseBrokers('a:1,[::1]:9092,')).toEqual(['a:1', '[::1]:9092']);
    expect(() => parseBrokers('127.0.0.1')).toThrow(/KAFKA_BROKERS/);
  });

  it('should parse the bulk options, with defaults from the environment', () => {
    const config = loadConfig({ PRODUCER_BAD_RATIO: '0.02', ETL_TOPIC_PARTITIONS: '4' });
    expect(parseBulkArgs([], config)).toBeUndefined();
    expect(parseBulkArgs(['--bulk', '1000', '--stream', 'market_trades'], config)).toEqual({
      count: 1000,
      stream: 'market_trades',
      topic: undefined,
      badRatio: 0.02,
      partitions: 4,
    });
    expect(
      parseBulkArgs(
        ['--bulk=5', '--bad-ratio', '0', '--partitions', '1', '--topic', 't.1'],
        config,
      ),
    ).toEqual({ count: 5, stream: 'sensor_readings', topic: 't.1', badRatio: 0, partitions: 1 });
    expect(() => parseBulkArgs(['--bulk', 'many'], config)).toThrow('--bulk');
    expect(() => parseBulkArgs(['--bulk', '5', '--stream', 'x'], config)).toThrow('--stream');
    expect(() => parseBulkArgs(['--bulk', '5', '--speed', '2'], config)).toThrow('--speed');
    expect(() => parseBulkArgs(['--stream', 'market_trades'], config)).toThrow('--bulk');
  });
});
