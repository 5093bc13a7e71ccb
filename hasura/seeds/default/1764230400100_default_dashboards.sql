-- A default dashboard for each demo stream: shared, owned by nobody (read-only; a user copies it to
-- change it). Re-runnable: a stream that has its default already keeps it as it is.

WITH d AS (
  INSERT INTO public.dashboards (title, description, shared, stream, time_from, time_to)
  VALUES ('Sensors', 'The environmental sensors: pick sensors above to compare them.', true,
          'sensor_readings', 'now-1h', 'now')
  ON CONFLICT (stream) WHERE owner_id IS NULL DO NOTHING
  RETURNING id
)
INSERT INTO public.panels (dashboard_id, position, title, stream, metrics, entities, bucket,
                           aggregate, visualization, width)
SELECT d.id, p.position, p.title, 'sensor_readings', p.metrics::jsonb, p.entities::jsonb, p.bucket,
       p.aggregate, p.visualization, p.width
  FROM d, (VALUES
    (0, 'Temperature (°C)', '["temperature"]', '{"mode": "dashboard"}', 'auto', 'avg', 'line', 6),
    (1, 'Relative humidity (%)', '["humidity"]', '{"mode": "dashboard"}', 'auto', 'avg', 'line', 6),
    (2, 'Latest temperature', '["temperature"]', '{"mode": "dashboard"}', 'auto', 'last', 'stat', 3),
    (3, 'Lowest battery (V)', '["battery"]', '{"mode": "dashboard"}', 'auto', 'min', 'stat', 3),
    (4, 'Air pressure (hPa)', '["pressure"]', '{"mode": "dashboard"}', 'auto', 'avg', 'area', 6),
    (5, 'Temperature across every sensor', '["temperature"]', '{"mode": "all"}', 'auto', 'avg', 'heatmap', 12),
    (6, 'Sensors now', '["temperature", "humidity", "battery"]', '{"mode": "dashboard"}', 'auto', 'last', 'table', 12)
  ) AS p(position, title, metrics, entities, bucket, aggregate, visualization, width);

WITH d AS (
  INSERT INTO public.dashboards (title, description, shared, stream, time_from, time_to)
  VALUES ('Market trades', 'Trades of the demo instruments: prices, volume and activity.', true,
          'market_trades', 'now-1h', 'now')
  ON CONFLICT (stream) WHERE owner_id IS NULL DO NOTHING
  RETURNING id
)
INSERT INTO public.panels (dashboard_id, position, title, stream, metrics, entities, bucket,
                           aggregate, visualization, width)
SELECT d.id, p.position, p.title, 'market_trades', p.metrics::jsonb, p.entities::jsonb, p.bucket,
       p.aggregate, p.visualization, p.width
  FROM d, (VALUES
    (0, 'Price', '["price"]', '{"mode": "dashboard"}', 'auto', 'last', 'line', 8),
    (1, 'Last price', '["price"]', '{"mode": "dashboard"}', 'auto', 'last', 'stat', 4),
    (2, 'Volume', '["size"]', '{"mode": "dashboard"}', 'auto', 'sum', 'bar', 6),
    (3, 'Trades', '["price"]', '{"mode": "dashboard"}', 'auto', 'count', 'bar', 6),
    (4, 'Instruments now', '["price", "size"]', '{"mode": "all"}', 'auto', 'last', 'table', 12)
  ) AS p(position, title, metrics, entities, bucket, aggregate, visualization, width);
