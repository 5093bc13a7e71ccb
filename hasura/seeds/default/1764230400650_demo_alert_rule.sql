-- The demo alert rule: a sensor whose temperature averages above 30 °C over a minute. Re-runnable.
INSERT INTO public.demo_alert_rules (name, stream, metric, op, threshold)
VALUES ('hot sensor', 'sensor_readings', 'temperature', 'above', 30)
ON CONFLICT (name) DO NOTHING;
