DELETE FROM timeseries.partitioned_tables WHERE table_schema = 'public' AND table_name = 'sensor_readings';
DROP TABLE public.sensor_readings;
