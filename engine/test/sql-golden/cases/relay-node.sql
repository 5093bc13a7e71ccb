-- relay-node: Relay: node(id:) reads the row the global id names under the role's filter
-- role: user, session: {"x-hasura-user-id":"1"}
-- { node(id: "WzEsICJwdWJsaWMiLCAiYXJ0aWNsZSIsIDJd") { id ... on article { title } } }

SELECT (SELECT json_build_object('id', replace(encode(convert_to((json_build_array($1::integer, $2::text, $3::text, "_s1"."id"))::text, 'UTF8'), 'base64'), chr(10), ''), 'title', "_s1"."title") FROM (SELECT "_t0".* FROM "public"."article" AS "_t0" WHERE (("_t0"."published" = $4::boolean) OR ("_t0"."author_id" = $5::integer)) AND ("_t0"."id" = $6::integer) LIMIT 1) AS "_s1")::text AS "c0";
-- parameters: [1,"public","article","true","1",2]
