-- insert: insert with affected_rows and returning
-- role: admin
-- mutation { insert_author(objects: [{ name: "cy", tags: ["x"] }, { name: "di" }]) { affected_rows returning { id name } } }

WITH "_m" AS (INSERT INTO "public"."author" AS "_mt" ("name", "tags") VALUES ($1::text, $2::text[]), ($3::text, DEFAULT) RETURNING *, (true) AS "check__constraint") SELECT (json_build_object('affected_rows', (SELECT count(*) FROM "_m")::integer, 'returning', (SELECT coalesce(json_agg(json_build_object('id', "_s1"."id", 'name', "_s1"."name")), '[]') FROM (SELECT "_t0".* FROM (SELECT "id", "name", "tags", "info", "created_at" FROM "_m") AS "_t0") AS "_s1")))::text AS "out", (SELECT coalesce(bool_and("check__constraint"), true) FROM "_m") AS "ok";
-- parameters: ["cy",["x"],"di"]
