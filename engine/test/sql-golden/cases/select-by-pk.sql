-- select-by-pk: a row by primary key (a literal: a parameter too)
-- role: admin
-- { author_by_pk(id: 1) { name } }

SELECT (SELECT json_build_object('name', "_s1"."name") FROM (SELECT "_t0".* FROM "public"."author" AS "_t0" WHERE ("_t0"."id" = $1::integer) LIMIT 1) AS "_s1")::text AS "c0";
-- parameters: [1]
