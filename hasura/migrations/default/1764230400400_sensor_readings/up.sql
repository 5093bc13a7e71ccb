-- Demo stream 1: environmental sensors, a few float metrics per reading, one reading per
-- (sensor, instant). Declared in seeds/default as the `sensor_readings` pipeline.
CREATE TABLE public.sensor_readings (
  entity_id bigint NOT NULL,
  ts timestamptz NOT NULL,
  temperature double precision,
  humidity double precision,
  pressure double precision,
  battery double precision,
  dew_point double precision,
  -- the natural key; its index also serves "latest N of a series" and "a range of a series"
  PRIMARY KEY (entity_id, ts)
) PARTITION BY RANGE (ts);
-- "latest rows of the stream" and streaming subscriptions walk the time column across entities
CREATE INDEX sensor_readings_ts_idx ON public.sensor_readings (ts);

COMMENT ON TABLE public.sensor_readings IS 'Environmental sensor readings (demo stream)';
COMMENT ON COLUMN public.sensor_readings.entity_id IS 'The sensor (entities.id)';
COMMENT ON COLUMN public.sensor_readings.temperature IS 'Air temperature, °C';
COMMENT ON COLUMN public.sensor_readings.humidity IS 'Relative humidity, %';
COMMENT ON COLUMN public.sensor_readings.pressure IS 'Air pressure, hPa';
COMMENT ON COLUMN public.sensor_readings.battery IS 'Battery voltage, V';
COMMENT ON COLUMN public.sensor_readings.dew_point IS 'Derived: approximate dew point, °C';

SELECT timeseries.register_table('public.sensor_readings', 'ts', '1 day', 3, '30 days');
