-- where-relationship: a condition through an object and an array relationship (EXISTS)
-- role: admin
-- { article(where: { author: { name: { _eq: "ada" } } }) { id } author(where: { articles: { rating: { _gt: 4 } } }) { id } }

SELECT (SELECT coalesce(json_agg(json_build_object('id', "_s2"."id")), '[]') FROM (SELECT "_t0".* FROM "public"."article" AS "_t0" WHERE EXISTS (SELECT 1 FROM "public"."author" AS "_e1" WHERE "_e1"."id" = "_t0"."author_id" AND ("_e1"."name" = $1::text))) AS "_s2")::text AS "c0", (SELECT coalesce(json_agg(json_build_object('id', "_s5"."id")), '[]') FROM (SELECT "_t3".* FROM "public"."author" AS "_t3" WHERE EXISTS (SELECT 1 FROM "public"."article" AS "_e4" WHERE "_e4"."author_id" = "_t3"."id" AND ("_e4"."rating" > $2::integer))) AS "_s5")::text AS "c1";
-- parameters: ["ada",4]
