-- select-columns: columns of every row
-- role: admin
-- { author { id name } }

SELECT (SELECT coalesce(json_agg(json_build_object('id', "_s1"."id", 'name', "_s1"."name")), '[]') FROM (SELECT "_t0".* FROM "public"."author" AS "_t0") AS "_s1")::text AS "c0";
-- parameters: []
