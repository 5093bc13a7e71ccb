/**
 * A trimmed version of the schema Hasura generates for the `viewer` role of our hasura/ project
 * (names and types as in /work/shared/hasura-reference.md §1), for discovery tests.
 */
export const VIEWER_SDL = /* GraphQL */ `
  schema {
    query: query_root
    subscription: subscription_root
  }
  scalar bigint
  scalar float8
  scalar numeric
  scalar timestamptz
  scalar jsonb
  scalar _text
  input cursor_in {
    ts: timestamptz
  }

  "columns and relationships of \\"entities\\""
  type entities {
    id: bigint!
    kind: String!
    key: String!
    name: String
    owner_id: String
    created_at: timestamptz!
  }

  """
  Environmental sensor readings (demo stream)
  """
  type sensor_readings {
    entity_id: bigint!
    ts: timestamptz!
    "Air temperature, °C"
    temperature: float8
    humidity: float8
    pressure: float8
    battery: float8
    dew_point: float8
    entity: entities
  }
  type sensor_readings_aggregate {
    nodes: [sensor_readings!]!
  }

  type market_trades {
    entity_id: bigint!
    ts: timestamptz!
    trade_id: String!
    price: numeric!
    size: numeric!
    side: String!
    notional: numeric
    entity: entities
  }
  type market_trades_aggregate {
    nodes: [market_trades!]!
  }

  type rollups_1m {
    stream: String!
    entity_id: bigint!
    metric: String!
    bucket: timestamptz!
    count: bigint!
    min: float8
    max: float8
    sum: float8
    last: float8
    last_ts: timestamptz!
    avg: float8
  }
  type rollups_1h {
    stream: String!
    entity_id: bigint!
    metric: String!
    bucket: timestamptz!
    count: bigint!
    min: float8
    max: float8
    sum: float8
    last: float8
    last_ts: timestamptz!
    avg: float8
  }
  type series_buckets {
    stream: String!
    entity_id: bigint!
    metric: String!
    bucket: timestamptz!
    count: bigint!
    avg: float8
  }
  type consumer_offsets {
    consumer_group: String!
    topic: String!
    partition: Int!
    next_offset: bigint!
    high_watermark: bigint
    messages: bigint!
    rows_loaded: bigint!
    dead_letters: bigint!
    updated_at: timestamptz!
    stalled_since: timestamptz
    last_error: String
  }
  type dead_letters {
    id: bigint!
    pipeline: String
    source_topic: String!
    source_partition: Int!
    source_offset: bigint!
    error_code: String!
    reason: String!
    created_at: timestamptz!
  }
  type pipelines {
    name: String!
    target_schema: String!
    target_table: String!
    time_column: String!
    topics: _text!
    created_at: timestamptz!
    version: Int!
  }

  type query_root {
    entities: [entities!]!
    sensor_readings: [sensor_readings!]!
    sensor_readings_aggregate: sensor_readings_aggregate!
    market_trades: [market_trades!]!
    market_trades_aggregate: market_trades_aggregate!
    rollups_1m: [rollups_1m!]!
    rollups_1h: [rollups_1h!]!
    series_buckets: [series_buckets!]!
    bucketed_series(args: String): [series_buckets!]!
    consumer_offsets: [consumer_offsets!]!
    dead_letters: [dead_letters!]!
    pipelines: [pipelines!]!
  }
  type subscription_root {
    entities: [entities!]!
    entities_stream(batch_size: Int!): [entities!]!
    sensor_readings: [sensor_readings!]!
    sensor_readings_aggregate: sensor_readings_aggregate!
    sensor_readings_stream(batch_size: Int!, cursor: [cursor_in]!): [sensor_readings!]!
    market_trades: [market_trades!]!
    market_trades_aggregate: market_trades_aggregate!
    market_trades_stream(batch_size: Int!): [market_trades!]!
    rollups_1m_stream(batch_size: Int!): [rollups_1m!]!
    rollups_1h_stream(batch_size: Int!): [rollups_1h!]!
    series_buckets_stream(batch_size: Int!): [series_buckets!]!
    consumer_offsets_stream(batch_size: Int!): [consumer_offsets!]!
    dead_letters_stream(batch_size: Int!): [dead_letters!]!
    pipelines_stream(batch_size: Int!): [pipelines!]!
  }
`;
