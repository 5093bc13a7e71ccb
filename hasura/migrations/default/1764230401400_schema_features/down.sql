DROP FUNCTION public.entity_latest_values(public.entities);
