-- Dashboards are data: a dashboard is a row, its panels are rows, and the page creates and edits
-- them through GraphQL mutations under the `user` role (hasura/metadata has the permissions: a
-- user sees and edits their own, anyone may read a shared one, viewer reads the shared ones).
-- A dashboard with no owner is one the seeds made (the default dashboard of a stream): read-only
-- for everybody, copied by a user who wants to change it.
CREATE TABLE public.dashboards (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id text CHECK (owner_id IS NULL OR length(owner_id) BETWEEN 1 AND 200),
  title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
  shared boolean NOT NULL DEFAULT false,
  -- set on a stream's default dashboard (seeds): the stream's table name
  stream text CHECK (stream IS NULL OR stream ~ '^[_A-Za-z][_0-9A-Za-z]{0,62}$'),
  -- the time range it opens on, as the URL writes it: now-6h … now, or epoch milliseconds
  time_from text NOT NULL DEFAULT 'now-1h' CHECK (time_from ~ '^(now(-[0-9]{1,6}[smhdw])?|[0-9]{10,16})$'),
  time_to text NOT NULL DEFAULT 'now' CHECK (time_to ~ '^(now(-[0-9]{1,6}[smhdw])?|[0-9]{10,16})$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  version integer NOT NULL DEFAULT 1
);
CREATE INDEX dashboards_owner_id_idx ON public.dashboards (owner_id);
CREATE UNIQUE INDEX dashboards_default_of_stream ON public.dashboards (stream) WHERE owner_id IS NULL;
COMMENT ON TABLE public.dashboards IS 'Dashboards: a titled set of panels with the time range it opens on';
COMMENT ON COLUMN public.dashboards.owner_id IS 'The user (X-Hasura-User-Id) that may edit it; NULL for the seeded defaults';
COMMENT ON COLUMN public.dashboards.shared IS 'Readable by every user and by viewer (read-only)';
COMMENT ON COLUMN public.dashboards.stream IS 'The stream this is the default dashboard of (seeded ones only)';

-- A panel: what to read (stream, metrics, entities), how (bucket width or raw points, the
-- aggregate of a bucket) and how to draw it.
CREATE TABLE public.panels (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  dashboard_id uuid NOT NULL REFERENCES public.dashboards (id) ON DELETE CASCADE,
  position integer NOT NULL DEFAULT 0 CHECK (position BETWEEN 0 AND 10000),
  title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
  -- GraphQL names, checked again by the page before they go into a document
  stream text NOT NULL CHECK (stream ~ '^[_A-Za-z][_0-9A-Za-z]{0,62}$'),
  metrics jsonb NOT NULL CHECK (jsonb_typeof(metrics) = 'array'
                                AND jsonb_array_length(metrics) BETWEEN 1 AND 8),
  -- {"mode": "all"} | {"mode": "ids", "ids": [1, 2]} | {"mode": "match", "match": {"site": "north"}}
  -- | {"mode": "dashboard"} (the entities picked on the dashboard, in its URL)
  entities jsonb NOT NULL DEFAULT '{"mode": "dashboard"}'
    CHECK (jsonb_typeof(entities) = 'object'
           AND entities ->> 'mode' IN ('all', 'ids', 'match', 'dashboard')),
  bucket text NOT NULL DEFAULT 'auto'
    CHECK (bucket IN ('auto', 'raw', '1m', '5m', '15m', '1h', '6h', '1d')),
  aggregate text NOT NULL DEFAULT 'avg'
    CHECK (aggregate IN ('avg', 'min', 'max', 'sum', 'count', 'last')),
  visualization text NOT NULL DEFAULT 'line'
    CHECK (visualization IN ('line', 'area', 'bar', 'stat', 'table', 'heatmap')),
  -- columns of a 12-column grid
  width integer NOT NULL DEFAULT 6 CHECK (width IN (3, 4, 6, 8, 12)),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX panels_dashboard_id_idx ON public.panels (dashboard_id, position);
COMMENT ON TABLE public.panels IS 'Panels of a dashboard: stream, metrics, entities, bucket, aggregate, visualization';
COMMENT ON COLUMN public.panels.entities IS 'Which series: {"mode": "all" | "ids" (ids) | "match" (attributes) | "dashboard"}';
COMMENT ON COLUMN public.panels.bucket IS 'auto (from the time range), raw (every point) or a bucket width';

CREATE FUNCTION public.dashboards_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  IF TG_TABLE_NAME = 'dashboards' THEN
    NEW.version := OLD.version + 1;
  END IF;
  RETURN NEW;
END
$$;
CREATE TRIGGER dashboards_touch BEFORE UPDATE ON public.dashboards
  FOR EACH ROW EXECUTE FUNCTION public.dashboards_touch();
CREATE TRIGGER panels_touch BEFORE UPDATE ON public.panels
  FOR EACH ROW EXECUTE FUNCTION public.dashboards_touch();
