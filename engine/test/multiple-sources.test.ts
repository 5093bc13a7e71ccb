/**
 * Several Postgres sources on one engine, against two real databases: the engine's own
 * (`default`) and a second one added with `pg_add_source` (`pg1`). Each source's tables are read
 * and written through its own pool, one request may touch both, a customized source answers under
 * its namespace and names, live queries poll the source they read, an event trigger on `pg1` is
 * installed in and delivered from that database, and a source whose database is gone is an
 * inconsistent object after a reload.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, sql } from '@streamsync/database';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { api, gql, metadata, runSql, startTestEngine } from './helpers.ts';
import { RawClient, wsUrl } from './live-helpers.ts';
import { startReceiver, type TestReceiver } from './webhook-receiver.ts';

let main: TestDatabase;
let second: TestDatabase;
let engine: RunningEngine;
let hooks: TestReceiver;

const pg1Sql = (text: string) =>
  api(engine, '/v2/query', { type: 'run_sql', args: { source: 'pg1', sql: text } });

beforeAll(async () => {
  main = await createTestDatabase({ prefix: 'srcmain', empty: true });
  second = await createTestDatabase({ prefix: 'srcpg1', empty: true });
  hooks = await startReceiver();
  engine = await startTestEngine(main.url, {
    STREAMSYNC_TEST_PG1_URL: second.url,
    HASURA_GRAPHQL_EVENTS_FETCH_INTERVAL: '100',
    STREAMSYNC_WEBHOOK_BASE: hooks.url,
  });
  await runSql(
    engine,
    `CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL);
     INSERT INTO author VALUES (1, 'Ada (default)');`,
  );
  await metadata(engine, { type: 'pg_track_table', args: { table: 'author' } });
  await metadata(engine, {
    type: 'pg_add_source',
    args: {
      name: 'pg1',
      configuration: {
        connection_info: {
          database_url: { from_env: 'STREAMSYNC_TEST_PG1_URL' },
          pool_settings: { max_connections: 5 },
        },
      },
    },
  });
  // the same table name in the second database, told apart by its custom name
  const created = await pg1Sql(
    `CREATE TABLE author (id int PRIMARY KEY, name text NOT NULL);
     CREATE TABLE book (id serial PRIMARY KEY, title text NOT NULL);
     INSERT INTO author VALUES (1, 'Grace (pg1)');`,
  );
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  await metadata(engine, {
    type: 'bulk',
    args: [
      {
        type: 'pg_track_table',
        args: { source: 'pg1', table: 'author', configuration: { custom_name: 'pg1_author' } },
      },
      { type: 'pg_track_table', args: { source: 'pg1', table: 'book' } },
    ],
  });
});

afterAll(async () => {
  await engine?.close();
  await hooks?.close();
  await second?.drop();
  await main?.drop();
});

describe('Engine > multiple sources', () => {
  it('should read each source through its own pool, both in one query', async () => {
    const r = await gql(engine, '{ author { id name } pg1_author { id name } }');
    expect(r).toEqual({
      data: {
        author: [{ id: 1, name: 'Ada (default)' }],
        pg1_author: [{ id: 1, name: 'Grace (pg1)' }],
      },
    });
    // the second database really holds it: the default one has no `book`
    const { rows } = await query(
      main.pool,
      sql`SELECT to_regclass('public.book') IS NULL AS absent`,
    );
    expect(rows[0]).toEqual({ absent: true });
  });

  it('should run a mutation over two sources, each in its own database', async () => {
    const r = await gql(
      engine,
      `mutation {
        insert_author_one(object: {id: 2, name: "Barbara"}) { id }
        insert_book(objects: [{title: "Notes"}]) { affected_rows }
      }`,
    );
    expect(r).toEqual({
      data: { insert_author_one: { id: 2 }, insert_book: { affected_rows: 1 } },
    });
    const { rows } = await query(second.pool, sql`SELECT title FROM book`);
    expect(rows).toEqual([{ title: 'Notes' }]);
    const v2 = await api(engine, '/v2/query', {
      type: 'select',
      args: { source: 'pg1', table: 'book', columns: ['title'] },
    });
    expect(v2.body).toEqual([{ title: 'Notes' }]);
  });

  it('should refuse a second source of the same name, and an unknown one', async () => {
    const again = await api(engine, '/v1/metadata', {
      type: 'pg_add_source',
      args: { name: 'pg1', configuration: { connection_info: { database_url: second.url } } },
    });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({
      path: '$.args',
      error: 'source with name "pg1" already exists',
      code: 'already-exists',
    });
    const unknown = await api(engine, '/v1/metadata', {
      type: 'pg_drop_source',
      args: { name: 'nope' },
    });
    expect(unknown.body.error).toBe('source with name "nope" does not exist');
  });

  it('should serve a customized source under its namespace, with its root-field and type names', async () => {
    await metadata(engine, {
      type: 'pg_update_source',
      args: {
        name: 'pg1',
        customization: {
          root_fields: { namespace: 'lib', prefix: 'p_', suffix: '_s' },
          type_names: { prefix: 'T_', suffix: '_U' },
        },
      },
    });
    const r = await gql(
      engine,
      '{ __typename lib { __typename p_book_s { __typename title } p_pg1_author_by_pk_s(id: 1) { name } } }',
    );
    expect(r).toEqual({
      data: {
        __typename: 'query_root',
        lib: {
          __typename: 'T_lib_query_U',
          p_book_s: [{ __typename: 'T_book_U', title: 'Notes' }],
          p_pg1_author_by_pk_s: { name: 'Grace (pg1)' },
        },
      },
    });
    const m = await gql(
      engine,
      'mutation { lib { p_delete_book_s(where: {}) { affected_rows } } }',
    );
    expect(m).toEqual({ data: { lib: { p_delete_book_s: { affected_rows: 1 } } } });
    await metadata(engine, {
      type: 'pg_update_source',
      args: { name: 'pg1', customization: {} },
    });
  });

  it('should poll a live query on the source it reads', async () => {
    const c = await RawClient.open(wsUrl(engine), 'graphql-transport-ws');
    try {
      await c.init();
      c.send({
        id: '1',
        type: 'subscribe',
        payload: { query: 'subscription { pg1_author(order_by: {id: asc}) { name } }' },
      });
      expect(
        await c.until(
          () => c.of('1').find((f) => JSON.stringify(f.payload).includes('Grace (pg1)')),
          'the first answer',
        ),
      ).toBeTruthy();
      await query(second.pool, sql`INSERT INTO author VALUES (3, 'Katherine (pg1)')`);
      expect(
        await c.until(
          () => c.of('1').find((f) => JSON.stringify(f.payload).includes('Katherine (pg1)')),
          'the row inserted in the second database',
        ),
      ).toBeTruthy();
    } finally {
      c.ws.close();
    }
  });

  it('should install an event trigger in its source and deliver its events from there', async () => {
    await metadata(engine, {
      type: 'pg_create_event_trigger',
      args: {
        source: 'pg1',
        name: 'pg1_book_insert',
        table: 'book',
        insert: { columns: '*' },
        webhook: '{{STREAMSYNC_WEBHOOK_BASE}}/ok',
      },
    });
    await query(second.pool, sql`INSERT INTO book (title) VALUES ('Delivered')`);
    await hooks.until((hits) => hits.some((h) => h.body?.trigger?.name === 'pg1_book_insert'));
    const hit = hooks.hits.find((h) => h.body?.trigger?.name === 'pg1_book_insert')!;
    expect(hit.body.event.data.new.title).toBe('Delivered');
    // the event log is the second database's
    const { rows } = await query(
      second.pool,
      sql`SELECT count(*)::int AS n FROM hdb_catalog.event_log WHERE trigger_name = 'pg1_book_insert'`,
    );
    expect(rows[0]).toEqual({ n: 1 });
  });

  it('should report a source whose database is gone as inconsistent after a reload', async () => {
    await metadata(engine, {
      type: 'pg_delete_event_trigger',
      args: { source: 'pg1', name: 'pg1_book_insert' },
    });
    await metadata(engine, { type: 'rename_source', args: { name: 'pg1', new_name: 'library' } });
    expect((await gql(engine, '{ book { title } }')).data).toBeDefined();
    // point the source at a database that does not exist, then reload
    const gone = second.url.replace(/\/[^/?]+(\?|$)/, '/streamsync_no_such_db$1');
    await metadata(engine, {
      type: 'replace_metadata',
      version: 2,
      args: {
        allow_inconsistent_metadata: true,
        metadata: {
          ...(await api(engine, '/v1/metadata', { type: 'export_metadata', args: {} })).body,
          sources: [
            (await api(engine, '/v1/metadata', { type: 'export_metadata', args: {} })).body
              .sources[0],
            {
              name: 'library',
              kind: 'postgres',
              tables: [{ table: { schema: 'public', name: 'book' } }],
              configuration: { connection_info: { database_url: gone } },
            },
          ],
        },
      },
    });
    await metadata(engine, { type: 'reload_metadata', args: {} });
    const ic = await metadata(engine, { type: 'get_inconsistent_metadata', args: {} });
    expect(ic.is_consistent).toBe(false);
    expect(ic.inconsistent_objects).toEqual([
      expect.objectContaining({ type: 'source', name: 'source library', definition: 'library' }),
    ]);
    // the default source keeps answering
    expect((await gql(engine, '{ author(order_by: {id: asc}) { id } }')).data).toEqual({
      author: [{ id: 1 }, { id: 2 }],
    });
    await metadata(engine, { type: 'pg_drop_source', args: { name: 'library' } });
    const after = await metadata(engine, { type: 'get_inconsistent_metadata', args: {} });
    expect(after.is_consistent).toBe(true);
  });
});
