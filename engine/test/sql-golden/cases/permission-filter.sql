-- permission-filter: the role's filter with a session variable, and its row limit
-- role: user, session: {"x-hasura-user-id":"1"}
-- { article(where: { rating: { _gt: 1 } }) { id title } }

SELECT (SELECT coalesce(json_agg(json_build_object('id', "_s1"."id", 'title', "_s1"."title")), '[]') FROM (SELECT "_t0".* FROM "public"."article" AS "_t0" WHERE (("_t0"."published" = $1::boolean) OR ("_t0"."author_id" = $2::integer)) AND ("_t0"."rating" > $3::integer) LIMIT $4::integer) AS "_s1")::text AS "c0";
-- parameters: ["true","1",1,10]
