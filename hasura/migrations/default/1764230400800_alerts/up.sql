-- Alerts are data. A rule (a row of alert_rules) says: this metric of this stream, for these
-- entities, above or below a threshold for at least so long. The ETL worker evaluates the rules in
-- the transaction that loads the points (one call of alerting.evaluate() per batch), so an alert
-- commits with the point that made it fire. A firing alert is a row of `alerts` (INSERT); when a
-- point clears it, or the rule changes, the same row becomes resolved (UPDATE): the two events a
-- Hasura event trigger on `alerts` turns into notifications. The row's shape is stable: the rule's
-- settings are copied into it when it fires.
CREATE SCHEMA alerting;
COMMENT ON SCHEMA alerting IS 'Alert evaluation: per-series rule state and the function the worker calls';

CREATE TABLE public.alert_rules (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id text CHECK (owner_id IS NULL OR length(owner_id) BETWEEN 1 AND 200),
  -- the panel it was declared on (NULL: declared on its own)
  panel_id uuid REFERENCES public.panels (id) ON DELETE CASCADE,
  name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  stream text NOT NULL CHECK (stream ~ '^[_A-Za-z][_0-9A-Za-z]{0,62}$'),
  metric text NOT NULL CHECK (metric ~ '^[_A-Za-z][_0-9A-Za-z]{0,62}$'),
  op text NOT NULL CHECK (op IN ('above', 'below')),
  threshold double precision NOT NULL
    CHECK (threshold > '-Infinity'::float8 AND threshold < 'Infinity'::float8),
  -- how long (in the series' own time) every point must offend before it fires; 0: at once
  for_seconds integer NOT NULL DEFAULT 0 CHECK (for_seconds BETWEEN 0 AND 604800),
  -- which entities: NULL (all of the stream), a JSON array of ids, and/or attributes to contain
  entity_ids jsonb CHECK (entity_ids IS NULL OR (jsonb_typeof(entity_ids) = 'array'
                                                 AND jsonb_array_length(entity_ids) <= 1000)),
  entity_match jsonb CHECK (entity_match IS NULL OR jsonb_typeof(entity_match) = 'object'),
  enabled boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_rules_stream_idx ON public.alert_rules (stream, metric) WHERE enabled;
CREATE INDEX alert_rules_panel_id_idx ON public.alert_rules (panel_id);
CREATE INDEX alert_rules_owner_id_idx ON public.alert_rules (owner_id);
COMMENT ON TABLE public.alert_rules IS 'Threshold rules: a metric above or below a value for at least for_seconds, per entity';

CREATE TABLE public.alerts (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  rule_id uuid REFERENCES public.alert_rules (id) ON DELETE SET NULL,
  -- the rule as it was when the alert fired
  rule_name text NOT NULL,
  stream text NOT NULL,
  metric text NOT NULL,
  op text NOT NULL,
  threshold double precision NOT NULL,
  for_seconds integer NOT NULL,
  entity_id bigint NOT NULL,
  state text NOT NULL DEFAULT 'firing' CHECK (state IN ('firing', 'resolved')),
  -- event times (the points'): the first offending point, and the one that made it fire
  started_at timestamptz NOT NULL,
  fired_at timestamptz NOT NULL,
  fired_value double precision NOT NULL,
  -- the point that cleared it (or the time the rule changed)
  resolved_at timestamptz,
  resolved_value double precision,
  resolved_reason text CHECK (resolved_reason IN ('cleared', 'rule_changed', 'rule_disabled', 'rule_deleted')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((state = 'firing') = (resolved_at IS NULL))
);
CREATE UNIQUE INDEX alerts_one_firing_per_series ON public.alerts (rule_id, entity_id) WHERE state = 'firing';
CREATE INDEX alerts_state_fired_at_idx ON public.alerts (state, fired_at DESC);
CREATE INDEX alerts_rule_id_idx ON public.alerts (rule_id, fired_at DESC);
COMMENT ON TABLE public.alerts IS 'Alerts: inserted firing, updated once to resolved; the rule is copied in when it fires';
COMMENT ON COLUMN public.alerts.fired_at IS 'Time of the point that made it fire (started_at + for_seconds or later)';
COMMENT ON COLUMN public.alerts.resolved_reason IS 'cleared (a point back within the threshold), or the rule changed, was disabled or deleted';

-- Where each (rule, entity) stands: offending since when, the newest point seen, the firing alert.
CREATE TABLE alerting.rule_state (
  rule_id uuid NOT NULL REFERENCES public.alert_rules (id) ON DELETE CASCADE,
  entity_id bigint NOT NULL,
  pending_since timestamptz,
  last_ts timestamptz NOT NULL,
  alert_id bigint,
  PRIMARY KEY (rule_id, entity_id)
);
COMMENT ON TABLE alerting.rule_state IS 'Per (rule, entity): offending since, newest point evaluated, the firing alert';

-- Evaluate the points of one batch (parallel arrays; times in µs since the epoch) against every
-- enabled rule that matches them. Points are taken per series in time order; a point no newer than
-- the newest one already evaluated for that series is skipped (a redelivery, or a late point: the
-- state has moved past it). Returns how many alerts fired or resolved.
CREATE FUNCTION alerting.evaluate(p_streams text[], p_entity_ids bigint[], p_ts_us bigint[],
                                  p_metrics text[], p_values double precision[])
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  pt record;
  cur_rule uuid;
  cur_entity bigint;
  st_pending timestamptz;
  st_last timestamptz;
  st_alert bigint;
  offending boolean;
  changed integer := 0;
BEGIN
  FOR pt IN
    SELECT r.id AS rule_id, r.name, r.op, r.threshold, r.for_seconds, r.stream, r.metric,
           p.entity_id, timestamptz 'epoch' + p.ts_us * interval '1 microsecond' AS ts, p.value
      FROM unnest(p_streams, p_entity_ids, p_ts_us, p_metrics, p_values)
             AS p(stream, entity_id, ts_us, metric, value)
      JOIN public.alert_rules r
        ON r.enabled AND r.stream = p.stream AND r.metric = p.metric
     WHERE p.value IS NOT NULL AND p.value = p.value
       AND (r.entity_ids IS NULL OR r.entity_ids @> to_jsonb(p.entity_id))
       AND (r.entity_match IS NULL OR EXISTS (
             SELECT 1 FROM public.entities e
              WHERE e.id = p.entity_id AND e.attributes @> r.entity_match))
     -- series in key order: concurrent batches lock state rows in the same order
     ORDER BY r.id, p.entity_id, p.ts_us
  LOOP
    IF cur_rule IS DISTINCT FROM pt.rule_id OR cur_entity IS DISTINCT FROM pt.entity_id THEN
      IF cur_rule IS NOT NULL AND st_last IS NOT NULL THEN
        INSERT INTO alerting.rule_state AS s (rule_id, entity_id, pending_since, last_ts, alert_id)
        VALUES (cur_rule, cur_entity, st_pending, st_last, st_alert)
        ON CONFLICT (rule_id, entity_id) DO UPDATE
          SET pending_since = EXCLUDED.pending_since, last_ts = EXCLUDED.last_ts,
              alert_id = EXCLUDED.alert_id;
      END IF;
      cur_rule := pt.rule_id;
      cur_entity := pt.entity_id;
      st_pending := NULL;
      st_last := NULL;
      st_alert := NULL;
      SELECT s.pending_since, s.last_ts, s.alert_id INTO st_pending, st_last, st_alert
        FROM alerting.rule_state s
       WHERE s.rule_id = cur_rule AND s.entity_id = cur_entity
         FOR UPDATE;
    END IF;
    CONTINUE WHEN st_last IS NOT NULL AND pt.ts <= st_last;
    offending := CASE pt.op WHEN 'above' THEN pt.value > pt.threshold ELSE pt.value < pt.threshold END;
    IF offending THEN
      st_pending := coalesce(st_pending, pt.ts);
      IF st_alert IS NULL AND pt.ts - st_pending >= make_interval(secs => pt.for_seconds) THEN
        INSERT INTO public.alerts (rule_id, rule_name, stream, metric, op, threshold, for_seconds,
                                   entity_id, started_at, fired_at, fired_value)
        VALUES (pt.rule_id, pt.name, pt.stream, pt.metric, pt.op, pt.threshold, pt.for_seconds,
                pt.entity_id, st_pending, pt.ts, pt.value)
        RETURNING id INTO st_alert;
        changed := changed + 1;
      END IF;
    ELSE
      st_pending := NULL;
      IF st_alert IS NOT NULL THEN
        UPDATE public.alerts
           SET state = 'resolved', resolved_at = pt.ts, resolved_value = pt.value,
               resolved_reason = 'cleared', updated_at = now()
         WHERE id = st_alert AND state = 'firing';
        st_alert := NULL;
        changed := changed + 1;
      END IF;
    END IF;
    st_last := pt.ts;
  END LOOP;
  IF cur_rule IS NOT NULL AND st_last IS NOT NULL THEN
    INSERT INTO alerting.rule_state AS s (rule_id, entity_id, pending_since, last_ts, alert_id)
    VALUES (cur_rule, cur_entity, st_pending, st_last, st_alert)
    ON CONFLICT (rule_id, entity_id) DO UPDATE
      SET pending_since = EXCLUDED.pending_since, last_ts = EXCLUDED.last_ts,
          alert_id = EXCLUDED.alert_id;
  END IF;
  RETURN changed;
END
$$;
COMMENT ON FUNCTION alerting.evaluate(text[], bigint[], bigint[], text[], double precision[]) IS
  'Evaluate a batch of points (stream, entity, µs, metric, value) against the enabled alert rules';

-- A rule that changes what it means (or is disabled or deleted) resolves its firing alerts and
-- starts over; a rename does not.
CREATE FUNCTION alerting.rule_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  reason text;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    NEW.updated_at := now();
    IF (NEW.stream, NEW.metric, NEW.op, NEW.threshold, NEW.for_seconds, NEW.entity_ids,
        NEW.entity_match, NEW.enabled)
       IS NOT DISTINCT FROM
       (OLD.stream, OLD.metric, OLD.op, OLD.threshold, OLD.for_seconds, OLD.entity_ids,
        OLD.entity_match, OLD.enabled) THEN
      RETURN NEW;
    END IF;
    reason := CASE WHEN NOT NEW.enabled THEN 'rule_disabled' ELSE 'rule_changed' END;
  ELSE
    reason := 'rule_deleted';
  END IF;
  UPDATE public.alerts
     SET state = 'resolved', resolved_at = now(), resolved_reason = reason, updated_at = now()
   WHERE rule_id = OLD.id AND state = 'firing';
  DELETE FROM alerting.rule_state WHERE rule_id = OLD.id;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER alert_rules_changed BEFORE UPDATE OR DELETE ON public.alert_rules
  FOR EACH ROW EXECUTE FUNCTION alerting.rule_changed();

-- Tell the workers their rule set changed (they keep which (stream, metric) pairs have rules).
CREATE FUNCTION alerting.rules_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('streamsync_alert_rules', TG_OP);
  RETURN NULL;
END
$$;
CREATE TRIGGER alert_rules_notify AFTER INSERT OR UPDATE OR DELETE ON public.alert_rules
  FOR EACH STATEMENT EXECUTE FUNCTION alerting.rules_notify();
