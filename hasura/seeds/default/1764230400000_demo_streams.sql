-- The two demo streams, declared as data. Re-runnable: existing rows are left as they are.

INSERT INTO etl.pipelines (name, description, topics, target_table, entity, mapping, time_column,
                           time_field, time_format, key_columns, transforms, filters, rollup_columns,
                           late_after, late_action, on_duplicate)
VALUES
  ('sensor_readings',
   'Environmental sensors: temperature (sent in °F, stored in °C), humidity, pressure, battery (mV → V)',
   ARRAY['sensor-readings'], 'sensor_readings',
   '{"kind": "sensor", "key": "$.device_id"}',
   '{"temperature": {"path": "$.temp_f", "type": "float8", "unit": {"from": "degF", "to": "degC"}},
     "humidity":    {"path": "$.humidity", "type": "float8"},
     "pressure":    {"path": "$.pressure_hpa", "type": "float8"},
     "battery":     {"path": "$.battery_mv", "type": "float8", "unit": {"from": "mV", "to": "V"}}}',
   'ts', '$.time', 'iso8601', ARRAY['entity_id', 'ts'],
   '[{"column": "dew_point", "expr": "temperature - (100 - humidity) / 5"}]',
   '[]',
   ARRAY['temperature', 'humidity', 'pressure', 'battery'],
   interval '7 days', 'dead_letter', 'ignore'),
  ('market_trades',
   'Exchange trades: epoch-millisecond times, decimal prices and sizes, notional derived',
   ARRAY['market-trades'], 'market_trades',
   '{"kind": "instrument", "key": "$.symbol"}',
   '{"trade_id": {"path": "$.id", "type": "text", "required": true},
     "price":    {"path": "$.px", "type": "numeric", "required": true},
     "size":     {"path": "$.qty", "type": "numeric", "required": true},
     "side":     {"path": "$.side", "type": "text", "required": true}}',
   'ts', '$.ts', 'epoch_ms', ARRAY['entity_id', 'ts', 'trade_id'],
   '[{"column": "notional", "expr": "price * size"}]',
   '[{"expr": "size > 0"}]',
   ARRAY['price', 'size'],
   NULL, 'accept', 'ignore')
ON CONFLICT (name) DO NOTHING;

-- Demo entities with names, attributes and owners (users 1 to 5 own ten sensors each). Entities the
-- producer sends that are not listed here are created by the worker on first sight.
INSERT INTO public.entities (kind, key, name, attributes, owner_id)
SELECT 'sensor', format('sensor-%s', lpad(i::text, 4, '0')), format('Sensor %s', i),
       jsonb_build_object('site', (ARRAY['north', 'south', 'east', 'west', 'roof'])[1 + i % 5],
                          'model', (ARRAY['TH-200', 'TH-300'])[1 + i % 2]),
       ((i - 1) / 10 + 1)::text
  FROM generate_series(1, 50) AS i
ON CONFLICT (kind, key) DO NOTHING;

INSERT INTO public.entities (kind, key, name, attributes, owner_id)
VALUES
  ('instrument', 'BTC-USD', 'Bitcoin / US dollar', '{"venue": "demo", "quote": "USD"}', '1'),
  ('instrument', 'ETH-USD', 'Ether / US dollar', '{"venue": "demo", "quote": "USD"}', '1'),
  ('instrument', 'SOL-USD', 'Solana / US dollar', '{"venue": "demo", "quote": "USD"}', '2'),
  ('instrument', 'EUR-USD', 'Euro / US dollar', '{"venue": "demo", "quote": "USD"}', '2'),
  ('instrument', 'GBP-USD', 'Pound sterling / US dollar', '{"venue": "demo", "quote": "USD"}', '3'),
  ('instrument', 'AAPL', 'Apple Inc.', '{"venue": "demo", "quote": "USD"}', '3'),
  ('instrument', 'MSFT', 'Microsoft Corp.', '{"venue": "demo", "quote": "USD"}', '4'),
  ('instrument', 'NVDA', 'NVIDIA Corp.', '{"venue": "demo", "quote": "USD"}', '5')
ON CONFLICT (kind, key) DO NOTHING;
