-- What the ETL worker needs: pipeline declarations, consumed offsets, dead letters.
CREATE SCHEMA etl;
COMMENT ON SCHEMA etl IS 'ETL worker state: pipeline declarations, consumed offsets, dead letters';

-- A pipeline is data: which topics feed which table, and how a message becomes a row.
-- Adding a stream is an INSERT here (plus its table in a migration); the worker picks it up live.
CREATE TABLE etl.pipelines (
  name text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,62}$'),
  description text,
  topics text[] NOT NULL CHECK (cardinality(topics) > 0),
  target_schema text NOT NULL DEFAULT 'public',
  target_table text NOT NULL,
  -- how to find the emitting entity: {"kind": "sensor", "key": "$.device_id", "name": "$.label"}
  entity jsonb,
  -- column → {"path": "$.a.b", "type": "float8", "required": false, "unit": {"from": "degF", "to": "degC"}}
  mapping jsonb NOT NULL CHECK (jsonb_typeof(mapping) = 'object'),
  time_column text NOT NULL DEFAULT 'ts',
  time_field text NOT NULL,
  -- iso8601 | epoch_s | epoch_ms | epoch_us | epoch_ns | pattern:<pattern>
  time_format text NOT NULL DEFAULT 'iso8601',
  -- the natural key of a point in the target table (ON CONFLICT target)
  key_columns text[] NOT NULL CHECK (cardinality(key_columns) > 0),
  -- derived fields, in order: [{"column": "notional", "expr": "price * size"}]
  transforms jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(transforms) = 'array'),
  -- messages for which any filter is false are skipped (counted, not dead-lettered)
  filters jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(filters) = 'array'),
  -- numeric columns summarised into rollups_1m / rollups_1h
  rollup_columns text[] NOT NULL DEFAULT '{}',
  -- points older than now() - late_after are late; late_action says what happens to them
  late_after interval,
  late_action text NOT NULL DEFAULT 'accept' CHECK (late_action IN ('accept', 'drop', 'dead_letter')),
  -- a second point with the same key: keep the first (ignore) or the newest (update)
  on_duplicate text NOT NULL DEFAULT 'ignore' CHECK (on_duplicate IN ('ignore', 'update')),
  enabled boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE etl.pipelines IS 'Declared streams: Kafka topics → target table, field mapping, time, key, transforms';

CREATE FUNCTION etl.pipelines_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  NEW.version := OLD.version + 1;
  RETURN NEW;
END
$$;
CREATE TRIGGER pipelines_touch BEFORE UPDATE ON etl.pipelines
  FOR EACH ROW EXECUTE FUNCTION etl.pipelines_touch();

-- Tell running workers that a declaration changed, so they reload without a restart.
CREATE FUNCTION etl.pipelines_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('streamsync_pipelines',
    json_build_object('op', TG_OP, 'name', coalesce(NEW.name, OLD.name))::text);
  RETURN NULL;
END
$$;
CREATE TRIGGER pipelines_notify AFTER INSERT OR UPDATE OR DELETE ON etl.pipelines
  FOR EACH ROW EXECUTE FUNCTION etl.pipelines_notify();

-- The source of truth for where each consumer group is: written in the same transaction as the
-- rows it loaded, so a crash can never separate "loaded" from "consumed".
CREATE TABLE etl.consumer_offsets (
  consumer_group text NOT NULL,
  topic text NOT NULL,
  partition integer NOT NULL CHECK (partition >= 0),
  next_offset bigint NOT NULL CHECK (next_offset >= 0),
  high_watermark bigint,
  messages bigint NOT NULL DEFAULT 0,
  rows_loaded bigint NOT NULL DEFAULT 0,
  dead_letters bigint NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, topic, partition)
);
COMMENT ON TABLE etl.consumer_offsets IS 'Next offset to consume per (group, topic, partition), committed with the loaded rows';
COMMENT ON COLUMN etl.consumer_offsets.high_watermark IS 'Broker high watermark seen with the last batch: lag = high_watermark - next_offset';

-- Messages that could not be loaded, with why. The bytes are kept as they arrived.
CREATE TABLE etl.dead_letters (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  pipeline text,
  source_topic text NOT NULL,
  source_partition integer NOT NULL,
  source_offset bigint NOT NULL,
  message_key bytea,
  message_value bytea,
  headers jsonb NOT NULL DEFAULT '{}'::jsonb,
  message_timestamp timestamptz,
  error_code text NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  -- a redelivered bad message is recorded once
  CONSTRAINT dead_letters_source_key UNIQUE (source_topic, source_partition, source_offset)
);
CREATE INDEX dead_letters_created_at_idx ON etl.dead_letters (created_at DESC);
CREATE INDEX dead_letters_pipeline_idx ON etl.dead_letters (pipeline, created_at DESC);
COMMENT ON TABLE etl.dead_letters IS 'Messages that failed validation or transformation, with the reason; also sent to the dead-letter topic';
