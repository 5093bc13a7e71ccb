-- delete: delete by primary key under the role's filter
-- role: user, session: {"x-hasura-user-id":"1"}
-- mutation { delete_article_by_pk(id: 2) { id } }

WITH "_m" AS (DELETE FROM "public"."article" AS "_mt" WHERE ("_mt"."author_id" = $1::integer) AND ("_mt"."id" = $2::integer) RETURNING *, true AS "check__constraint") SELECT ((SELECT json_build_object('id', "_s1"."id") FROM (SELECT "_t0".* FROM (SELECT "id", "author_id", "title", "rating", "published" FROM "_m") AS "_t0" LIMIT 1) AS "_s1"))::text AS "out", (SELECT coalesce(bool_and("check__constraint"), true) FROM "_m") AS "ok";
-- parameters: ["1",2]
