-- where-array: the array family: _contains, _contained_in
-- role: admin
-- { author(where: { tags: { _contains: ["math"], _contained_in: ["math", "art"] } }) { id } }

SELECT (SELECT coalesce(json_agg(json_build_object('id', "_s1"."id")), '[]') FROM (SELECT "_t0".* FROM "public"."author" AS "_t0" WHERE (("_t0"."tags" @> $1::text[]) AND ("_t0"."tags" <@ $2::text[]))) AS "_s1")::text AS "c0";
-- parameters: [["math"],["math","art"]]
