import { describe, expect, it } from 'vitest';
import { parseBrokers } from '../kafka/topics.ts';
import { loadConfig, parseArgs } from './config.ts';

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
    expect(parseArgs([], config)).toEqual({ mode: 'service' });
    expect(parseArgs(['--bulk', '1000', '--stream', 'market_trades'], config)).toEqual({
      mode: 'bulk',
      count: 1000,
      stream: 'market_trades',
      topic: undefined,
      badRatio: 0.02,
      partitions: 4,
    });
    expect(
      parseArgs(['--bulk=5', '--bad-ratio', '0', '--partitions', '1', '--topic', 't.1'], config),
    ).toEqual({
      mode: 'bulk',
      count: 5,
      stream: 'sensor_readings',
      topic: 't.1',
      badRatio: 0,
      partitions: 1,
    });
    expect(() => parseArgs(['--bulk', 'many'], config)).toThrow('--bulk');
    expect(() => parseArgs(['--bulk', '5', '--stream', 'x'], config)).toThrow('use --file');
    expect(() => parseArgs(['--bulk', '5', '--speed', '2'], config)).toThrow('--speed');
    expect(() => parseArgs(['--stream', 'market_trades'], config)).toThrow('--bulk N or --file F');
  });

  it('should parse the file options: any declared stream, a file or standard input', () => {
    const config = loadConfig({ ETL_TOPIC_PARTITIONS: '4' });
    expect(parseArgs(['--stream', 'pump_pressure', '--file', 'msgs.jsonl'], config)).toEqual({
      mode: 'file',
      file: 'msgs.jsonl',
      stream: 'pump_pressure',
      topic: undefined,
      partitions: 4,
    });
    expect(parseArgs(['--topic', 'pumps', '--file', '-'], config)).toMatchObject({
      mode: 'file',
      file: '-',
      topic: 'pumps',
    });
    expect(() => parseArgs(['--file', 'msgs.jsonl'], config)).toThrow('needs --stream');
    expect(() => parseArgs(['--file', 'm', '--stream', 's', '--bulk', '3'], config)).toThrow(
      'not with --bulk',
    );
  });
});
