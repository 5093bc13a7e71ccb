/**
 * Mutations end to end on a real Postgres: the schema and permissions are set up through the
 * engine's own metadata and schema APIs, then every mutation kind is exercised over HTTP as a
 * client would, as admin and as a role with check / filter / column / preset permissions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, sql } from '@streamsync/database';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { gql, metadata, runSql, startTestEngine } from './helpers.ts';

let db: TestDatabase;
let engine: RunningEngine;

const user = (id: number) => ({ 'x-hasura-role': 'user', 'x-hasura-user-id': String(id) });

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'mut', empty: true });
  engine = await startTestEngine(db.url);
  await runSql(
    engine,
    `CREATE TABLE author (id serial PRIMARY KEY, name text UNIQUE NOT NULL, bio text,
       is_active boolean NOT NULL DEFAULT true, stats jsonb NOT NULL DEFAULT '{}', score numeric,
       name_length int GENERATED ALWAYS AS (length(name)) STORED);
     CREATE TABLE article (id serial PRIMARY KEY, title text NOT NULL,
       author_id int REFERENCES author(id), published boolean NOT NULL DEFAULT false,
       views bigint NOT NULL DEFAULT 0);
     CREATE TABLE author_detail (id int PRIMARY KEY REFERENCES author(id), phone text);`,
  );
  await metadata(engine, {
    type: 'bulk',
    args: [
      { type: 'pg_track_table', args: { table: 'author' } },
      { type: 'pg_track_table', args: { table: 'article' } },
      { type: 'pg_track_table', args: { table: 'author_detail' } },
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
      {
        type: 'pg_create_object_relationship',
        args: {
          table: 'author',
          name: 'detail',
          using: { foreign_key_constraint_on: { table: 'author_detail', column: 'id' } },
        },
      },
      {
        type: 'pg_create_select_permission',
        args: {
          table: 'author',
          role: 'user',
          permission: { columns: ['id', 'name', 'bio'], filter: { id: 'X-Hasura-User-Id' } },
        },
      },
      {
        type: 'pg_create_select_permission',
        args: {
          table: 'article',
          role: 'user',
          permission: { columns: '*', filter: { author_id: 'X-Hasura-User-Id' } },
        },
      },
      {
        type: 'pg_create_insert_permission',
        args: {
          table: 'article',
          role: 'user',
          permission: {
            columns: ['title', 'published'],
            set: { author_id: 'X-Hasura-User-Id' },
            check: { author: { is_active: { _eq: true } } },
          },
        },
      },
      {
        type: 'pg_create_update_permission',
        args: {
          table: 'article',
          role: 'user',
          permission: {
            columns: ['title', 'published'],
            filter: { author_id: 'X-Hasura-User-Id' },
            check: { title: { _neq: '' } },
          },
        },
      },
      {
        type: 'pg_create_delete_permission',
        args: {
          table: 'article',
          role: 'user',
          permission: { filter: { author_id: 'X-Hasura-User-Id', published: false } },
        },
      },
      {
        type: 'pg_create_insert_permission',
        args: {
          table: 'author',
          role: 'service',
          permission: { columns: '*', check: {}, backend_only: true },
        },
      },
      {
        type: 'pg_create_select_permission',
        args: { table: 'author', role: 'service', permission: { columns: '*', filter: {} } },
      },
    ],
  });
});

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

const count = async (table: string): Promise<number> => {
  const { rows } = await query<{ n: number }>(
    db.pool,
    sql`SELECT count(*)::int AS n FROM ${sql.ident('public', table)}`,
  );
  return rows[0]!.n;
};

describe('Engine > Mutations', () => {
  it('should insert rows with nested array and object relationships, counting every row', async () => {
    const r = await gql(
      engine,
      `mutation {
        insert_author(objects: [
          {name: "Ada", articles: {data: [{title: "Engines"}, {title: "Notes"}]}, detail: {data: {phone: "1"}}},
          {name: "Grace"}
        ]) {
          affected_rows
          returning { name articles(order_by: {title: asc}) { title author { name } } detail { phone } }
        }
      }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.insert_author).toEqual({
      affected_rows: 5,
      returning: [
        {
          name: 'Ada',
          articles: [
            { title: 'Engines', author: { name: 'Ada' } },
            { title: 'Notes', author: { name: 'Ada' } },
          ],
          detail: { phone: '1' },
        },
        { name: 'Grace', articles: [], detail: null },
      ],
    });
  });

  it('should insert through an object relationship and refuse a determined key', async () => {
    const ok = await gql(
      engine,
      `mutation { insert_article_one(object: {title: "Solo", author: {data: {name: "Linus"}}}) {
        title author { name } } }`,
    );
    expect(ok.data).toEqual({ insert_article_one: { title: 'Solo', author: { name: 'Linus' } } });
    const bad = await gql(
      engine,
      `mutation { insert_article(objects: [{title: "x", author_id: 1, author: {data: {name: "Other"}}}]) {
        affected_rows } }`,
    );
    expect(bad.errors).toEqual([
      {
        message:
          'cannot insert object relationship "author" as "author_id" column values are already determined',
        extensions: {
          path: '$.selectionSet.insert_article.args.objects[0].author',
          code: 'validation-failed',
        },
      },
    ]);
  });

  it('should upsert with on_conflict, and do nothing without update columns', async () => {
    const up = await gql(
      engine,
      `mutation { insert_author(objects: [{name: "Ada", bio: "updated"}],
          on_conflict: {constraint: author_name_key, update_columns: [bio]}) {
        affected_rows returning { name bio } } }`,
    );
    expect(up.data!.insert_author).toEqual({
      affected_rows: 1,
      returning: [{ name: 'Ada', bio: 'updated' }],
    });
    const nothing = await gql(
      engine,
      `mutation { insert_author_one(object: {name: "Ada", bio: "ignored"},
          on_conflict: {constraint: author_name_key, update_columns: []}) { id } }`,
    );
    expect(nothing.data).toEqual({ insert_author_one: null });
    const filtered = await gql(
      engine,
      `mutation { insert_author(objects: [{name: "Ada", bio: "not this"}],
          on_conflict: {constraint: author_name_key, update_columns: [bio], where: {bio: {_eq: "nope"}}}) {
        affected_rows } }`,
    );
    expect(filtered.data!.insert_author.affected_rows).toBe(0);
  });

  it('should fill presets from session variables and enforce the insert check', async () => {
    const ada = await gql(engine, `{ author(where: {name: {_eq: "Ada"}}) { id } }`);
    const adaId = ada.data!.author[0].id as number;
    const ok = await gql(
      engine,
      `mutation { insert_article(objects: [{title: "Mine"}]) { returning { title author_id } } }`,
      undefined,
      user(adaId),
    );
    expect(ok.data!.insert_article.returning).toEqual([{ title: 'Mine', author_id: adaId }]);
    // a preset column is not part of the role's input type
    const withKey = await gql(
      engine,
      `mutation { insert_article(objects: [{title: "x", author_id: 1}]) { affected_rows } }`,
      undefined,
      user(adaId),
    );
    expect(withKey.errors![0]!.message).toBe(
      "field 'author_id' not found in type: 'article_insert_input'",
    );
    await query(db.pool, sql`UPDATE author SET is_active = false WHERE id = ${sql.value(adaId)}`);
    const before = await count('article');
    const denied = await gql(
      engine,
      `mutation { insert_article(objects: [{title: "Blocked"}]) { affected_rows } }`,
      undefined,
      user(adaId),
    );
    expect(denied.errors).toEqual([
      {
        message: 'check constraint of an insert/update permission has failed',
        extensions: {
          path: '$.selectionSet.insert_article.args.objects',
          code: 'permission-error',
        },
      },
    ]);
    expect(await count('article')).toBe(before);
    await query(db.pool, sql`UPDATE author SET is_active = true WHERE id = ${sql.value(adaId)}`);
  });

  it('should need the session variables its permissions read', async () => {
    const r = await gql(
      engine,
      `mutation { insert_article(objects: [{title: "Anon"}]) { affected_rows } }`,
      undefined,
      { 'x-hasura-role': 'user' },
    );
    expect(r.errors).toEqual([
      {
        message: 'missing session variable: "x-hasura-user-id"',
        extensions: { path: '$', code: 'not-found' },
      },
    ]);
  });

  it('should roll back every field of a mutation when one fails', async () => {
    const before = await count('author');
    const r = await gql(
      engine,
      `mutation {
        first: insert_author_one(object: {name: "Fresh"}) { id }
        second: insert_author_one(object: {name: "Ada"}) { id }
      }`,
    );
    expect(r.errors).toEqual([
      {
        message:
          'Uniqueness violation. duplicate key value violates unique constraint "author_name_key"',
        extensions: {
          path: '$.selectionSet.insert_author_one.args.object',
          code: 'constraint-violation',
        },
      },
    ]);
    expect(r.data).toBeUndefined();
    expect(await count('author')).toBe(before);
  });

  it('should update with _set, _inc and the jsonb operators, by filter, by key and in batches', async () => {
    const r = await gql(
      engine,
      `mutation {
        update_author(where: {name: {_eq: "Grace"}}, _set: {bio: "b"}, _inc: {score: 1.1},
                      _append: {stats: {a: 1, b: 2}}) {
          affected_rows returning { bio score stats } }
      }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.update_author).toEqual({
      affected_rows: 1,
      returning: [{ bio: 'b', score: null, stats: { a: 1, b: 2 } }],
    });
    const ids = await gql(engine, `{ author(where: {name: {_eq: "Grace"}}) { id } }`);
    const id = ids.data!.author[0].id as number;
    const r2 = await gql(
      engine,
      `mutation ($id: Int!) {
        update_author_by_pk(pk_columns: {id: $id}, _set: {score: 1.1}, _delete_key: {stats: "a"}) { score stats }
        update_author_many(updates: [
          {where: {id: {_eq: $id}}, _inc: {score: 2}},
          {where: {id: {_eq: -1}}, _set: {bio: "none"}}
        ]) { affected_rows }
      }`,
      { id },
    );
    expect(r2.errors).toBeUndefined();
    // numeric values carry Hasura's binary scale (1.1 arrives as 1.1000)
    expect(r2.data).toEqual({
      update_author_by_pk: { score: 1.1, stats: { b: 2 } },
      update_author_many: [{ affected_rows: 1 }, { affected_rows: 0 }],
    });
    const dup = await gql(
      engine,
      `mutation { update_author(where: {}, _set: {score: 1}, _inc: {score: 1}) { affected_rows } }`,
    );
    expect(dup.errors![0]).toEqual({
      message: "Column found in multiple operators: ['score'].",
      extensions: { path: '$.selectionSet.update_author.args', code: 'validation-failed' },
    });
  });

  it("should update only the role's rows and enforce the update check", async () => {
    const ada = await gql(engine, `{ author(where: {name: {_eq: "Ada"}}) { id } }`);
    const adaId = ada.data!.author[0].id as number;
    const others = await gql(
      engine,
      `mutation { update_article(where: {}, _set: {published: true}) { affected_rows } }`,
      undefined,
      user(999),
    );
    expect(others.data!.update_article.affected_rows).toBe(0);
    const mine = await gql(
      engine,
      `mutation { update_article(where: {title: {_eq: "Mine"}}, _set: {title: "Mine!"}) {
        affected_rows returning { title author { name } } } }`,
      undefined,
      user(adaId),
    );
    expect(mine.data!.update_article).toEqual({
      affected_rows: 1,
      returning: [{ title: 'Mine!', author: { name: 'Ada' } }],
    });
    const empty = await gql(
      engine,
      `mutation { update_article(where: {title: {_eq: "Mine!"}}, _set: {title: ""}) { affected_rows } }`,
      undefined,
      user(adaId),
    );
    expect(empty.errors![0]!.extensions.code).toBe('permission-error');
    const still = await gql(engine, `{ article(where: {title: {_eq: "Mine!"}}) { id } }`);
    expect(still.data!.article).toHaveLength(1);
  });

  it('should delete within the delete filter, by key and with returning', async () => {
    const ada = await gql(engine, `{ author(where: {name: {_eq: "Ada"}}) { id } }`);
    const adaId = ada.data!.author[0].id as number;
    await gql(
      engine,
      `mutation { update_article(where: {title: {_eq: "Notes"}}, _set: {published: true}) { affected_rows } }`,
    );
    const r = await gql(
      engine,
      `mutation { delete_article(where: {}) { affected_rows returning { title } } }`,
      undefined,
      user(adaId),
    );
    expect(r.errors).toBeUndefined();
    // "Notes" is published, so the delete permission leaves it
    expect(r.data!.delete_article.returning.map((x: { title: string }) => x.title).sort()).toEqual([
      'Engines',
      'Mine!',
    ]);
    const left = await gql(
      engine,
      `{ article(where: {author: {name: {_eq: "Ada"}}}) { id title } }`,
    );
    expect(left.data!.article.map((x: { title: string }) => x.title)).toEqual(['Notes']);
    const byPk = await gql(
      engine,
      `mutation ($id: Int!) { delete_article_by_pk(id: $id) { title } }`,
      { id: left.data!.article[0].id },
    );
    expect(byPk.data).toEqual({ delete_article_by_pk: { title: 'Notes' } });
    const fk = await gql(
      engine,
      `mutation { delete_author(where: {name: {_eq: "Linus"}}) { affected_rows } }`,
    );
    expect(fk.errors![0]).toEqual({
      message:
        'Foreign key violation. update or delete on table "author" violates foreign key constraint "article_author_id_fkey" on table "article"',
      extensions: { path: '$', code: 'constraint-violation' },
    });
  });

  it('should offer backend-only permissions only to trusted backend requests', async () => {
    const q = `mutation { insert_author(objects: [{name: "Svc"}]) { affected_rows } }`;
    const frontend = await gql(engine, q, undefined, { 'x-hasura-role': 'service' });
    expect(frontend.errors).toEqual([
      { message: 'no mutations exist', extensions: { path: '$', code: 'validation-failed' } },
    ]);
    const backend = await gql(engine, q, undefined, {
      'x-hasura-role': 'service',
      'x-hasura-use-backend-only-permissions': 'true',
    });
    expect(backend.data).toEqual({ insert_author: { affected_rows: 1 } });
  });

  it('should take no value for a generated column, and return it', async () => {
    const t = await gql(
      engine,
      `{ i: __type(name: "author_insert_input") { inputFields { name } }
         s: __type(name: "author_set_input") { inputFields { name } } }`,
    );
    expect(t.data!.i.inputFields.map((f: { name: string }) => f.name)).not.toContain('name_length');
    expect(t.data!.s.inputFields.map((f: { name: string }) => f.name)).not.toContain('name_length');
    const r = await gql(
      engine,
      `mutation { insert_author_one(object: {name: "Barbara"}) { name_length } }`,
    );
    expect(r.data).toEqual({ insert_author_one: { name_length: 7 } });
  });

  it("should describe the role's mutation_root in introspection", async () => {
    const r = await gql(
      engine,
      `{ __schema { mutationType { name description fields { name } } } }`,
      undefined,
      user(1),
    );
    expect(r.data!.__schema.mutationType).toEqual({
      name: 'mutation_root',
      description: 'mutation root',
      fields: [
        { name: 'delete_article' },
        { name: 'delete_article_by_pk' },
        { name: 'insert_article' },
        { name: 'insert_article_one' },
        { name: 'update_article' },
        { name: 'update_article_by_pk' },
        { name: 'update_article_many' },
      ],
    });
    const types = await gql(
      engine,
      `{ i: __type(name: "article_insert_input") { inputFields { name } }
         s: __type(name: "article_set_input") { inputFields { name } }
         c: __type(name: "article_update_column") { enumValues { name } } }`,
      undefined,
      user(1),
    );
    expect(types.data).toEqual({
      i: { inputFields: [{ name: 'published' }, { name: 'title' }] },
      s: { inputFields: [{ name: 'published' }, { name: 'title' }] },
      c: { enumValues: [{ name: 'title' }, { name: 'published' }] },
    });
  });
});
