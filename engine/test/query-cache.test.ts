/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked field by field */
/**
 * `@cached(ttl:)` against real Postgres, with the in-process store and with a real Redis
 * (redis-server started on a free port; a missing redis-server fails the test): a cached answer
 * is served until its TTL even though the rows changed, with Hasura's headers; the key keeps
 * roles and sessions apart (a user never reads another user's rows), and two engines on one
 * Redis share answers. `refresh: true` runs the query again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@streamsync/stack/ports';
import { startRedis, type RunningRedis } from '@streamsync/stack/redis';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { metadata, runSql, startTestEngine } from './helpers.ts';
import { MemoryQueryCache } from '../src/cache/store.ts';

let db: TestDatabase;
let engine: RunningEngine;

async function post(e: RunningEngine, query: string, headers: Record<string, string> = {}) {
  const r = await fetch(`${e.url}/v1/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { headers: r.headers, body: (await r.json()) as any };
}

const MINE = 'query @cached(ttl: 300) { notes(order_by: {id: asc}) { body } }';
const user = (id: string) => ({ 'x-hasura-role': 'user', 'x-hasura-user-id': id });

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'engine_qcache' });
  engine = await startTestEngine(db);
  await runSql(
    engine,
    `CREATE TABLE notes (id serial PRIMARY KEY, owner text NOT NULL, body text NOT NULL);
     INSERT INTO notes (owner, body) VALUES ('ann', 'ann-1'), ('bob', 'bob-1');`,
  );
  await metadata(engine, { type: 'pg_track_table', args: { table: 'notes' } });
  await metadata(engine, {
    type: 'pg_create_select_permission',
    args: {
      table: 'notes',
      role: 'user',
      permission: { columns: ['id', 'body'], filter: { owner: { _eq: 'X-Hasura-User-Id' } } },
    },
  });
});

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

describe('Engine > Query cache > in process', () => {
  it("should serve the stored answer until its TTL, with Hasura's headers", async () => {
    const first = await post(engine, MINE);
    expect(first.body.data.notes).toEqual([{ body: 'ann-1' }, { body: 'bob-1' }]);
    expect(first.headers.get('cache-control')).toBe('max-age=300');
    const key = first.headers.get('x-hasura-query-cache-key');
    expect(key).toMatch(/^[0-9a-f]{40}$/);
    await runSql(engine, "INSERT INTO notes (owner, body) VALUES ('ann', 'ann-2')");
    const second = await post(engine, MINE);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('x-hasura-query-cache-key')).toBe(key);
    // the same query without the directive reads the table
    const live = await post(engine, 'query { notes(order_by: {id: asc}) { body } }');
    expect(live.body.data.notes).toHaveLength(3);
    expect(live.headers.get('cache-control')).toBeNull();
    const refreshed = await post(engine, MINE.replace('ttl: 300', 'ttl: 300, refresh: true'));
    expect(refreshed.body.data.notes).toHaveLength(3);
  });

  it('should never give one session or role the answer of another', async () => {
    const ann = await post(engine, MINE, user('ann'));
    const bob = await post(engine, MINE, user('bob'));
    expect(ann.body.data.notes).toEqual([{ body: 'ann-1' }, { body: 'ann-2' }]);
    expect(bob.body.data.notes).toEqual([{ body: 'bob-1' }]);
    expect(ann.headers.get('x-hasura-query-cache-key')).not.toBe(
      bob.headers.get('x-hasura-query-cache-key'),
    );
    // a session variable the permissions do not read does not split the cache
    const again = await post(engine, MINE, { ...user('bob'), 'x-hasura-team': 'x' });
    expect(again.headers.get('x-hasura-query-cache-key')).toBe(
      bob.headers.get('x-hasura-query-cache-key'),
    );
    const admin = await post(engine, MINE, { 'x-hasura-role': 'admin' });
    expect(admin.body.data.notes).toHaveLength(2); // admin's own (older) answer, not a user's
  });

  it('should refuse a TTL beyond the maximum', async () => {
    const r = await post(engine, 'query @cached(ttl: 100000) { notes { body } }');
    expect(r.body.errors[0].extensions.code).toBe('validation-failed');
  });

  it('should keep the in-process store within its bounds', async () => {
    let now = 0;
    const store = new MemoryQueryCache(2, 10, () => now);
    await store.set('a', '12345', 1);
    await store.set('b', '12345', 1);
    await store.set('c', '1', 1); // over 10 bytes: a goes
    expect(await store.get('a')).toBeNull();
    expect(await store.get('b')).toEqual({ body: '12345', ttl: 1 });
    await store.set('d', '1', 1); // over 2 entries: c (least recently used) goes
    expect(await store.get('c')).toBeNull();
    now = 1000;
    expect(await store.get('b')).toBeNull();
    expect(store.size).toBe(1);
  });
});

describe('Engine > Query cache > Redis', () => {
  let redis: RunningRedis;
  let url: string;
  const engines: RunningEngine[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    url = redis.url;
    engines.push(await startTestEngine(db, { HASURA_GRAPHQL_REDIS_URL: url }));
    engines.push(await startTestEngine(db, { HASURA_GRAPHQL_REDIS_URL: url }));
  });

  afterAll(async () => {
    for (const e of engines) await e.close();
    await redis?.stop();
  });

  it('should share answers between engines on one Redis, per session', async () => {
    const q = 'query @cached(ttl: 120) { notes(order_by: {id: asc}) { body } }';
    const [a, b] = engines as [RunningEngine, RunningEngine];
    const first = await post(a, q, user('bob'));
    expect(first.body.data.notes).toEqual([{ body: 'bob-1' }]);
    await runSql(a, "INSERT INTO notes (owner, body) VALUES ('bob', 'bob-2')");
    const fromOther = await post(b, q, user('bob'));
    expect(fromOther.body).toEqual(first.body);
    expect(Number(fromOther.headers.get('cache-control')?.split('=')[1])).toBeGreaterThan(100);
    const ann = await post(b, q, user('ann'));
    expect(ann.body.data.notes.map((n: any) => n.body)).toEqual(['ann-1', 'ann-2']);
  });

  it('should refuse to start when Redis cannot be reached, naming the key', async () => {
    const port = await freePort();
    await expect(
      startTestEngine(db, { HASURA_GRAPHQL_REDIS_URL: `redis://127.0.0.1:${port}` }),
    ).rejects.toThrow(/HASURA_GRAPHQL_REDIS_URL/);
  });
});
