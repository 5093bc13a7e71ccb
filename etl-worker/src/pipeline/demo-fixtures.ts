/**
 * The two demo pipelines as the seed declares them and their tables as the migrations create them
 * (hasura/seeds/default/1764230400000_demo_streams.sql, migrations …400_sensor_readings,
 * …500_market_trades, …600_stream_commit_order), for tests that need a realistic declaration
 * without a database.
 */
import type { PipelineRow, TableColumn, TargetTable } from './types.ts';

const column = (
  name: string,
  sqlType: string,
  notNull = false,
  hasDefault = false,
): TableColumn => ({ name, sqlType, notNull, hasDefault });

export function sensorReadingsTable(): TargetTable {
  return {
    schema: 'public',
    name: 'sensor_readings',
    columns: [
      column('entity_id', 'bigint', true),
      column('ts', 'timestamp with time zone', true),
      column('temperature', 'double precision'),
      column('humidity', 'double precision'),
      column('pressure', 'double precision'),
      column('battery', 'double precision'),
      column('dew_point', 'double precision'),
      column('ingest_xid', 'xid8', true, true),
    ],
    retentionS: 30 * 86_400,
  };
}

export function marketTradesTable(): TargetTable {
  return {
    schema: 'public',
    name: 'market_trades',
    columns: [
      column('entity_id', 'bigint', true),
      column('ts', 'timestamp with time zone', true),
      column('trade_id', 'text', true),
      column('price', 'numeric(20,8)', true),
      column('size', 'numeric(20,8)', true),
      column('side', 'text', true),
      column('notional', 'numeric(28,8)'),
      column('ingest_xid', 'xid8', true, true),
    ],
    retentionS: 90 * 86_400,
  };
}

export function sensorReadingsPipeline(): PipelineRow {
  return {
    name: 'sensor_readings',
    description:
      'Environmental sensors: temperature (sent in °F, stored in °C), humidity, pressure, battery (mV → V)',
    topics: ['sensor-readings'],
    target_schema: 'public',
    target_table: 'sensor_readings',
    entity: { kind: 'sensor', key: '$.device_id' },
    mapping: {
      temperature: { path: '$.temp_f', type: 'float8', unit: { from: 'degF', to: 'degC' } },
      humidity: { path: '$.humidity', type: 'float8' },
      pressure: { path: '$.pressure_hpa', type: 'float8' },
      battery: { path: '$.battery_mv', type: 'float8', unit: { from: 'mV', to: 'V' } },
    },
    time_column: 'ts',
    time_field: '$.time',
    time_format: 'iso8601',
    key_columns: ['entity_id', 'ts'],
    transforms: [{ column: 'dew_point', expr: 'temperature - (100 - humidity) / 5' }],
    filters: [],
    rollup_columns: ['temperature', 'humidity', 'pressure', 'battery'],
    late_after_s: 7 * 86_400,
    late_action: 'dead_letter',
    on_duplicate: 'ignore',
    enabled: true,
    version: 1,
  };
}

export function marketTradesPipeline(): PipelineRow {
  return {
    name: 'market_trades',
    description:
      'Exchange trades: epoch-millisecond times, decimal prices and sizes, notional derived',
    topics: ['market-trades'],
    target_schema: 'public',
    target_table: 'market_trades',
    entity: { kind: 'instrument', key: '$.symbol' },
    mapping: {
      trade_id: { path: '$.id', type: 'text', required: true },
      price: { path: '$.px', type: 'numeric', required: true },
      size: { path: '$.qty', type: 'numeric', required: true },
      side: { path: '$.side', type: 'text', required: true },
    },
    time_column: 'ts',
    time_field: '$.ts',
    time_format: 'epoch_ms',
    key_columns: ['entity_id', 'ts', 'trade_id'],
    transforms: [{ column: 'notional', expr: 'price * size' }],
    filters: [{ expr: 'size > 0' }],
    rollup_columns: ['price', 'size'],
    late_after_s: null,
    late_action: 'accept',
    on_duplicate: 'ignore',
    enabled: true,
    version: 1,
  };
}

export const SENSOR_MESSAGE = {
  device_id: 'sensor-0001',
  time: '2026-11-27T10:00:00.123456Z',
  temp_f: 71.6,
  humidity: 40,
  pressure_hpa: 1013,
  battery_mv: 3700,
};

export const TRADE_MESSAGE = {
  id: 't1',
  symbol: 'BTC-USD',
  ts: 1764230400123,
  px: '64000.5',
  qty: '0.25',
  side: 'buy',
};
