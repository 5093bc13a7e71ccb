-- object-relationship: a nested object
-- role: admin
-- { article { title author { name } } }

SELECT (SELECT coalesce(json_agg(json_build_object('title', "_s1"."title", 'author', (SELECT json_build_object('name', "_s3"."name") FROM (SELECT "_t2".* FROM "public"."author" AS "_t2" WHERE "_t2"."id" = "_s1"."author_id" LIMIT 1) AS "_s3"))), '[]') FROM (SELECT "_t0".* FROM "public"."article" AS "_t0") AS "_s1")::text AS "c0";
-- parameters: []
