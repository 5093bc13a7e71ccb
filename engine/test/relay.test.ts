/**
 * The Relay API on /v1beta1/relay over a real Postgres: global ids that node(id:) reads back,
 * cursor pagination both ways through every row exactly once, the role's select filter applied
 * to node(id:) (a row it cannot see is null) and to connections, and tables without a primary
 * key left out of the Relay schema while /v1/graphql keeps them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { gql, metadata, runSql, startTestEngine, type GqlResponse } from './helpers.ts';
import { RawClient, wsUrl } from './live-helpers.ts';

let db: TestDatabase;
let engine: RunningEngine;

async function relay(
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GqlResponse> {
  const r = await fetch(`${engine.url}/v1beta1/relay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  expect(r.status).toBe(200);
  return (await r.json()) as GqlResponse;
}

const reader = { 'x-hasura-role': 'reader' };
const TITLES = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7'];

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'engine_relay' });
  engine = await startTestEngine(db);
  await runSql(
    engine,
    `CREATE TABLE author (id serial PRIMARY KEY, name text NOT NULL);
     CREATE TABLE article (id serial PRIMARY KEY, title text NOT NULL,
       published boolean NOT NULL, author_id integer NOT NULL REFERENCES author(id), rank integer);
     CREATE TABLE note (body text);
     INSERT INTO author (name) VALUES ('ann'), ('bob');
     INSERT INTO article (title, published, author_id) VALUES
       ('a1', true, 1), ('a2', false, 1), ('a3', true, 2), ('a4', true, 1),
       ('a5', false, 2), ('a6', true, 2), ('a7', true, 1);
     UPDATE article SET rank = (ARRAY[3, NULL, 1, NULL, 2, 1, NULL])[id];
     INSERT INTO note VALUES ('n');`,
  );
  const track = (name: string) => ({ type: 'pg_track_table', args: { table: name } });
  const select = (table: string, filter: unknown) => ({
    type: 'pg_create_select_permission',
    args: { table, role: 'reader', permission: { columns: '*', filter } },
  });
  await metadata(engine, {
    type: 'bulk',
    args: [
      track('author'),
      track('article'),
      track('note'),
      {
        type: 'pg_create_object_relationship',
        args: {
          table: 'article',
          name: 'author',
          using: { foreign_key_constraint_on: 'author_id' },
        },
      },
      {
        type: 'pg_create_array_relationship',
        args: {
          table: 'author',
          name: 'articles',
          using: { foreign_key_constraint_on: { table: 'article', column: 'author_id' } },
        },
      },
      select('author', {}),
      select('article', { published: { _eq: true } }),
      select('note', {}),
    ],
  });
});

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

const PAGE = `query ($first: Int, $last: Int, $after: String, $before: String) {
  article_connection(first: $first, last: $last, after: $after, before: $before) {
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title } }
  }
}`;

describe('Engine > Relay API', () => {
  it('reads a row back by the global id a connection hands out', async () => {
    const list = await relay(`{ article_connection { edges { node { id title } } } }`);
    expect(list.errors).toBeUndefined();
    const edges = list.data!.article_connection.edges as Array<{
      node: { id: string; title: string };
    }>;
    expect(edges.map((e) => e.node.title)).toEqual(TITLES);
    const a4 = edges[3]!.node;
    // Hasura's format: base64 of [version, schema, table, primary key…]
    expect(JSON.parse(Buffer.from(a4.id, 'base64').toString())).toEqual([
      1,
      'public',
      'article',
      4,
    ]);
    const back = await relay(
      `query ($id: ID!) { node(id: $id) { __typename id ... on article { title author { name } } ... on author { name } } }`,
      { id: a4.id },
    );
    expect(back).toEqual({
      data: { node: { __typename: 'article', id: a4.id, title: 'a4', author: { name: 'ann' } } },
    });
    // the same operation with another table's id: the plan follows the id, not the cache
    const authorId = Buffer.from(JSON.stringify([1, 'public', 'author', 2])).toString('base64');
    const author = await relay(
      `query ($id: ID!) { node(id: $id) { __typename id ... on article { title author { name } } ... on author { name } } }`,
      { id: authorId },
    );
    expect(author.data!.node).toMatchObject({ __typename: 'author', name: 'bob' });
  });

  it('pages forward and backward with cursors through every row once', async () => {
    const forward: string[] = [];
    let after: string | null = null;
    for (let page = 0; ; page++) {
      const r = await relay(PAGE, { first: 3, after });
      const c = r.data!.article_connection;
      forward.push(...c.edges.map((e: { node: { title: string } }) => e.node.title));
      expect(c.pageInfo.hasPreviousPage).toBe(page > 0);
      expect(c.pageInfo.startCursor).toBe(c.edges[0].cursor);
      if (!c.pageInfo.hasNextPage) break;
      after = c.pageInfo.endCursor;
    }
    expect(forward).toEqual(TITLES);

    const pages: string[][] = [];
    let before: string | null = null;
    for (let page = 0; ; page++) {
      const r = await relay(PAGE, { last: 3, before });
      const c = r.data!.article_connection;
      // a backward page still lists its rows in the connection's order
      pages.push(c.edges.map((e: { node: { title: string } }) => e.node.title));
      expect(c.pageInfo.hasNextPage).toBe(page > 0);
      if (!c.pageInfo.hasPreviousPage) break;
      before = c.pageInfo.startCursor;
    }
    expect(pages).toEqual([['a5', 'a6', 'a7'], ['a2', 'a3', 'a4'], ['a1']]);
  });

  it('keeps the order_by in the cursor and pages an array relationship', async () => {
    const r = await relay(`{
      author_connection(where: { name: { _eq: "ann" } }) { edges { node {
        articles_connection(order_by: { title: desc }, first: 2, after: ${JSON.stringify(
          Buffer.from('{"title" : "a7", "id" : 7}').toString('base64'),
        )}) {
          pageInfo { hasNextPage hasPreviousPage }
          edges { cursor node { title } }
        } } } } }`);
    expect(r.errors).toBeUndefined();
    const conn = r.data!.author_connection.edges[0].node.articles_connection;
    expect(conn.edges.map((e: { node: { title: string } }) => e.node.title)).toEqual(['a4', 'a2']);
    expect(Buffer.from(conn.edges[0].cursor, 'base64').toString()).toBe(
      '{"title" : "a4", "id" : 4}',
    );
    expect(conn.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: true });
  });

  it('pages through an order with nulls at either end, and distinct_on', async () => {
    const titles = (c: { edges: Array<{ node: { title: string } }> }) =>
      c.edges.map((e) => e.node.title);
    for (const dir of ['asc', 'desc', 'asc_nulls_first', 'desc_nulls_last']) {
      const q = `query ($first: Int, $last: Int, $after: String, $before: String) {
        article_connection(order_by: { rank: ${dir} }, first: $first, last: $last, after: $after, before: $before) {
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
          edges { node { title } } } }`;
      const whole = titles((await relay(q)).data!.article_connection);
      expect(whole).toHaveLength(7);
      const forward: string[] = [];
      for (let after: string | null = null; ;) {
        const r: GqlResponse = await relay(q, { first: 2, after });
        const c = r.data!.article_connection;
        forward.push(...titles(c));
        if (!c.pageInfo.hasNextPage) break;
        after = c.pageInfo.endCursor;
      }
      expect(forward, dir).toEqual(whole);
      const backward: string[] = [];
      for (let before: string | null = null; ;) {
        const r: GqlResponse = await relay(q, { last: 2, before });
        const c = r.data!.article_connection;
        backward.unshift(...titles(c));
        if (!c.pageInfo.hasPreviousPage) break;
        before = c.pageInfo.startCursor;
      }
      expect(backward, dir).toEqual(whole);
    }
    // one row per rank (the first by primary key), listed in the connection's order
    const distinct = await relay(
      `{ article_connection(distinct_on: rank) { edges { node { title } } } }`,
    );
    expect(titles(distinct.data!.article_connection)).toEqual(['a1', 'a2', 'a3', 'a5']);
  });

  it("answers null from node(id:) for a row the role's filter hides", async () => {
    const id = (n: number) =>
      Buffer.from(JSON.stringify([1, 'public', 'article', n])).toString('base64');
    const q = `query ($id: ID!) { node(id: $id) { ... on article { title } } }`;
    expect(await relay(q, { id: id(2) })).toEqual({ data: { node: { title: 'a2' } } });
    expect(await relay(q, { id: id(2) }, reader)).toEqual({ data: { node: null } });
    expect(await relay(q, { id: id(3) }, reader)).toEqual({ data: { node: { title: 'a3' } } });
    const visible = await relay(PAGE, {}, reader);
    expect(
      visible.data!.article_connection.edges.map((e: { node: { title: string } }) => e.node.title),
    ).toEqual(['a1', 'a3', 'a4', 'a6', 'a7']);
  });

  it('refuses malformed ids and paging arguments as Hasura does', async () => {
    const bad = await relay(`{ node(id: "WzIsICJwdWJsaWMiLCAiYXV0aG9yIiwgMV0K") { id } }`);
    expect(bad.errors).toEqual([
      {
        message: 'invalid node id: Error in $: unsupported GUID version: 2.0',
        extensions: { path: '$.selectionSet.node.args.id', code: 'validation-failed' },
      },
    ]);
    const both = await relay(`{ article_connection(first: 1, last: 1) { edges { cursor } } }`);
    expect(both.errors![0]!.message).toBe('"first" and "last" are not allowed at once');
  });

  it('leaves tables without a primary key out of the Relay schema only', async () => {
    const r = await relay(`{ note_connection { edges { cursor } } }`);
    expect(r.errors![0]!.message).toBe("field 'note_connection' not found in type: 'query_root'");
    expect(await gql(engine, `{ note { body } }`)).toEqual({ data: { note: [{ body: 'n' }] } });
  });

  it('serves the Relay schema over WebSocket too: a query and a live subscription', async () => {
    const c = await RawClient.open(wsUrl(engine, '/v1beta1/relay'), 'graphql-transport-ws');
    try {
      expect((await c.init(reader)).type).toBe('connection_ack');
      const first = async (id: string, query: string) => {
        c.send({ id, type: 'subscribe', payload: { query } });
        const f = await c.until(
          () => c.of(id).find((x) => x.type === 'next'),
          `next for ${id}`,
          5000,
        );
        return (f.payload as { data: unknown }).data;
      };
      const page = '{ article_connection(last: 1) { edges { node { title } } } }';
      const expected = { article_connection: { edges: [{ node: { title: 'a7' } }] } };
      expect(await first('q', `query ${page}`)).toEqual(expected);
      expect(await first('s', `subscription ${page}`)).toEqual(expected);
    } finally {
      c.close();
    }
  });
});
