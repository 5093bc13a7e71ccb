-- where-variable: a variable compared with _eq becomes a parameter
-- role: admin
-- query ($id: Int!) { author(where: { id: { _eq: $id } }) { name } }
-- variables: {"id":2}

SELECT (SELECT coalesce(json_agg(json_build_object('name', "_s1"."name")), '[]') FROM (SELECT "_t0".* FROM "public"."author" AS "_t0" WHERE ("_t0"."id" = $1::integer)) AS "_s1")::text AS "c0";
-- parameters: [2]
