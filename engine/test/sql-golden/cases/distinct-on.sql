-- distinct-on: distinct_on with its order
-- role: admin
-- { article(distinct_on: author_id, order_by: { author_id: asc }) { id } }

SELECT (SELECT coalesce(json_agg(json_build_object('id', "_s1"."id") ORDER BY "_s1"."author_id" ASC NULLS LAST), '[]') FROM (SELECT DISTINCT ON ("_t0"."author_id") "_t0".* FROM "public"."article" AS "_t0" ORDER BY "_t0"."author_id" ASC NULLS LAST) AS "_s1")::text AS "c0";
-- parameters: []
