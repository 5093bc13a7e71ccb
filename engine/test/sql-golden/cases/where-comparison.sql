-- where-comparison: _gt, _lte, _neq, _gte, _lt
-- role: admin
-- { article(where: { rating: { _gt: 1, _lte: 5, _neq: 3 }, id: { _gte: 1, _lt: 100 } }) { id } }

SELECT (SELECT coalesce(json_agg(json_build_object('id', "_s1"."id")), '[]') FROM (SELECT "_t0".* FROM "public"."article" AS "_t0" WHERE ((("_t0"."id" >= $1::integer) AND ("_t0"."id" < $2::integer)) AND (("_t0"."rating" > $3::integer) AND ("_t0"."rating" <= $4::integer) AND ("_t0"."rating" <> $5::integer)))) AS "_s1")::text AS "c0";
-- parameters: [1,100,1,5,3]
