DROP FUNCTION timeseries.register_table(regclass, text, interval, integer, interval);
DROP FUNCTION timeseries.maintain_partitions(timestamptz);
DROP FUNCTION timeseries.drop_expired_partitions(regclass, timestamptz);
DROP FUNCTION timeseries.ensure_partitions(regclass, timestamptz, timestamptz);
DROP FUNCTION timeseries.partition_start(interval, timestamptz);
DROP TABLE timeseries.partitioned_tables;
DROP SCHEMA timeseries;
