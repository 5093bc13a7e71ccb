-- where-jsonb: the jsonb family: _contains, _has_key, _has_keys_any, _has_keys_all, _cast
-- role: admin
-- { author(where: { info: { _contains: { lang: "en" }, _has_key: "lang", _has_keys_any: ["lang", "x"], _has_keys_all: ["lang"], _cast: { String: { _ilike: "%en%" } } } }) { id } }

SELECT (SELECT coalesce(json_agg(json_build_object('id', "_s1"."id")), '[]') FROM (SELECT "_t0".* FROM "public"."author" AS "_t0" WHERE ((("_t0"."info")::text ILIKE $1::text) AND ("_t0"."info" @> $2::jsonb) AND ("_t0"."info" ? $3::text) AND ("_t0"."info" ?| $4::text[]) AND ("_t0"."info" ?& $5::text[]))) AS "_s1")::text AS "c0";
-- parameters: ["%en%","{\"lang\":\"en\"}","lang",["lang","x"],["lang"]]
