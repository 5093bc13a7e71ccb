-- array-relationship: a nested array with its own order and limit
-- role: admin
-- { author { name articles(order_by: { rating: desc }, limit: 1) { title } } }

SELECT (SELECT coalesce(json_agg(json_build_object('name', "_s1"."name", 'articles', (SELECT coalesce(json_agg(json_build_object('title', "_s3"."title") ORDER BY "_s3"."rating" DESC NULLS FIRST), '[]') FROM (SELECT "_t2".* FROM "public"."article" AS "_t2" WHERE "_t2"."author_id" = "_s1"."id" ORDER BY "_t2"."rating" DESC NULLS FIRST LIMIT $1::integer) AS "_s3"))), '[]') FROM (SELECT "_t0".* FROM "public"."author" AS "_t0") AS "_s1")::text AS "c0";
-- parameters: [1]
