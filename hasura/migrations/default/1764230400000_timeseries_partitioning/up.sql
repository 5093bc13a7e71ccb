-- Time partitioning for every time-series table: native range partitions on the time column,
-- kept ahead of the clock and dropped after a retention period.
--
-- A table opts in with timeseries.register_table(); timeseries.maintain_partitions() (called by
-- the ETL worker on start and periodically) creates the partitions `premake` intervals ahead and
-- drops those wholly older than `retention`; timeseries.ensure_partitions() creates the ones a
-- batch of late or backfilled points needs. Partitions are aligned to UTC on 2000-01-01, so every
-- process computes the same bounds.

CREATE SCHEMA timeseries;
COMMENT ON SCHEMA timeseries IS 'Partition management for time-series tables';

CREATE TABLE timeseries.partitioned_tables (
  table_schema text NOT NULL,
  table_name text NOT NULL,
  time_column text NOT NULL,
  partition_interval interval NOT NULL DEFAULT '1 day'
    CHECK (partition_interval >= interval '1 hour' AND date_part('month', partition_interval) = 0
           AND date_part('year', partition_interval) = 0),
  premake integer NOT NULL DEFAULT 3 CHECK (premake BETWEEN 1 AND 366),
  retention interval CHECK (retention IS NULL OR retention > interval '0'),
  PRIMARY KEY (table_schema, table_name)
);
COMMENT ON TABLE timeseries.partitioned_tables IS
  'Time-series tables under partition management: interval, partitions made ahead, retention (NULL keeps forever)';

-- The partition that holds p_ts: [start, start + interval).
CREATE FUNCTION timeseries.partition_start(p_interval interval, p_ts timestamptz)
RETURNS timestamptz LANGUAGE sql IMMUTABLE AS $$
  SELECT date_bin(p_interval, p_ts, timestamptz '2000-01-01 00:00:00+00')
$$;

-- Create every missing partition of p_table overlapping [p_from, p_to]. Returns how many were made.
CREATE FUNCTION timeseries.ensure_partitions(p_table regclass, p_from timestamptz, p_to timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  cfg timeseries.partitioned_tables;
  start_ts timestamptz;
  part_name text;
  made integer := 0;
BEGIN
  SELECT t.* INTO cfg FROM timeseries.partitioned_tables t
   JOIN pg_class c ON c.relname = t.table_name
   JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = t.table_schema
   WHERE c.oid = p_table;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'table % is not registered for partition management', p_table
      USING HINT = 'call timeseries.register_table() first';
  END IF;
  IF p_to < p_from THEN
    RETURN 0;
  END IF;
  -- two workers extending the same table at once would race on CREATE TABLE
  PERFORM pg_advisory_xact_lock(p_table::oid::bigint);
  start_ts := timeseries.partition_start(cfg.partition_interval, p_from);
  WHILE start_ts <= p_to LOOP
    part_name := cfg.table_name || '_p' || to_char(start_ts AT TIME ZONE 'UTC',
      CASE WHEN cfg.partition_interval < interval '1 day' THEN 'YYYYMMDD"T"HH24MI' ELSE 'YYYYMMDD' END);
    IF to_regclass(format('%I.%I', cfg.table_schema, part_name)) IS NULL THEN
      EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
        cfg.table_schema, part_name, cfg.table_schema, cfg.table_name,
        start_ts, start_ts + cfg.partition_interval);
      made := made + 1;
    END IF;
    start_ts := start_ts + cfg.partition_interval;
  END LOOP;
  RETURN made;
END
$$;

-- Drop partitions of p_table whose upper bound is older than p_now - retention. Returns how many.
CREATE FUNCTION timeseries.drop_expired_partitions(p_table regclass, p_now timestamptz DEFAULT now())
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  cfg timeseries.partitioned_tables;
  part record;
  dropped integer := 0;
BEGIN
  SELECT t.* INTO cfg FROM timeseries.partitioned_tables t
   JOIN pg_class c ON c.relname = t.table_name
   JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = t.table_schema
   WHERE c.oid = p_table;
  IF NOT FOUND OR cfg.retention IS NULL THEN
    RETURN 0;
  END IF;
  FOR part IN
    SELECT child.oid::regclass AS rel,
           substring(pg_get_expr(child.relpartbound, child.oid) FROM 'TO \(''([^'']+)''\)')::timestamptz AS upper_bound
      FROM pg_inherits i JOIN pg_class child ON child.oid = i.inhrelid
     WHERE i.inhparent = p_table
  LOOP
    IF part.upper_bound IS NOT NULL AND part.upper_bound <= p_now - cfg.retention THEN
      EXECUTE format('DROP TABLE %s', part.rel);
      dropped := dropped + 1;
    END IF;
  END LOOP;
  RETURN dropped;
END
$$;

-- Keep every registered table's partitions ahead of p_now and drop the expired ones.
CREATE FUNCTION timeseries.maintain_partitions(p_now timestamptz DEFAULT now())
RETURNS TABLE (table_name text, created integer, dropped integer) LANGUAGE plpgsql AS $$
DECLARE
  cfg timeseries.partitioned_tables;
  rel regclass;
BEGIN
  FOR cfg IN SELECT * FROM timeseries.partitioned_tables ORDER BY 1, 2 LOOP
    rel := format('%I.%I', cfg.table_schema, cfg.table_name)::regclass;
    table_name := rel::text;
    created := timeseries.ensure_partitions(rel, p_now - cfg.partition_interval,
                                            p_now + cfg.partition_interval * cfg.premake);
    dropped := timeseries.drop_expired_partitions(rel, p_now);
    RETURN NEXT;
  END LOOP;
END
$$;

-- Put a range-partitioned table under management and create its first partitions.
CREATE FUNCTION timeseries.register_table(p_table regclass, p_time_column text,
  p_interval interval DEFAULT '1 day', p_premake integer DEFAULT 3, p_retention interval DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  schema_name text;
  rel_name text;
BEGIN
  SELECT n.nspname, c.relname INTO schema_name, rel_name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p_table;
  IF NOT EXISTS (
    SELECT 1 FROM pg_partitioned_table pt
      JOIN pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
     WHERE pt.partrelid = p_table AND pt.partstrat = 'r' AND pt.partnatts = 1 AND a.attname = p_time_column
  ) THEN
    RAISE EXCEPTION 'table % must be PARTITION BY RANGE (%)', p_table, p_time_column;
  END IF;
  INSERT INTO timeseries.partitioned_tables (table_schema, table_name, time_column, partition_interval, premake, retention)
  VALUES (schema_name, rel_name, p_time_column, p_interval, p_premake, p_retention)
  ON CONFLICT (table_schema, table_name) DO UPDATE
    SET time_column = EXCLUDED.time_column, partition_interval = EXCLUDED.partition_interval,
        premake = EXCLUDED.premake, retention = EXCLUDED.retention;
  PERFORM timeseries.ensure_partitions(p_table, now() - p_interval, now() + p_interval * p_premake);
END
$$;
