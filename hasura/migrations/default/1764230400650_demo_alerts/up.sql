-- Alerts, the interim version that shows the notification path end to end until the dashboard's
-- alert rules land (issue 16; they bring public.alerts, evaluated by the worker as points load,
-- and the event trigger then moves there). A rule watches a stream's metric in the per-minute
-- rollups; public.evaluate_demo_alert_rules() (called every minute by the cron trigger
-- evaluate_demo_alerts, through the worker) records each minute of an entity that crossed it as a
-- row of demo_alerts, and the insert fires the event trigger alert_fired, which notifies the
-- webhook.
CREATE TABLE public.demo_alert_rules (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  stream text NOT NULL,
  metric text NOT NULL,
  op text NOT NULL CHECK (op IN ('above', 'below')),
  threshold double precision NOT NULL,
  enabled boolean NOT NULL DEFAULT true
);
COMMENT ON TABLE public.demo_alert_rules IS 'Interim alert rules: a stream metric''s per-minute average above or below a threshold';

CREATE TABLE public.demo_alerts (
  id bigserial PRIMARY KEY,
  rule_id integer NOT NULL REFERENCES public.demo_alert_rules (id) ON DELETE CASCADE,
  rule_name text NOT NULL,
  entity_id bigint NOT NULL,
  metric text NOT NULL,
  op text NOT NULL,
  threshold double precision NOT NULL,
  -- the minute that crossed the threshold, and its average
  bucket timestamptz NOT NULL,
  value double precision NOT NULL,
  fired_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (rule_id, entity_id, bucket)
);
COMMENT ON TABLE public.demo_alerts IS 'Interim alerts: one row per rule, entity and minute that crossed the rule; an insert notifies the alert webhook';

-- Record the minutes of the last p_window whose average crossed an enabled rule. Idempotent:
-- a minute already recorded is not recorded again. Returns how many alerts fired.
CREATE FUNCTION public.evaluate_demo_alert_rules(p_window interval DEFAULT '5 minutes')
RETURNS integer LANGUAGE sql AS $$
  WITH fired AS (
    INSERT INTO public.demo_alerts (rule_id, rule_name, entity_id, metric, op, threshold, bucket, value)
    SELECT r.id, r.name, m.entity_id, r.metric, r.op, r.threshold, m.bucket, m.sum / m.count
      FROM public.demo_alert_rules r
      JOIN public.rollups_1m m ON m.stream = r.stream AND m.metric = r.metric
     WHERE r.enabled
       AND m.bucket >= now() - p_window
       AND m.sum IS NOT NULL
       AND CASE r.op WHEN 'above' THEN m.sum / m.count > r.threshold
                     ELSE m.sum / m.count < r.threshold END
    ON CONFLICT (rule_id, entity_id, bucket) DO NOTHING
    RETURNING 1)
  SELECT count(*)::integer FROM fired
$$;
