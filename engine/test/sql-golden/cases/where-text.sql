-- where-text: the text family: like, ilike, similar, regex and their negations
-- role: admin
-- { author(where: { name: { _like: "a%", _nlike: "z%", _ilike: "A%", _nilike: "Z%", _similar: "a%", _nsimilar: "z%", _regex: "^a", _iregex: "^A", _nregex: "^z", _niregex: "^Z" } }) { id } }

SELECT (SELECT coalesce(json_agg(json_build_object('id', "_s1"."id")), '[]') FROM (SELECT "_t0".* FROM "public"."author" AS "_t0" WHERE (("_t0"."name" LIKE $1::text) AND ("_t0"."name" NOT LIKE $2::text) AND ("_t0"."name" ILIKE $3::text) AND ("_t0"."name" NOT ILIKE $4::text) AND ("_t0"."name" SIMILAR TO $5::text) AND ("_t0"."name" NOT SIMILAR TO $6::text) AND ("_t0"."name" ~ $7::text) AND ("_t0"."name" ~* $8::text) AND ("_t0"."name" !~ $9::text) AND ("_t0"."name" !~* $10::text))) AS "_s1")::text AS "c0";
-- parameters: ["a%","z%","A%","Z%","a%","z%","^a","^A","^z","^Z"]
