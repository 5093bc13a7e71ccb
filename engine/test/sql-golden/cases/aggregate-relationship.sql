-- aggregate-relationship: an aggregate of an array relationship, ordered by it
-- role: admin
-- { author(order_by: { articles_aggregate: { count: desc } }) { articles_aggregate { aggregate { count(columns: rating, distinct: true) } } } }

SELECT (SELECT coalesce(json_agg(json_build_object('articles_aggregate', (SELECT json_build_object('aggregate', json_build_object('count', count(DISTINCT "_s4"."rating"))) FROM (SELECT "_t3".* FROM "public"."article" AS "_t3" WHERE "_t3"."author_id" = "_s1"."id") AS "_s4")) ORDER BY "_s1"."__o0" DESC NULLS FIRST), '[]') FROM (SELECT "_t0".*, (SELECT count(*) FROM "public"."article" AS "_o2" WHERE "_o2"."author_id" = "_t0"."id") AS "__o0" FROM "public"."author" AS "_t0" ORDER BY (SELECT count(*) FROM "public"."article" AS "_o2" WHERE "_o2"."author_id" = "_t0"."id") DESC NULLS FIRST) AS "_s1")::text AS "c0";
-- parameters: []
