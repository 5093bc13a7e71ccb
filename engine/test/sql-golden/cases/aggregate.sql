-- aggregate: count, max, avg and nodes
-- role: admin
-- { article_aggregate(where: { published: { _eq: true } }) { aggregate { count max { rating } avg { rating } } nodes { id } } }

SELECT (SELECT json_build_object('aggregate', json_build_object('count', count(*), 'max', json_build_object('rating', max("_s1"."rating")), 'avg', json_build_object('rating', avg("_s1"."rating"))), 'nodes', coalesce(json_agg(json_build_object('id', "_s1"."id")), '[]')) FROM (SELECT "_t0".* FROM "public"."article" AS "_t0" WHERE ("_t0"."published" = $1::boolean)) AS "_s1")::text AS "c0";
-- parameters: ["true"]
