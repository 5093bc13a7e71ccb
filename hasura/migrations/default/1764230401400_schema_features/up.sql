-- A table-returning computed field, entities.latest_values: each series' latest value of an
-- entity, one rollups_1m row per (stream, metric), the newest minute of the last day. The rollups'
-- select permission applies to the rows it returns, so a user sees only their entities'. The
-- engine and real Hasura serve it from the same metadata (public_entities.yaml).
CREATE FUNCTION public.entity_latest_values(entity public.entities)
RETURNS SETOF public.rollups_1m
LANGUAGE sql STABLE AS $$
  SELECT DISTINCT ON (r.stream, r.metric) r.*
  FROM public.rollups_1m r
  WHERE r.entity_id = entity.id AND r.bucket >= now() - interval '1 day'
  ORDER BY r.stream, r.metric, r.bucket DESC
$$;
COMMENT ON FUNCTION public.entity_latest_values(public.entities) IS
  'The newest minute of each series (stream, metric) of an entity over the last day';
