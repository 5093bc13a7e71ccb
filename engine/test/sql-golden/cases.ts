/**
 * The SQL golden cases (generate.ts): small requests that each exercise one part of the
 * translator — selection, each operator family in `where`, relationships, aggregates,
 * ordering and paging, permission filters with session variables, and mutations.
 */
export interface GoldenCase {
  /** file name in cases/ */
  name: string;
  about: string;
  query: string;
  variables?: Record<string, unknown>;
  /** default admin */
  role?: string;
  /** session variables besides x-hasura-role */
  session?: Record<string, string>;
  /** a mutation: the integration check runs it in a transaction it rolls back */
  mutation?: true;
  /** asked on /v1beta1/relay: the role's Relay schema */
  relay?: true;
}

const USER = { role: 'user', session: { 'x-hasura-user-id': '1' } };

export const GOLDEN_CASES: GoldenCase[] = [
  { name: 'select-columns', about: 'columns of every row', query: '{ author { id name } }' },
  {
    name: 'select-by-pk',
    about: 'a row by primary key (a literal: a parameter too)',
    query: '{ author_by_pk(id: 1) { name } }',
  },
  {
    name: 'where-variable',
    about: 'a variable compared with _eq becomes a parameter',
    query: 'query ($id: Int!) { author(where: { id: { _eq: $id } }) { name } }',
    variables: { id: 2 },
  },
  {
    name: 'where-comparison',
    about: '_gt, _lte, _neq, _gte, _lt',
    query:
      '{ article(where: { rating: { _gt: 1, _lte: 5, _neq: 3 }, id: { _gte: 1, _lt: 100 } }) { id } }',
  },
  {
    name: 'where-in-nin-is-null',
    about: '_in and _nin (one array parameter each), _is_null true and false',
    query:
      '{ article(where: { id: { _in: [1, 2] }, rating: { _nin: [3], _is_null: false }, title: { _is_null: false } }) { id } }',
  },
  {
    name: 'where-text',
    about: 'the text family: like, ilike, similar, regex and their negations',
    query:
      '{ author(where: { name: { _like: "a%", _nlike: "z%", _ilike: "A%", _nilike: "Z%", _similar: "a%", _nsimilar: "z%", _regex: "^a", _iregex: "^A", _nregex: "^z", _niregex: "^Z" } }) { id } }',
  },
  {
    name: 'where-array',
    about: 'the array family: _contains, _contained_in',
    query:
      '{ author(where: { tags: { _contains: ["math"], _contained_in: ["math", "art"] } }) { id } }',
  },
  {
    name: 'where-jsonb',
    about: 'the jsonb family: _contains, _has_key, _has_keys_any, _has_keys_all, _cast',
    query:
      '{ author(where: { info: { _contains: { lang: "en" }, _has_key: "lang", _has_keys_any: ["lang", "x"], _has_keys_all: ["lang"], _cast: { String: { _ilike: "%en%" } } } }) { id } }',
  },
  {
    name: 'where-boolean-logic',
    about: '_and, _or, _not',
    query:
      '{ article(where: { _and: [{ _or: [{ rating: { _gt: 4 } }, { _not: { published: { _eq: true } } }] }, { id: { _gt: 0 } }] }) { id } }',
  },
  {
    name: 'where-relationship',
    about: 'a condition through an object and an array relationship (EXISTS)',
    query:
      '{ article(where: { author: { name: { _eq: "ada" } } }) { id } author(where: { articles: { rating: { _gt: 4 } } }) { id } }',
  },
  {
    name: 'object-relationship',
    about: 'a nested object',
    query: '{ article { title author { name } } }',
  },
  {
    name: 'array-relationship',
    about: 'a nested array with its own order and limit',
    query: '{ author { name articles(order_by: { rating: desc }, limit: 1) { title } } }',
  },
  {
    name: 'aggregate',
    about: 'count, max, avg and nodes',
    query:
      '{ article_aggregate(where: { published: { _eq: true } }) { aggregate { count max { rating } avg { rating } } nodes { id } } }',
  },
  {
    name: 'aggregate-relationship',
    about: 'an aggregate of an array relationship, ordered by it',
    query:
      '{ author(order_by: { articles_aggregate: { count: desc } }) { articles_aggregate { aggregate { count(columns: rating, distinct: true) } } } }',
  },
  {
    name: 'order-limit-offset',
    about: 'order by two keys with nulls placement, limit, offset',
    query:
      '{ article(order_by: [{ rating: desc_nulls_last }, { id: asc }], limit: 2, offset: 1) { id } }',
  },
  {
    name: 'distinct-on',
    about: 'distinct_on with its order',
    query: '{ article(distinct_on: author_id, order_by: { author_id: asc }) { id } }',
  },
  {
    name: 'permission-filter',
    about: "the role's filter with a session variable, and its row limit",
    query: '{ article(where: { rating: { _gt: 1 } }) { id title } }',
    ...USER,
  },
  {
    name: 'permission-filter-nested',
    about: "the target's filter applies inside a relationship",
    query: '{ author { name articles { id } } }',
    ...USER,
  },
  {
    name: 'inherited-role-cells',
    about:
      'an inherited role (user + reviewer): rows the OR of both filters; rating, which only user grants, read, filtered, ordered and summed only where user allows the row',
    query:
      '{ article(where: { rating: { _gt: 1 } }, order_by: { rating: desc }) { id title rating } article_aggregate { aggregate { sum { rating } } } }',
    role: 'user_reviewer',
    session: { 'x-hasura-user-id': '1' },
  },
  {
    name: 'insert',
    about: 'insert with affected_rows and returning',
    query:
      'mutation { insert_author(objects: [{ name: "cy", tags: ["x"] }, { name: "di" }]) { affected_rows returning { id name } } }',
    mutation: true,
  },
  {
    name: 'insert-with-check',
    about: "the role's insert check",
    query: 'mutation { insert_author_one(object: { name: "ed" }) { id } }',
    ...USER,
    mutation: true,
  },
  {
    name: 'update',
    about: "_set and _inc under the role's filter and check",
    query:
      'mutation { update_article(where: { id: { _eq: 1 } }, _set: { title: "t" }, _inc: { rating: 1 }) { affected_rows } }',
    ...USER,
    mutation: true,
  },
  {
    name: 'delete',
    about: "delete by primary key under the role's filter",
    query: 'mutation { delete_article_by_pk(id: 2) { id } }',
    ...USER,
    mutation: true,
  },
  {
    name: 'relay-connection',
    about:
      "Relay: the last 2 rows before a cursor in order_by then primary-key order, the role's filter, pageInfo",
    query:
      'query ($before: String) { article_connection(order_by: { rating: desc }, last: 2, before: $before) { pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id title author { name } } } } }',
    variables: { before: Buffer.from('{"rating" : 2, "id" : 2}').toString('base64') },
    ...USER,
    relay: true,
  },
  {
    name: 'relay-node',
    about: "Relay: node(id:) reads the row the global id names under the role's filter",
    query: `{ node(id: "${Buffer.from('[1, "public", "article", 2]').toString('base64')}") { id ... on article { title } } }`,
    ...USER,
    relay: true,
  },
];
