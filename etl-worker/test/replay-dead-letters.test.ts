/**
 * Replaying dead letters end to end, on the real broker and Postgres, with the project's own
 * hasura/ metadata: a pipeline refuses messages (dead letters), the pipeline is fixed, an admin
 * calls the `replay_dead_letters` action on the GraphQL server (engine/, in a process of its own,
 * as `npm start` runs it), the server calls the worker's /hooks/replay-dead-letters with the
 * shared secret, the worker re-publishes the letters to their source topic, and the rows load.
 * A non-admin role cannot see the action; the hook refuses calls without the secret.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { query, sql, type Queryable } from '@streamsync/database';
import { waitFor } from '@streamsync/testing';
import {
  createTopic,
  disableSeedPipelines,
  freshDatabase,
  onCleanup,
  producer,
  REPO_ROOT,
  startWorker,
  uid,
  useWorkerCleanup,
} from './harness.ts';

useWorkerCleanup();

const SECRET = 'replay-webhook-secret-0123456789abcdef';
const ADMIN_SECRET = 'replay-admin-secret';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The GraphQL server as `npm start` runs it, over `dbUrl`, with hasura/metadata applied. */
async function startGraphqlServer(dbUrl: string, webhookBase: string): Promise<string> {
  const port = await freePort();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('HASURA_GRAPHQL_') && k !== 'PG_DATABASE_URL') env[k] = v;
  let output = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'engine/src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      ...env,
      HASURA_GRAPHQL_METADATA_DATABASE_URL: dbUrl,
      PG_DATABASE_URL: dbUrl,
      HASURA_GRAPHQL_SERVER_HOST: '127.0.0.1',
      HASURA_GRAPHQL_SERVER_PORT: String(port),
      HASURA_GRAPHQL_METADATA_DIR: path.join(REPO_ROOT, 'hasura', 'metadata'),
      HASURA_GRAPHQL_ADMIN_SECRET: ADMIN_SECRET,
      STREAMSYNC_WEBHOOK_BASE: webhookBase,
      STREAMSYNC_WEBHOOK_SECRET: SECRET,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  onCleanup(async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    'the GraphQL server to answer /healthz',
    async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok === true,
    { abort: () => (child.exitCode !== null ? `it exited: ${output.slice(-2000)}` : undefined) },
  );
  return url;
}

async function graphql(
  url: string,
  q: string,
  variables: unknown,
  headers: Record<string, string>,
) {
  const r = await fetch(`${url}/v1/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: q, variables }),
  });
  expect(r.status).toBe(200);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
  return (await r.json()) as { data?: any; errors?: Array<{ message: string; extensions: any }> };
}

async function count(db: Queryable, text: ReturnType<typeof sql>): Promise<number> {
  const { rows } = await query<{ n: string }>(db, text);
  return Number(rows[0]!.n);
}

const REPLAY = `mutation ($pipeline: String!, $since: timestamptz, $ids: [bigint!]) {
  replay_dead_letters(pipeline: $pipeline, since: $since, ids: $ids) { sent ids }
}`;

describe('ETL worker > replaying dead letters through the GraphQL action', () => {
  it('should re-publish fixed dead letters to their topic when an admin asks, and load them', async () => {
    const db = await freshDatabase();
    const brokers = inject('kafkaBrokers');
    const id = uid();
    const topic = `etl-test-replay-${id}`;
    const table = `meters_${id}`;
    const pipeline = `meters_${id}`;
    await disableSeedPipelines(db.pool);
    await createTopic(brokers, topic, 2);
    await query(
      db.pool,
      sql`CREATE TABLE ${sql.ident('public', table)} (
            entity_id bigint NOT NULL, ts timestamptz NOT NULL,
            reading double precision NOT NULL, PRIMARY KEY (entity_id, ts))`,
    );
    // the declaration reads the wrong field: every message is refused (missing_field)
    await query(
      db.pool,
      sql`INSERT INTO etl.pipelines (name, description, topics, target_table, entity, mapping,
                                     time_field, time_format, key_columns)
          VALUES (${sql.value(pipeline)}, 'meters, replay test', ${sql.value([topic], 'text[]')},
                  ${sql.value(table)},
                  ${sql.value(JSON.stringify({ kind: 'meter', key: '$.meter' }))}::jsonb,
                  ${sql.value(JSON.stringify({ reading: { path: '$.value', type: 'float8', required: true } }))}::jsonb,
                  '$.t', 'epoch_ms', ARRAY['entity_id', 'ts'])`,
    );
    const worker = await startWorker({
      databaseUrl: db.url,
      brokers,
      groupId: `etl-test-${id}`,
      deadLetterTopic: `etl-test-dlq-${id}`,
      name: 'replay',
      env: { STREAMSYNC_WEBHOOK_SECRET: SECRET },
    });
    const base = Date.now() - 3_600_000;
    const messages = Array.from({ length: 30 }, (_, n) => ({
      key: `m${id}-${n % 3}`,
      value: JSON.stringify({ meter: `m${id}-${n % 3}`, t: base + n * 1000, v: n }),
      headers: { 'x-test-seq': String(n) },
    }));
    const kafka = await producer(brokers);
    await kafka.send(topic, messages);
    const letters = sql`SELECT count(*)::text AS n FROM etl.dead_letters
                         WHERE pipeline = ${sql.value(pipeline)} AND error_code = 'missing_field'`;
    await waitFor('30 dead letters', async () => (await count(db.pool, letters)) === 30);
    const loaded = sql`SELECT count(*)::text AS n FROM ${sql.ident('public', table)}`;
    expect(await count(db.pool, loaded)).toBe(0);

    const server = await startGraphqlServer(db.url, worker.url);
    const admin = { 'x-hasura-admin-secret': ADMIN_SECRET };

    // a non-admin role does not have the action; nothing is sent
    const denied = await graphql(
      server,
      REPLAY,
      { pipeline },
      { ...admin, 'x-hasura-role': 'user' },
    );
    expect(denied.errors?.[0]?.extensions.code).toBe('validation-failed');
    expect(denied.errors?.[0]?.message).toContain('replay_dead_letters');
    // nor can the worker's hook be called without the shared secret
    const direct = await fetch(`${worker.url}/hooks/replay-dead-letters`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ input: { pipeline } }),
    });
    expect(direct.status).toBe(401);
    // an unknown pipeline is the handler's own error, in Hasura's shape
    const unknown = await graphql(server, REPLAY, { pipeline: 'no_such_pipeline' }, admin);
    expect(unknown.errors?.[0]).toMatchObject({
      message: 'no pipeline named "no_such_pipeline"',
      extensions: { code: 'unknown-pipeline' },
    });

    // fix the pipeline, then replay as admin: first two chosen letters, then the rest
    await query(
      db.pool,
      sql`UPDATE etl.pipelines
             SET mapping = '{"reading": {"path": "$.v", "type": "float8", "required": true}}'::jsonb
           WHERE name = ${sql.value(pipeline)}`,
    );
    await waitFor('the worker to take the fixed declaration', async () => {
      const r = await fetch(`${worker.url}/readyz`);
      const body = (await r.json()) as { pipelines?: string[] };
      return r.status === 200 && (body.pipelines ?? []).includes(pipeline);
    });
    // the fix takes a poll to be read; dead letters replayed before it would fail again
    await new Promise((r) => setTimeout(r, 2500));
    const { rows: some } = await query<{ id: string }>(
      db.pool,
      sql`SELECT id::text FROM etl.dead_letters WHERE pipeline = ${sql.value(pipeline)} ORDER BY id LIMIT 2`,
    );
    const first = await graphql(server, REPLAY, { pipeline, ids: some.map((r) => r.id) }, admin);
    expect(first.errors).toBeUndefined();
    expect(first.data.replay_dead_letters.sent).toBe(2);
    expect(first.data.replay_dead_letters.ids.map(String)).toEqual(some.map((r) => r.id));
    const rest = await graphql(
      server,
      REPLAY,
      { pipeline, since: new Date(0).toISOString() },
      admin,
    );
    expect(rest.data.replay_dead_letters.sent).toBe(28);
    // nothing is left to replay
    const again = await graphql(server, REPLAY, { pipeline }, admin);
    expect(again.data.replay_dead_letters).toEqual({ sent: 0, ids: [] });

    await waitFor(
      'every replayed message loaded',
      async () => (await count(db.pool, loaded)) === 30,
    );
    const { rows } = await query<{ s: string }>(
      db.pool,
      sql`SELECT sum(reading)::text AS s FROM ${sql.ident('public', table)}`,
    );
    expect(Number(rows[0]!.s)).toBe((29 * 30) / 2);
    const replayed = sql`SELECT count(*)::text AS n FROM etl.dead_letters
                          WHERE pipeline = ${sql.value(pipeline)} AND replayed_at IS NOT NULL
                            AND replay_count = 1`;
    expect(await count(db.pool, replayed)).toBe(30);
    // and no new dead letters: the fixed pipeline loaded every replayed message
    expect(
      await count(
        db.pool,
        sql`SELECT count(*)::text AS n FROM etl.dead_letters WHERE pipeline = ${sql.value(pipeline)}`,
      ),
    ).toBe(30);
    await kafka.close();
  }, 180_000);
});
