DROP TRIGGER panels_touch ON public.panels;
DROP TRIGGER dashboards_touch ON public.dashboards;
DROP FUNCTION public.dashboards_touch();
DROP TABLE public.panels;
DROP TABLE public.dashboards;
