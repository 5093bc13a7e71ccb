-- Per-minute and per-hour summaries of every rolled-up numeric column of every stream, maintained
-- by the ETL worker in the same transaction as the points, so long-range charts never scan raw rows.
-- One narrow shape serves every stream: (stream, entity, metric, bucket) → count/min/max/sum/last.

CREATE TABLE public.rollups_1m (
  stream text NOT NULL,
  entity_id bigint NOT NULL,
  metric text NOT NULL,
  bucket timestamptz NOT NULL,
  count bigint NOT NULL CHECK (count > 0),
  min double precision,
  max double precision,
  sum double precision,
  last double precision,
  last_ts timestamptz NOT NULL,
  PRIMARY KEY (stream, entity_id, metric, bucket)
) PARTITION BY RANGE (bucket);
COMMENT ON TABLE public.rollups_1m IS 'Per-minute count/min/max/sum/last of each metric of each entity of each stream';
COMMENT ON COLUMN public.rollups_1m.stream IS 'The stream''s table, e.g. sensor_readings';
COMMENT ON COLUMN public.rollups_1m.metric IS 'The rolled-up column, e.g. temperature';
COMMENT ON COLUMN public.rollups_1m.bucket IS 'Start of the minute (UTC)';
COMMENT ON COLUMN public.rollups_1m.last IS 'Value of the newest point in the bucket (at last_ts)';

CREATE TABLE public.rollups_1h (
  stream text NOT NULL,
  entity_id bigint NOT NULL,
  metric text NOT NULL,
  bucket timestamptz NOT NULL,
  count bigint NOT NULL CHECK (count > 0),
  min double precision,
  max double precision,
  sum double precision,
  last double precision,
  last_ts timestamptz NOT NULL,
  PRIMARY KEY (stream, entity_id, metric, bucket)
) PARTITION BY RANGE (bucket);
COMMENT ON TABLE public.rollups_1h IS 'Per-hour count/min/max/sum/last of each metric of each entity of each stream';
COMMENT ON COLUMN public.rollups_1h.stream IS 'The stream''s table, e.g. sensor_readings';
COMMENT ON COLUMN public.rollups_1h.metric IS 'The rolled-up column, e.g. temperature';
COMMENT ON COLUMN public.rollups_1h.bucket IS 'Start of the hour (UTC)';
COMMENT ON COLUMN public.rollups_1h.last IS 'Value of the newest point in the bucket (at last_ts)';

SELECT timeseries.register_table('public.rollups_1m', 'bucket', '1 day', 3, '30 days');
SELECT timeseries.register_table('public.rollups_1h', 'bucket', '7 days', 2, '730 days');

-- Computed field `avg` on both rollup tables.
CREATE FUNCTION public.rollups_1m_avg(r public.rollups_1m) RETURNS double precision
  LANGUAGE sql IMMUTABLE AS $$ SELECT r.sum / r.count $$;
CREATE FUNCTION public.rollups_1h_avg(r public.rollups_1h) RETURNS double precision
  LANGUAGE sql IMMUTABLE AS $$ SELECT r.sum / r.count $$;

-- The row type of bucketed_series(): Hasura exposes a function that returns SETOF a tracked table.
-- Nothing is stored here.
CREATE TABLE public.series_buckets (
  stream text NOT NULL,
  entity_id bigint NOT NULL,
  metric text NOT NULL,
  bucket timestamptz NOT NULL,
  count bigint NOT NULL,
  min double precision,
  max double precision,
  avg double precision,
  sum double precision,
  last double precision,
  PRIMARY KEY (stream, entity_id, metric, bucket)
);
COMMENT ON TABLE public.series_buckets IS 'Result rows of bucketed_series(); always empty';

-- One series in buckets of any width, from the finest rollup that divides it: per-minute rollups
-- for widths under an hour (or not a whole number of hours), per-hour ones otherwise.
CREATE FUNCTION public.bucketed_series(
  stream text, entity_id bigint, metric text,
  from_ts timestamptz, to_ts timestamptz, bucket_width interval DEFAULT '1 minute')
RETURNS SETOF public.series_buckets LANGUAGE sql STABLE AS $$
  WITH src AS (
    SELECT r.bucket, r.count, r.min, r.max, r.sum, r.last, r.last_ts FROM public.rollups_1m r
     WHERE (bucketed_series.bucket_width < interval '1 hour'
            OR extract(epoch FROM bucketed_series.bucket_width)::bigint % 3600 <> 0)
       AND r.stream = bucketed_series.stream AND r.entity_id = bucketed_series.entity_id
       AND r.metric = bucketed_series.metric
       AND r.bucket >= bucketed_series.from_ts AND r.bucket < bucketed_series.to_ts
    UNION ALL
    SELECT r.bucket, r.count, r.min, r.max, r.sum, r.last, r.last_ts FROM public.rollups_1h r
     WHERE bucketed_series.bucket_width >= interval '1 hour'
       AND extract(epoch FROM bucketed_series.bucket_width)::bigint % 3600 = 0
       AND r.stream = bucketed_series.stream AND r.entity_id = bucketed_series.entity_id
       AND r.metric = bucketed_series.metric
       AND r.bucket >= bucketed_series.from_ts AND r.bucket < bucketed_series.to_ts
  )
  SELECT bucketed_series.stream, bucketed_series.entity_id, bucketed_series.metric,
         date_bin(bucketed_series.bucket_width, src.bucket, timestamptz '2000-01-01 00:00:00+00') AS bucket,
         sum(src.count)::bigint, min(src.min), max(src.max),
         sum(src.sum) / sum(src.count), sum(src.sum),
         (array_agg(src.last ORDER BY src.last_ts DESC))[1]
    FROM src
   GROUP BY 4
   ORDER BY 4
$$;
COMMENT ON FUNCTION public.bucketed_series(text, bigint, text, timestamptz, timestamptz, interval) IS
  'One series (stream, entity, metric) between from_ts and to_ts in buckets of bucket_width, from the rollups';
