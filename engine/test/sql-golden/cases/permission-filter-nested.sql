-- permission-filter-nested: the target's filter applies inside a relationship
-- role: user, session: {"x-hasura-user-id":"1"}
-- { author { name articles { id } } }

SELECT (SELECT coalesce(json_agg(json_build_object('name', "_s1"."name", 'articles', (SELECT coalesce(json_agg(json_build_object('id', "_s3"."id")), '[]') FROM (SELECT "_t2".* FROM "public"."article" AS "_t2" WHERE "_t2"."author_id" = "_s1"."id" AND (("_t2"."published" = $1::boolean) OR ("_t2"."author_id" = $2::integer)) LIMIT $3::integer) AS "_s3"))), '[]') FROM (SELECT "_t0".* FROM "public"."author" AS "_t0") AS "_s1")::text AS "c0";
-- parameters: ["true","1",10]
