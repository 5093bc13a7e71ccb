-- insert-with-check: the role's insert check
-- role: user, session: {"x-hasura-user-id":"1"}
-- mutation { insert_author_one(object: { name: "ed" }) { id } }

WITH "_m" AS (INSERT INTO "public"."author" AS "_mt" ("name") VALUES ($1::text) RETURNING *, (("_mt"."name" <> $2::text)) AS "check__constraint") SELECT ((SELECT json_build_object('id', "_s1"."id") FROM (SELECT "_t0".* FROM (SELECT "id", "name", "tags", "info", "created_at" FROM "_m") AS "_t0" LIMIT 1) AS "_s1"))::text AS "out", (SELECT coalesce(bool_and("check__constraint"), true) FROM "_m") AS "ok";
-- parameters: ["ed",""]
