/**
 * bench/actions: what an action costs over the handler it calls, in one run.
 *
 *   npm run bench:actions [-- --requests 2000 --concurrency 16 --async 1000 --label <text>]
 *
 * The engine runs in its own process (Hasura's default action settings); the handler is an HTTP
 * server in this process that answers at once, so what is measured is the engine's share.
 *
 * 1. Synchronous: `requests` queries at `concurrency` in flight, of
 *    - the handler called directly (the floor),
 *    - a table read by primary key through the engine (the ordinary query path),
 *    - a query action answering an object,
 *    - the same with a relationship from the output to a table (one more SQL statement).
 *    Reported per kind: requests per second and latency percentiles.
 * 2. Asynchronous: `async` mutations stored at `concurrency` in flight, then the time until the
 *    engine's worker processed every one (calls per second), and each call's time from stored to
 *    answered (hdb_action_log.created_at → response_received_at).
 *
 * Progress goes to stderr; the last stdout line is the JSON result, also written to
 * bench/results/actions-<time>.json. Needs a Postgres where it may create a throwaway database
 * (DATABASE_URL, else the system Postgres at 127.0.0.1:5432).
 */
import http from 'node:http';
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createPool, query, sql } from '@streamsync/database';
import { startEngineProcess, stats, type EngineProcess } from '../live/support.ts';
import { cliOptions } from '../cli.ts';
import { machineLoad, saveResult } from '../results.ts';

const opt = cliOptions(process.argv.slice(2), import.meta.url, [
  'requests',
  'concurrency',
  'async',
  'label',
]);
const REQUESTS = Number(opt('requests', '2000'));
const CONCURRENCY = Number(opt('concurrency', '16'));
const ASYNC = Number(opt('async', '1000'));
const LABEL = opt('label', '');
const ROWS = 1000;

const log = (line: string) => console.error(`[bench/actions] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startHandler(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { input: { id: number } };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: body.input.id, name: `item ${body.input.id}` }));
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** `total` calls of `one(i)` with `concurrency` in flight: throughput and latencies. */
async function drive(total: number, concurrency: number, one: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < total; i = next++) {
        const t = performance.now();
        await one(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { per_s: Math.round(total / seconds), ...stats(latencies) };
}

async function main(): Promise<void> {
  const started = new Date();
  const loadAtStart = os.loadavg();
  const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `bench_actions_${randomBytes(4).toString('hex')}`;
  const admin = createPool({
    connectionString: adminUrl,
    applicationName: 'bench-actions',
    max: 1,
  });
  await query(admin, sql`CREATE DATABASE ${sql.ident(name)}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  const dbUrl = u.toString();
  const pool = createPool({ connectionString: dbUrl, applicationName: 'bench-actions', max: 2 });
  const handler = await startHandler();
  let engine: EngineProcess | undefined;
  try {
    await query(pool, sql`CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL)`);
    await query(
      pool,
      sql`INSERT INTO item SELECT i, 'item ' || i FROM generate_series(1, ${sql.value(ROWS)}) i`,
    );
    engine = await startEngineProcess(dbUrl, {
      HASURA_GRAPHQL_METADATA_DIR: '',
      HANDLER_BASE: handler.url,
    });
    const url = engine.url;
    const post = async (endpoint: string, body: unknown) => {
      const r = await fetch(`${url}${endpoint}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await r.text();
      if (r.status !== 200 || text.includes('"errors"')) throw new Error(`${endpoint}: ${text}`);
      return JSON.parse(text) as { data: Record<string, unknown> };
    };
    const md = (body: unknown) => post('/v1/metadata', body);
    await md({ type: 'pg_track_table', args: { table: 'item' } });
    await md({
      type: 'set_custom_types',
      args: {
        objects: [
          {
            name: 'Out',
            fields: [
              { name: 'id', type: 'Int!' },
              { name: 'name', type: 'String' },
            ],
            relationships: [
              { name: 'item', type: 'object', remote_table: 'item', field_mapping: { id: 'id' } },
            ],
          },
        ],
      },
    });
    const action = (n: string, definition: Record<string, unknown>) =>
      md({
        type: 'create_action',
        args: {
          name: n,
          definition: {
            arguments: [{ name: 'id', type: 'Int!' }],
            output_type: 'Out',
            handler: '{{HANDLER_BASE}}/echo',
            ...definition,
          },
        },
      });
    await action('echo', { type: 'query' });
    await action('echo_later', { kind: 'asynchronous' });
    const gql = (q: string, i: number) =>
      post('/v1/graphql', { query: q, variables: { id: (i % ROWS) + 1 } });

    const direct = async (i: number) => {
      const r = await fetch(`${handler.url}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ action: { name: 'echo' }, input: { id: i } }),
      });
      await r.text();
    };
    // warm up every path (plans, connections)
    for (let i = 0; i < 50; i++) {
      await direct(i);
      await gql('query ($id: Int!) { item_by_pk(id: $id) { id name } }', i);
      await gql('query ($id: Int!) { echo(id: $id) { id name item { name } } }', i);
    }
    const sync: Record<string, unknown> = {};
    log('sync: handler directly');
    sync.handler_direct = await drive(REQUESTS, CONCURRENCY, direct);
    log('sync: table by primary key');
    sync.table_by_pk = await drive(REQUESTS, CONCURRENCY, (i) =>
      gql('query ($id: Int!) { item_by_pk(id: $id) { id name } }', i).then(() => undefined),
    );
    log('sync: action');
    sync.action = await drive(REQUESTS, CONCURRENCY, (i) =>
      gql('query ($id: Int!) { echo(id: $id) { id name } }', i).then(() => undefined),
    );
    log('sync: action with a relationship');
    sync.action_with_relationship = await drive(REQUESTS, CONCURRENCY, (i) =>
      gql('query ($id: Int!) { echo(id: $id) { id item { name } } }', i).then(() => undefined),
    );

    log(`async: ${ASYNC} calls`);
    const t0 = performance.now();
    const stored = await drive(ASYNC, CONCURRENCY, (i) =>
      post('/v1/graphql', {
        query: `mutation ($id: Int!) { echo_later(id: $id) }`,
        variables: { id: i + 1 },
      }).then(() => undefined),
    );
    for (;;) {
      const { rows } = await query<{ n: string }>(
        pool,
        sql`SELECT count(*)::text AS n FROM hdb_catalog.hdb_action_log WHERE status = 'completed'`,
      );
      if (Number(rows[0]!.n) >= ASYNC) break;
      await sleep(50);
    }
    const allDone = (performance.now() - t0) / 1000;
    const { rows: times } = await query<{ ms: number }>(
      pool,
      sql`SELECT extract(epoch FROM response_received_at - created_at) * 1000 AS ms
            FROM hdb_catalog.hdb_action_log`,
    );
    const out = {
      bench: 'actions',
      label: LABEL || undefined,
      at: started.toISOString(),
      machine: machineLoad(loadAtStart),
      settings: { requests: REQUESTS, concurrency: CONCURRENCY, async: ASYNC },
      sync,
      async: {
        store: stored,
        processed_per_s: Math.round(ASYNC / allDone),
        stored_to_answered: stats(times.map((r) => Number(r.ms))),
      },
      engine_rss_mb: engine.rssMb(),
    };
    saveResult('actions', out, { at: started });
  } finally {
    await engine?.stop().catch(() => {});
    await handler.close();
    await pool.end();
    await query(admin, sql`DROP DATABASE IF EXISTS ${sql.ident(name)} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
