ALTER TABLE public.panels DROP CONSTRAINT panels_visualization_fkey;
ALTER TABLE public.panels
  ADD CONSTRAINT panels_visualization_check
    CHECK (visualization IN ('line', 'area', 'bar', 'stat', 'table', 'heatmap'));
DROP TABLE public.panel_visualizations;
