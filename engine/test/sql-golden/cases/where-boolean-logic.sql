-- where-boolean-logic: _and, _or, _not
-- role: admin
-- { article(where: { _and: [{ _or: [{ rating: { _gt: 4 } }, { _not: { published: { _eq: true } } }] }, { id: { _gt: 0 } }] }) { id } }

SELECT (SELECT coalesce(json_agg(json_build_object('id', "_s1"."id")), '[]') FROM (SELECT "_t0".* FROM "public"."article" AS "_t0" WHERE ((("_t0"."rating" > $1::integer) OR (NOT ("_t0"."published" = $2::boolean))) AND ("_t0"."id" > $3::integer))) AS "_s1")::text AS "c0";
-- parameters: [4,"true",0]
