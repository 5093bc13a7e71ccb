import pg from 'pg';
import pino from 'pino';
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ReadReplicas, replicaUrls, type ReadTarget } from './read-replicas.ts';

describe('Engine > Read replicas > Settings', () => {
  const env = { REPLICA_A: 'postgres://u:p@a:5432/db' };

  it('should take the source’s read_replicas, from_env or inline, over the environment list', () => {
    const got = replicaUrls(
      {
        read_replicas: [
          { database_url: { from_env: 'REPLICA_A' } },
          { database_url: 'postgresql://u:p@b:5432/db' },
        ],
      },
      env,
      ['postgres://ignored/db'],
    );
    expect(got).toEqual({
      urls: ['postgres://u:p@a:5432/db', 'postgresql://u:p@b:5432/db'],
      problems: [],
    });
  });

  it('should use HASURA_GRAPHQL_READ_REPLICA_URLS when the source names none', () => {
    expect(replicaUrls({ connection_info: {} }, env, ['postgres://x/db'])).toEqual({
      urls: ['postgres://x/db'],
      problems: [],
    });
    expect(replicaUrls(undefined, env, [])).toEqual({ urls: [], problems: [] });
  });

  it('should leave out, and name, a replica whose URL cannot be resolved', () => {
    const got = replicaUrls(
      { read_replicas: [{ database_url: { from_env: 'MISSING' } }, { database_url: 42 }] },
      env,
      [],
    );
    expect(got.urls).toEqual([]);
    expect(got.problems).toEqual([
      "read_replicas[0]: environment variable 'MISSING' not set",
      'read_replicas[1]: database_url is not a postgres:// URL or {from_env}',
    ]);
  });
});

describe('Engine > Read replicas > Routing', () => {
  // pools that never connect: the router only hands them out
  const primary = new pg.Pool({ connectionString: 'postgres://p@127.0.0.1:1/p' });

  function router(): ReadReplicas {
    return new ReadReplicas({
      primary,
      poolMax: 1,
      healthIntervalMs: 0,
      log: pino({ level: 'silent' }),
      registry: new client.Registry(),
    });
  }

  it('should read from the primary when no replica is configured', async () => {
    const r = router();
    expect(await r.run(async (t) => t.name)).toBe('primary');
  });

  it('should re-run on the primary a read that finds its replica unreachable, and keep it out', async () => {
    const r = router();
    r.configure(['postgres://u:secret@127.0.0.1:2/db']);
    const seen: ReadTarget[] = [];
    const answer = await r.run(async (t) => {
      seen.push(t);
      if (t.replica)
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return 'ok';
    });
    expect(answer).toBe('ok');
    expect(seen.map((t) => t.name)).toEqual(['postgres://u:***@127.0.0.1:2/db', 'primary']);
    // taken out: the next read goes straight to the primary
    expect(await r.run(async (t) => t.name)).toBe('primary');
    await r.stop();
  });

  it('should pass on an error of the statement itself without trying elsewhere', async () => {
    const r = router();
    r.configure(['postgres://u@127.0.0.1:2/db']);
    const seen: string[] = [];
    await expect(
      r.run(async (t) => {
        seen.push(t.name);
        throw Object.assign(new Error('division by zero'), { code: '22012' });
      }),
    ).rejects.toThrow('division by zero');
    expect(seen).toEqual(['postgres://u@127.0.0.1:2/db']);
    await r.stop();
  });
});
