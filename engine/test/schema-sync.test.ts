/**
 * Two engine processes serving one database agree on the metadata: a change made through one
 * reaches the other (NOTIFY, or the poll when a notice is missed), which reloads and tells its
 * listeners (the WebSocket transport closes sockets with 1012 on that event).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, waitFor, type TestDatabase } from '@streamsync/testing';
import type { MetadataChange, RunningEngine } from '../src/server.ts';
import { gql, metadata, runSql, startTestEngine } from './helpers.ts';

let db: TestDatabase;
let a: RunningEngine;
let b: RunningEngine;

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'sync', empty: true });
  a = await startTestEngine(db.url);
  b = await startTestEngine(db.url, { HASURA_GRAPHQL_SCHEMA_SYNC_POLL_INTERVAL: '500' });
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await db?.drop();
});

describe('Engine > Schema sync', () => {
  it('should bring a change made through one engine to the other', async () => {
    const seenA: MetadataChange[] = [];
    const seenB: MetadataChange[] = [];
    a.engine.onMetadataChange((c) => seenA.push(c));
    b.engine.onMetadataChange((c) => seenB.push(c));
    await runSql(
      a,
      `CREATE TABLE device (id serial PRIMARY KEY, name text); INSERT INTO device (name) VALUES ('d1')`,
    );
    await metadata(a, { type: 'pg_track_table', args: { table: 'device' } });
    expect(seenA.map((c) => c.cause)).toEqual(['api']);
    const data = await waitFor('the other engine to serve the new table', async () => {
      const r = await gql(b, `{ device { name } }`);
      return r.data;
    });
    expect(data).toEqual({ device: [{ name: 'd1' }] });
    expect(b.engine.state.resourceVersion).toBe(a.engine.state.resourceVersion);
    expect(seenB.at(-1)).toEqual({
      resourceVersion: a.engine.state.resourceVersion,
      cause: 'sync',
    });
  });

  it('should start a new engine on the stored metadata and keep it in step', async () => {
    const fresh = await startTestEngine(db.url, {
      HASURA_GRAPHQL_SCHEMA_SYNC_POLL_INTERVAL: '300',
    });
    try {
      expect(fresh.engine.state.resourceVersion).toBe(a.engine.state.resourceVersion);
      expect((await gql(fresh, `{ device { name } }`)).data).toEqual({ device: [{ name: 'd1' }] });
      await metadata(a, { type: 'pg_untrack_table', args: { table: 'device' } });
      await waitFor(
        'the new engine to follow the change',
        () => fresh.engine.state.resourceVersion === a.engine.state.resourceVersion,
      );
      const r = await gql(fresh, `{ device { name } }`);
      expect(r.errors![0]!.message).toBe("field 'device' not found in type: 'query_root'");
    } finally {
      await fresh.close();
    }
  });
});
