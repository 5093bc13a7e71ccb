import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  countSinceSubscription,
  latestRowsSubscription,
  name,
  recentEntitiesQuery,
} from './documents';
import {
  bucketsQuery,
  bucketsVariables,
  EDGE_MINUTES,
  panelFields,
  rangeCountQuery,
  rawRangeQuery,
  streamQuery,
} from './panel-documents';
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

  it("should build a panel's streaming subscription with a cursor on the time field", () => {
    const doc = streamQuery(sensors, ['ts', 'entity_id', 'temperature'], true);
    expect(doc).toContain(
      'rows: sensor_readings_stream(batch_size: $batch, cursor: { initial_value: { ts: $cursor }, ordering: ASC }, where: { entity_id: { _in: $entities } })',
    );
    expect(doc).toContain('$entities: [bigint!]!');
    expect(() => parse(doc)).not.toThrow();
    expect(streamQuery(sensors, ['ts', 'temperature'], false)).not.toContain('$entities');
  });

  it("should read a trade's key column so two trades at one instant stay two points", () => {
    const trades: DiscoveredStream = {
      ...sensors,
      name: 'market_trades',
      otherFields: [...sensors.otherFields, { name: 'trade_id', scalar: 'String' }],
      pipeline: {
        name: 'market_trades',
        topics: [],
        rollupColumns: [],
        keyColumns: ['entity_id', 'ts', 'trade_id'],
        enabled: true,
      },
    };
    expect(panelFields(trades, ['price'])).toEqual(['ts', 'entity_id', 'trade_id', 'price']);
  });

  it('should pass every series of a bucketed read as variables, never in the document', () => {
    const series = [
      { alias: 's0', entity: '7', metric: 'temperature' },
      { alias: 's1', entity: '8', metric: 'temperature' },
    ];
    const doc = bucketsQuery(series);
    expect(doc).not.toContain('"7"');
    expect(bucketsVariables(series)).toEqual({
      e0: '7',
      m0: 'temperature',
      e1: '8',
      m1: 'temperature',
    });
    expect(() => parse(doc)).not.toThrow();
    expect(() => bucketsQuery([{ alias: 'x y', entity: '1', metric: 'm' }])).toThrow(
      /not a GraphQL name/,
    );
  });

  it('should build documents that parse', () => {
    for (const doc of [
      rawRangeQuery(sensors, ['ts', 'temperature'], true),
      rawRangeQuery(sensors, ['ts', 'temperature'], false),
      rangeCountQuery(sensors, true),
      rangeCountQuery(sensors, false),
      latestRowsSubscription(sensors, ['ts', 'temperature'], true),
      latestRowsSubscription(sensors, ['ts', 'temperature'], false),
      countSinceSubscription(sensors),
      EDGE_MINUTES,
      recentEntitiesQuery(sensors),
    ]) {
      expect(() => parse(doc), doc).not.toThrow();
    }
  });

  it('should label latest rows with the entity relationship', () => {
    expect(latestRowsSubscription(sensors, ['ts'], false)).toContain('entity { name key }');
  });
});
