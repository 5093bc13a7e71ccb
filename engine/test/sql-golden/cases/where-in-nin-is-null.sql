-- where-in-nin-is-null: _in and _nin (one array parameter each), _is_null true and false
-- role: admin
-- { article(where: { id: { _in: [1, 2] }, rating: { _nin: [3], _is_null: false }, title: { _is_null: false } }) { id } }

SELECT (SELECT coalesce(json_agg(json_build_object('id', "_s1"."id")), '[]') FROM (SELECT "_t0".* FROM "public"."article" AS "_t0" WHERE (("_t0"."id" = ANY($1::integer[])) AND ("_t0"."title" IS NOT NULL) AND (("_t0"."rating" IS NOT NULL) AND (NOT ("_t0"."rating" = ANY($2::integer[])))))) AS "_s1")::text AS "c0";
-- parameters: [[1,2],[3]]
