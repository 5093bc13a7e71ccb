-- order-limit-offset: order by two keys with nulls placement, limit, offset
-- role: admin
-- { article(order_by: [{ rating: desc_nulls_last }, { id: asc }], limit: 2, offset: 1) { id } }

SELECT (SELECT coalesce(json_agg(json_build_object('id', "_s1"."id") ORDER BY "_s1"."rating" DESC NULLS LAST, "_s1"."id" ASC NULLS LAST), '[]') FROM (SELECT "_t0".* FROM "public"."article" AS "_t0" ORDER BY "_t0"."rating" DESC NULLS LAST, "_t0"."id" ASC NULLS LAST LIMIT $1::integer OFFSET $2::bigint) AS "_s1")::text AS "c0";
-- parameters: [2,1]
