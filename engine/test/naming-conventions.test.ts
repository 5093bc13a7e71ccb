/**
 * Hasura's naming conventions over a real Postgres: with the experimental feature
 * `naming_convention`, a source customized `graphql-default` (or left to
 * HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION) is served with camelCase fields and arguments,
 * PascalCase types and upper-case enum values — queries, aggregates, mutations, subscriptions and
 * introspection alike — while the SQL still reads and writes the snake_case columns and the enum
 * table's own values. Without the feature the setting is ignored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { api, gql, metadata, runSql, startTestEngine } from './helpers.ts';
import { RawClient, wsUrl } from './live-helpers.ts';

const FEATURE = { HASURA_GRAPHQL_EXPERIMENTAL_FEATURES: 'naming_convention' };

const SETUP = `
  CREATE TABLE days_of_the_week (day_name text PRIMARY KEY);
  INSERT INTO days_of_the_week VALUES ('Monday'), ('Sunday'), ('Friday');
  CREATE TABLE author_local (id serial PRIMARY KEY, author_name text UNIQUE, rating integer);
  CREATE TABLE article_local (id serial PRIMARY KEY,
    author_id integer NOT NULL REFERENCES author_local(id), title text,
    publish_day text REFERENCES days_of_the_week);
  INSERT INTO author_local (author_name, rating) VALUES ('Author 1', 4), ('Author 2', NULL);
  INSERT INTO article_local (author_id, title, publish_day) VALUES
    (1, 'Article 1', 'Sunday'), (1, 'Article 2', 'Monday'), (2, 'New Article 1', 'Sunday');`;

/** The default source with this customization, and the tables of SETUP tracked. */
function sourceMetadata(customization?: Record<string, unknown>): unknown {
  const table = (name: string, extra: Record<string, unknown> = {}) => ({
    table: { schema: 'public', name },
    ...extra,
  });
  return {
    type: 'replace_metadata',
    args: {
      version: 3,
      sources: [
        {
          name: 'default',
          kind: 'postgres',
          configuration: { connection_info: { database_url: { from_env: 'PG_DATABASE_URL' } } },
          ...(customization ? { customization } : {}),
          tables: [
            table('days_of_the_week', { is_enum: true }),
            table('author_local', {
              array_relationships: [
                {
                  name: 'articles',
                  using: {
                    foreign_key_constraint_on: { table: 'article_local', column: 'author_id' },
                  },
                },
              ],
            }),
            table('article_local', {
              object_relationships: [
                { name: 'author', using: { foreign_key_constraint_on: 'author_id' } },
              ],
            }),
          ],
        },
      ],
    },
  };
}

async function setUp(db: TestDatabase, env: Record<string, string>, customization?: object) {
  const engine = await startTestEngine(db, env);
  await runSql(engine, SETUP);
  await metadata(engine, sourceMetadata(customization as Record<string, unknown>));
  return engine;
}

describe('graphql-default on a source', () => {
  let db: TestDatabase;
  let engine: RunningEngine;

  beforeAll(async () => {
    db = await createTestDatabase({ prefix: 'engine_naming' });
    engine = await setUp(db, FEATURE, { naming_convention: 'graphql-default' });
  });

  afterAll(async () => {
    await engine?.close();
    await db?.drop();
  });

  it('should answer camelCase root fields with PascalCase typenames and camelCase columns', async () => {
    const r = await gql(
      engine,
      `{ authorLocal(orderBy: {id: ASC}, where: {authorName: {_eq: "Author 1"}}) {
           id authorName __typename articles(orderBy: {id: DESC}) { title publishDay }
         }
         authorLocalByPk(id: 2) { authorName rating __typename }
         articleLocalAggregate(where: {authorId: {_eq: 1}}) {
           __typename aggregate { __typename count max { id __typename } stddevPop { id } }
         } }`,
    );
    expect(r).toEqual({
      data: {
        authorLocal: [
          {
            id: 1,
            authorName: 'Author 1',
            __typename: 'AuthorLocal',
            articles: [
              { title: 'Article 2', publishDay: 'MONDAY' },
              { title: 'Article 1', publishDay: 'SUNDAY' },
            ],
          },
        ],
        authorLocalByPk: { authorName: 'Author 2', rating: null, __typename: 'AuthorLocal' },
        articleLocalAggregate: {
          __typename: 'ArticleLocalAggregate',
          aggregate: {
            __typename: 'ArticleLocalAggregateFields',
            count: 2,
            max: { id: 2, __typename: 'ArticleLocalMaxFields' },
            stddevPop: { id: 0.5 },
          },
        },
      },
    });
  });

  it('should read upper-case order_by values, distinctOn, _isNull and relationship aggregates', async () => {
    const r = await gql(
      engine,
      `{ authorLocal(orderBy: {rating: ASC_NULLS_FIRST}, where: {rating: {_isNull: false}}) { id }
         a: authorLocal(orderBy: {articlesAggregate: {count: DESC}}) { id articlesAggregate { aggregate { count } } }
         articleLocal(distinctOn: [authorId], orderBy: [{authorId: ASC}, {id: DESC}]) { id }
         b: authorLocal(where: {articlesAggregate: {count: {predicate: {_gt: 1}}}}) { id } }`,
    );
    expect(r).toEqual({
      data: {
        authorLocal: [{ id: 1 }],
        a: [
          { id: 1, articlesAggregate: { aggregate: { count: 2 } } },
          { id: 2, articlesAggregate: { aggregate: { count: 1 } } },
        ],
        articleLocal: [{ id: 2 }, { id: 3 }],
        b: [{ id: 1 }],
      },
    });
  });

  it('should name types, arguments and enum values in introspection', async () => {
    const r = await gql(
      engine,
      `{ days: __type(name: "DaysOfTheWeekEnum") { enumValues { name } }
         order: __type(name: "OrderBy") { enumValues { name } }
         cmp: __type(name: "StringComparisonExp") { inputFields { name } }
         root: __type(name: "query_root") { fields { name args { name } } }
         mut: __type(name: "mutation_root") { fields { name args { name } } }
         resp: __type(name: "AuthorLocalMutationResponse") { fields { name } } }`,
    );
    const data = r.data as Record<string, { enumValues?: unknown; inputFields?: unknown }> & {
      root: { fields: Array<{ name: string; args: Array<{ name: string }> }> };
      mut: { fields: Array<{ name: string; args: Array<{ name: string }> }> };
      resp: { fields: Array<{ name: string }> };
    };
    expect(data.days!.enumValues).toEqual([
      { name: 'FRIDAY' },
      { name: 'MONDAY' },
      { name: 'SUNDAY' },
    ]);
    expect(data.order!.enumValues).toEqual(
      [
        'ASC',
        'ASC_NULLS_FIRST',
        'ASC_NULLS_LAST',
        'DESC',
        'DESC_NULLS_FIRST',
        'DESC_NULLS_LAST',
      ].map((name) => ({ name })),
    );
    const cmp = (data.cmp!.inputFields as Array<{ name: string }>).map((f) => f.name);
    expect(cmp).toContain('_eq');
    expect(cmp).toContain('_isNull');
    expect(cmp).not.toContain('_is_null');
    const root = new Map(data.root.fields.map((f) => [f.name, f.args.map((a) => a.name)]));
    expect([...root.keys()].sort()).toEqual([
      'articleLocal',
      'articleLocalAggregate',
      'articleLocalByPk',
      'authorLocal',
      'authorLocalAggregate',
      'authorLocalByPk',
      'daysOfTheWeek',
      'daysOfTheWeekAggregate',
      'daysOfTheWeekByPk',
    ]);
    expect(root.get('authorLocal')).toEqual(['distinctOn', 'limit', 'offset', 'orderBy', 'where']);
    const mut = new Map(data.mut.fields.map((f) => [f.name, f.args.map((a) => a.name)]));
    expect(mut.get('insertAuthorLocal')).toEqual(['objects', 'onConflict']);
    expect(mut.get('updateAuthorLocalByPk')).toEqual(['_inc', '_set', 'pkColumns']);
    expect(mut.has('updateAuthorLocalMany')).toBe(true);
    expect(data.resp.fields.map((f) => f.name)).toEqual(['affectedRows', 'returning']);
  });

  it('should run mutations with converted names and enum values', async () => {
    const r = await gql(
      engine,
      `mutation {
         insertAuthorLocalOne(object: {authorName: "Author 3", rating: 1},
           onConflict: {constraint: author_local_author_name_key, updateColumns: [rating]}) {
           id authorName __typename
         }
         insertArticleLocal(objects: [{authorId: 2, title: "x", publishDay: FRIDAY}]) {
           affectedRows returning { publishDay author { authorName } }
         }
         updateAuthorLocalByPk(pkColumns: {id: 2}, _inc: {rating: 1}, _set: {authorName: "Two"}) {
           rating authorName
         }
         updateArticleLocal(where: {publishDay: {_eq: SUNDAY}}, _set: {publishDay: MONDAY}) {
           affectedRows
         }
         deleteArticleLocal(where: {title: {_eq: "x"}}) { affectedRows returning { publishDay } }
       }`,
    );
    expect(r).toEqual({
      data: {
        insertAuthorLocalOne: { id: 3, authorName: 'Author 3', __typename: 'AuthorLocal' },
        insertArticleLocal: {
          affectedRows: 1,
          returning: [{ publishDay: 'FRIDAY', author: { authorName: 'Author 2' } }],
        },
        updateAuthorLocalByPk: { rating: null, authorName: 'Two' },
        updateArticleLocal: { affectedRows: 2 },
        deleteArticleLocal: { affectedRows: 1, returning: [{ publishDay: 'FRIDAY' }] },
      },
    });
    const rows = await runSql(
      engine,
      'SELECT count(*) FROM article_local WHERE publish_day = $$Monday$$',
    );
    expect((rows as { result: string[][] }).result[1]).toEqual(['3']);
  });

  it('should stream with batchSize, cursor and initialValue', async () => {
    const client = await RawClient.open(wsUrl(engine), 'graphql-transport-ws');
    try {
      expect((await client.init()).type).toBe('connection_ack');
      client.send({
        id: 's',
        type: 'subscribe',
        payload: {
          query: `subscription { authorLocalStream(batchSize: 10,
            cursor: {initialValue: {id: 0}, ordering: ASC}) { id authorName } }`,
        },
      });
      const msg = await client.until(
        () => client.of('s').find((x) => x.type === 'next' || x.type === 'error'),
        'the first batch',
      );
      expect(msg.payload).toEqual({
        data: {
          authorLocalStream: [
            { id: 1, authorName: 'Author 1' },
            { id: 2, authorName: 'Two' },
            { id: 3, authorName: 'Author 3' },
          ],
        },
      });
    } finally {
      client.close();
    }
  });
});

describe('the default naming convention', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ prefix: 'engine_naming_default' });
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('should apply HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION to a source that names none', async () => {
    const engine = await setUp(db, {
      ...FEATURE,
      HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION: 'graphql-default',
    });
    try {
      const r = await gql(engine, '{ authorLocalByPk(id: 1) { authorName __typename } }');
      expect(r).toEqual({
        data: { authorLocalByPk: { authorName: 'Author 1', __typename: 'AuthorLocal' } },
      });
      const cfg = await fetch(`${engine.url}/v1alpha1/config`);
      expect(await cfg.json()).toMatchObject({
        experimental_features: ['naming_convention'],
        default_naming_convention: 'graphql-default',
      });
      // a source's own setting wins over the default
      await metadata(engine, sourceMetadata({ naming_convention: 'hasura-default' }));
      const h = await gql(engine, '{ author_local_by_pk(id: 1) { author_name __typename } }');
      expect(h).toEqual({
        data: { author_local_by_pk: { author_name: 'Author 1', __typename: 'author_local' } },
      });
    } finally {
      await engine.close();
    }
  });
});

describe('without the experimental feature', () => {
  let db: TestDatabase;
  let engine: RunningEngine;

  beforeAll(async () => {
    db = await createTestDatabase({ prefix: 'engine_naming_off' });
    engine = await setUp(db, {}, { naming_convention: 'graphql-default' });
  });

  afterAll(async () => {
    await engine?.close();
    await db?.drop();
  });

  it('should refuse a naming convention that is neither of the two', async () => {
    const r = await api(engine, '/v1/metadata', sourceMetadata({ naming_convention: 'camelCase' }));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      code: 'parse-failed',
      error: 'naming_convention can either be "hasura-default" or "graphql-default"',
    });
  });

  it('should ignore the source setting and keep hasura-default names', async () => {
    const r = await gql(
      engine,
      `{ author_local(order_by: {id: asc}) { author_name __typename }
         article_local_aggregate { __typename } }`,
    );
    expect(r).toEqual({
      data: {
        author_local: [
          { author_name: 'Author 1', __typename: 'author_local' },
          { author_name: 'Author 2', __typename: 'author_local' },
        ],
        article_local_aggregate: { __typename: 'article_local_aggregate' },
      },
    });
  });
});
