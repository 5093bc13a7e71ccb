import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  countSinceSubscription,
  historyQuery,
  latestRowsSubscription,
  name,
  recentEntitiesQuery,
  rollupDocument,
  streamRowsSubscription,
  windowAggregateSubscription,
} from './documents';
import type { DiscoveredStream } from './schema-discovery';

const sensors: DiscoveredStream = {
  name: 'sensor_readings',
  typeName: 'sensor_readings',
  title: 'Sensor readings',
  timeField: 'ts',
  timeScalar: 'timestamptz',
  metrics: [{ name: 'temperature', scalar: 'float8' }],
  otherFields: [{ name: 'entity_id', scalar: 'bigint' }],
  entityField: 'entity_id',
  entityScalar: 'bigint',
  entityRelationship: { field: 'entity', labelFields: ['name', 'key'] },
  canAggregate: true,
  canStream: true,
};

describe('Web > GraphQL > documents', () => {
  it('should refuse anything but a GraphQL name', () => {
    expect(name('sensor_readings')).toBe('sensor_readings');
    expect(() => name('a { b }')).toThrow(/not a GraphQL name/);
    expect(() => name('')).toThrow();
  });

  it('should build a streaming subscription with a cursor on the time field', () => {
    const doc = streamRowsSubscription(sensors, ['ts', 'entity_id', 'temperature'], true);
    expect(doc).toContain(
      'rows: sensor_readings_stream(batch_size: $batch, cursor: { initial_value: { ts: $cursor }, ordering: ASC }, where: { entity_id: { _eq: $entity } })',
    );
    expect(doc).toContain('$entity: bigint!');
    expect(() => parse(doc)).not.toThrow();
    const all = streamRowsSubscription(sensors, ['ts', 'temperature'], false);
    expect(all).not.toContain('$entity');
    expect(() => parse(all)).not.toThrow();
  });

  it('should build documents that parse', () => {
    for (const doc of [
      historyQuery(sensors, ['ts', 'temperature'], true),
      historyQuery(sensors, ['ts', 'temperature'], false),
      latestRowsSubscription(sensors, ['ts', 'temperature'], true),
      latestRowsSubscription(sensors, ['ts', 'temperature'], false),
      windowAggregateSubscription(sensors, ['temperature'], true),
      countSinceSubscription(sensors),
      rollupDocument('query', 'rollups_1m', true),
      rollupDocument('subscription', 'rollups_1h', false),
      recentEntitiesQuery(sensors),
    ]) {
      expect(() => parse(doc), doc).not.toThrow();
    }
  });

  it('should label latest rows with the entity relationship', () => {
    expect(latestRowsSubscription(sensors, ['ts'], false)).toContain('entity { name key }');
  });
});
