-- An enum table for the panels' visualisations, as a real Hasura deployment would have it (issue
-- 15.6). The set is fixed by the renderers the page has (web/components/viz), so it is data that
-- changes with a release, not with a stream: Hasura builds the `panel_visualizations_enum` GraphQL
-- enum from its rows (is_enum in metadata) and types panels.visualization by it, so a bad value is
-- refused by GraphQL validation before any SQL runs. The panels CHECK is replaced by a foreign key
-- to it. (Entity kinds stay text: a new stream declares its kind at run time, and an enum's values
-- only change when metadata is reloaded.)
CREATE TABLE public.panel_visualizations (
  value text PRIMARY KEY,
  comment text NOT NULL
);
COMMENT ON TABLE public.panel_visualizations IS 'How a panel draws its series (a Hasura enum table)';
INSERT INTO public.panel_visualizations (value, comment) VALUES
  ('line', 'A line per series'),
  ('area', 'A filled line per series'),
  ('bar', 'A bar per bucket'),
  ('stat', 'The latest value, with a sparkline'),
  ('table', 'The latest value of each series, as a table'),
  ('heatmap', 'One metric across entities, a row per entity');
ALTER TABLE public.panels DROP CONSTRAINT panels_visualization_check;
ALTER TABLE public.panels
  ADD CONSTRAINT panels_visualization_fkey FOREIGN KEY (visualization)
    REFERENCES public.panel_visualizations (value) ON UPDATE CASCADE;
