import { buildSchema, graphqlSync } from 'graphql';
import { describe, expect, it } from 'vitest';
import { VIEWER_SDL } from './__fixtures__/viewer-schema';
import { SCHEMA_QUERY, type SchemaIntrospection } from './introspection';
import { discoverSchema, graphqlTableName, type PipelineDeclaration } from './schema-discovery';

function introspect(sdl: string): SchemaIntrospection {
  const result = graphqlSync({ schema: buildSchema(sdl), source: SCHEMA_QUERY });
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.data as unknown as SchemaIntrospection;
}

const PIPELINES: PipelineDeclaration[] = [
  {
    name: 'sensor_readings',
    description: 'Environmental sensors',
    topics: ['sensor-readings'],
    target_schema: 'public',
    target_table: 'sensor_readings',
    time_column: 'ts',
    key_columns: ['entity_id', 'ts'],
    rollup_columns: ['temperature', 'humidity'],
    entity: { kind: 'sensor' },
  },
  {
    name: 'market_trades',
    target_schema: 'public',
    target_table: 'market_trades',
    time_column: 'ts',
    key_columns: ['entity_id', 'ts', 'trade_id'],
    rollup_columns: ['price', 'size'],
    entity: { kind: 'instrument' },
  },
];

describe('Web > GraphQL > schema discovery', () => {
  const schema = introspect(VIEWER_SDL);

  it('should find the streams and only the streams', () => {
    const found = discoverSchema(schema);
    expect(found.streams.map((s) => s.name)).toEqual(['market_trades', 'sensor_readings']);
  });

  it('should find the time field and the numeric metrics, not the ids', () => {
    const sensors = discoverSchema(schema).streams.find((s) => s.name === 'sensor_readings')!;
    expect(sensors.timeField).toBe('ts');
    expect(sensors.metrics.map((m) => m.name)).toEqual([
      'temperature',
      'humidity',
      'pressure',
      'battery',
      'dew_point',
    ]);
    expect(sensors.metrics[0]).toEqual({
      name: 'temperature',
      scalar: 'float8',
      description: 'Air temperature, °C',
    });
    expect(sensors.entityField).toBe('entity_id');
    expect(sensors.entityRelationship).toEqual({ field: 'entity', labelFields: ['name', 'key'] });
    expect(sensors.description).toBe('Environmental sensor readings (demo stream)');
    expect(sensors.canAggregate).toBe(true);
  });

  it('should keep text fields as other fields of a stream', () => {
    const trades = discoverSchema(schema).streams.find((s) => s.name === 'market_trades')!;
    expect(trades.metrics.map((m) => m.name)).toEqual(['price', 'size', 'notional']);
    expect(trades.otherFields.map((m) => m.name)).toEqual(['entity_id', 'trade_id', 'side']);
  });

  it('should enrich streams with their pipeline declarations', () => {
    const found = discoverSchema(schema, PIPELINES);
    const sensors = found.streams.find((s) => s.name === 'sensor_readings')!;
    expect(sensors.description).toBe('Environmental sensors');
    expect(sensors.pipeline).toEqual({
      name: 'sensor_readings',
      topics: ['sensor-readings'],
      rollupColumns: ['temperature', 'humidity'],
      keyColumns: ['entity_id', 'ts'],
      entityKind: 'sensor',
      enabled: true,
    });
  });

  it('should list the rolled-up metrics first, in their declared order', () => {
    const found = discoverSchema(schema, [
      { ...PIPELINES[0]!, rollup_columns: ['pressure', 'humidity'] },
    ]);
    const sensors = found.streams.find((s) => s.name === 'sensor_readings')!;
    expect(sensors.metrics.map((m) => m.name)).toEqual([
      'pressure',
      'humidity',
      'temperature',
      'battery',
      'dew_point',
    ]);
  });

  it('should find a stream declared at run time, with or without an entity', () => {
    const sdl = VIEWER_SDL.replace(
      'type query_root {',
      `type wind_gusts { ts: timestamptz! speed: float8 direction: Int station: String }
       type query_root { wind_gusts: [wind_gusts!]!`,
    ).replace(
      'type subscription_root {',
      'type subscription_root { wind_gusts_stream(batch_size: Int!): [wind_gusts!]!',
    );
    const withoutPipeline = discoverSchema(introspect(sdl));
    expect(withoutPipeline.streams.map((s) => s.name)).not.toContain('wind_gusts');
    const declared = discoverSchema(introspect(sdl), [
      ...PIPELINES,
      {
        name: 'wind',
        target_schema: 'public',
        target_table: 'wind_gusts',
        time_column: 'ts',
        key_columns: ['ts'],
      },
    ]);
    const wind = declared.streams.find((s) => s.name === 'wind_gusts')!;
    expect(wind.metrics.map((m) => m.name)).toEqual(['speed', 'direction']);
    expect(wind.entityField).toBeUndefined();
    expect(wind.canAggregate).toBe(false);
  });

  it('should fall back to live queries for a table the role cannot stream, and skip one it cannot subscribe to', () => {
    const noStream = VIEWER_SDL.replace(/ {4}sensor_readings_stream\(.*\n/, '');
    const found = discoverSchema(introspect(noStream)).streams;
    expect(found.map((s) => [s.name, s.canStream])).toEqual([
      ['market_trades', true],
      ['sensor_readings', false],
    ]);
    const noSubscription = noStream.replace(
      / {4}sensor_readings: \[sensor_readings!\]!\n(?![\s\S]*type subscription_root)/,
      '',
    );
    expect(discoverSchema(introspect(noSubscription)).streams.map((s) => s.name)).toEqual([
      'market_trades',
    ]);
  });

  it('should report the rollups and the pipeline health tables', () => {
    const found = discoverSchema(schema);
    expect(found.rollups).toEqual({
      minute: { name: 'rollups_1m', hasAvg: true },
      hour: { name: 'rollups_1h', hasAvg: true },
      bucketedSeries: true,
    });
    expect(found.health).toEqual({
      pipelines: true,
      consumerOffsets: true,
      deadLetters: true,
      entities: true,
    });
  });

  it('should find nothing in a schema without tables', () => {
    const empty = introspect(
      'type query_root { no_queries_available: String! } schema { query: query_root }',
    );
    const found = discoverSchema(empty);
    expect(found.streams).toEqual([]);
    expect(found.health.pipelines).toBe(false);
  });

  it('should name tables outside public as Hasura does', () => {
    expect(graphqlTableName('public', 'readings')).toBe('readings');
    expect(graphqlTableName('analytics', 'readings')).toBe('analytics_readings');
  });
});
