DROP FUNCTION public.bucketed_series(text, bigint, text, timestamptz, timestamptz, interval);
DROP TABLE public.series_buckets;
DROP FUNCTION public.rollups_1h_avg(public.rollups_1h);
DROP FUNCTION public.rollups_1m_avg(public.rollups_1m);
DELETE FROM timeseries.partitioned_tables
 WHERE table_schema = 'public' AND table_name IN ('rollups_1m', 'rollups_1h');
DROP TABLE public.rollups_1h;
DROP TABLE public.rollups_1m;
