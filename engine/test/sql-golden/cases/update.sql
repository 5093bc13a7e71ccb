-- update: _set and _inc under the role's filter and check
-- role: user, session: {"x-hasura-user-id":"1"}
-- mutation { update_article(where: { id: { _eq: 1 } }, _set: { title: "t" }, _inc: { rating: 1 }) { affected_rows } }

WITH "_m" AS (UPDATE "public"."article" AS "_mt" SET "title" = $1::text, "rating" = "_mt"."rating" + $2::integer WHERE ("_mt"."author_id" = $3::integer) AND ("_mt"."id" = $4::integer) RETURNING *, (("_mt"."rating" >= $5::integer)) AS "check__constraint") SELECT (json_build_object('affected_rows', (SELECT count(*) FROM "_m")::integer))::text AS "out", (SELECT coalesce(bool_and("check__constraint"), true) FROM "_m") AS "ok";
-- parameters: ["t",1,"1",1,0]
