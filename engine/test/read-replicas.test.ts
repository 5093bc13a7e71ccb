/**
 * Read replicas (Hasura's `read_replicas`, here through HASURA_GRAPHQL_READ_REPLICA_URLS) against
 * real processes: a primary and a real streaming replica of it (embedded Postgres, seeded by a
 * base backup: stack/src/postgres-replica.ts). Queries and subscriptions read from the replica,
 * mutations write to the primary; a stream on the replica gets every row exactly once while
 * replication lags (replay paused) and while reads move to the primary and back; a stopped replica
 * sends reads to the primary without a failed request, and a restarted one gets them back.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, query, sql } from '@streamsync/database';
import { waitFor } from '@streamsync/testing';
import { startEmbeddedPostgres, type EmbeddedServer } from '@streamsync/stack/embedded-postgres';
import { freePorts } from '@streamsync/stack/ports';
import { prepareDatabase } from '@streamsync/stack/postgres';
import {
  dropReplicaSlot,
  startReplica,
  type ReplicaServer,
} from '@streamsync/stack/postgres-replica';
import { loadConfig } from '../src/config.ts';
import { startEngine, type RunningEngine } from '../src/server.ts';
import { PROJECT_METADATA, gql } from './helpers.ts';
import { metric, RawClient, wsUrl } from './live-helpers.ts';

let root: string;
let primary: EmbeddedServer;
let replica: ReplicaServer;
let replicaPort: number;
let engine: RunningEngine;
let writers: pg.Pool;
/** superuser sessions: replay control and pg_stat_activity on each server */
let onPrimary: pg.Pool;
let onReplica: pg.Pool;
const logLines: string[] = [];
const BASE = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const at = (ms: number) => new Date(BASE + ms).toISOString();
const THROWAWAY = { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' };
// pg_stat_activity shows statements whole, so a test can tell which server ran which statement
const WHOLE_STATEMENTS = { track_activity_query_size: 65536 };

async function replicaUp(settings: Record<string, string> = {}): Promise<ReplicaServer> {
  return startReplica({
    primaryUrl: primary.url,
    dataDir: path.join(root, 'replica'),
    port: replicaPort,
    settings: { ...THROWAWAY, ...WHOLE_STATEMENTS, ...settings },
  });
}

beforeAll(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'streamsync-replica-'));
  await fs.chmod(root, 0o755); // the servers run as the postgres user when we are root
  const [primaryPort, port] = await freePorts(2);
  replicaPort = port!;
  primary = await startEmbeddedPostgres({
    dataDir: path.join(root, 'primary'),
    port: primaryPort!,
    database: 'streamsync',
    settings: { ...THROWAWAY, ...WHOLE_STATEMENTS },
  });
  await prepareDatabase(primary.url, { seeds: true });
  replica = await replicaUp();
  onPrimary = createPool({ connectionString: primary.url, applicationName: 'test-admin', max: 2 });
  onReplica = createPool({ connectionString: replica.url, applicationName: 'test-admin', max: 2 });
  writers = createPool({ connectionString: primary.url, applicationName: 'test-writers', max: 8 });
  engine = await startEngine(
    loadConfig({
      HASURA_GRAPHQL_METADATA_DATABASE_URL: primary.url,
      PG_DATABASE_URL: primary.url,
      HASURA_GRAPHQL_READ_REPLICA_URLS: replica.url,
      STREAMSYNC_ENGINE_READ_REPLICA_HEALTH_INTERVAL: '200',
      HASURA_GRAPHQL_SERVER_PORT: '0',
      HASURA_GRAPHQL_STREAMING_QUERIES_MULTIPLEXED_REFETCH_INTERVAL: '50',
      STREAMSYNC_ENGINE_EVENT_WAKEUPS: 'false',
      ...PROJECT_METADATA,
    }),
    { logger: pino({ level: 'info' }, { write: (line: string) => void logLines.push(line) }) },
  );
}, 120_000);

afterAll(async () => {
  await engine?.close();
  for (const p of [writers, onPrimary, onReplica]) await p?.end().catch(() => {});
  await replica?.stop();
  if (primary && replica) await dropReplicaSlot(primary.url, replica.slot).catch(() => {});
  await primary?.stop();
  if (root) await fs.rm(root, { recursive: true, force: true });
});

/** Connections of the engine's replica pools on a server (their application_name). */
async function replicaPoolSessions(server: pg.Pool, like = '%'): Promise<number> {
  const { rows } = await query<{ n: number }>(
    server,
    sql`SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE application_name = 'streamsync-engine-replica' AND query LIKE ${sql.value(like)}`,
  );
  return rows[0]!.n;
}

const READINGS = `query ($e: bigint!) { sensor_readings(where: {entity_id: {_eq: $e}}) { ts } }`;
const INSERT = `mutation ($e: bigint!, $ts: timestamptz!) {
  insert_sensor_readings_one(object: {entity_id: $e, ts: $ts, temperature: 1}) { entity_id }
}`;

async function replayPaused<T>(work: () => Promise<T>): Promise<T> {
  await query(onReplica, sql`SELECT pg_wal_replay_pause()`);
  try {
    return await work();
  } finally {
    await query(onReplica, sql`SELECT pg_wal_replay_resume()`);
  }
}

describe('Engine > Read replicas > Routing', () => {
  it('should answer queries from the replica and run mutations on the primary', async () => {
    const seen = await replayPaused(async () => {
      const m = await gql(engine, INSERT, { e: 70, ts: at(1000) });
      expect(m.errors).toBeUndefined(); // a replica would refuse the write (read-only)
      // the row is on the primary, but the replica has not replayed it: the query does not see it
      const q = await gql(engine, READINGS, { e: 70 });
      expect(q.errors).toBeUndefined();
      return q.data!.sensor_readings as unknown[];
    });
    expect(seen).toEqual([]);
    await waitFor('the replica to replay the row', async () => {
      const q = await gql(engine, READINGS, { e: 70 });
      return (q.data?.sensor_readings as unknown[] | undefined)?.length === 1;
    });
    // and the connections say the same: the query ran on the replica, never on the primary
    expect(await replicaPoolSessions(onReplica, '%sensor_readings%')).toBeGreaterThan(0);
    expect(await replicaPoolSessions(onPrimary)).toBe(0);
    expect(await metric(engine, 'engine_read_replica_up')).toBe(1);
  });

  it('should not trust a standby’s own snapshot (why streams bound their windows there)', async () => {
    const open = await writers.connect();
    try {
      await query(open, sql`BEGIN`);
      const { rows } = await query<{ xid: string }>(
        open,
        sql`SELECT pg_current_xact_id()::text AS xid`,
      );
      const xid = rows[0]!.xid;
      // a later transaction completes, so the open one is below every snapshot's xmax
      await query(writers, sql`SELECT pg_current_xact_id()`);
      await waitFor('the replica to replay past it', async () => {
        const r = await query<{ past: boolean }>(
          onReplica,
          sql`SELECT pg_snapshot_xmax(pg_current_snapshot()) > ${sql.value(xid)}::xid8 AS past`,
        );
        return r.rows[0]!.past;
      });
      // on the primary the running transaction is listed; on the standby it is not
      const list = async (server: pg.Pool) =>
        (
          await query<{ xip: string[] }>(
            server,
            sql`SELECT ARRAY(SELECT x::text FROM pg_snapshot_xip(pg_current_snapshot()) AS x) AS xip`,
          )
        ).rows[0]!.xip;
      expect(await list(onPrimary)).toContain(xid);
      expect(await list(onReplica)).not.toContain(xid);
      // yet the standby knows it runs: its xmin is not past it
      const { rows: xmin } = await query<{ below: boolean }>(
        onReplica,
        sql`SELECT pg_snapshot_xmin(pg_current_snapshot()) <= ${sql.value(xid)}::xid8 AS below`,
      );
      expect(xmin[0]!.below).toBe(true);
    } finally {
      await query(open, sql`ROLLBACK`).catch(() => {});
      open.release();
    }
  });
});

type Row = { entity_id: number; ts: string };
const key = (r: Row) => `${r.entity_id}@${Date.parse(r.ts)}`;
const checksum = (keys: Iterable<string>) =>
  createHash('sha256')
    .update([...keys].sort().join('\n'))
    .digest('hex');

async function openStream(from: number, ids: number[], batch = 7) {
  const c = await RawClient.open(wsUrl(engine), 'graphql-transport-ws');
  await c.init();
  c.send({
    id: 's',
    type: 'subscribe',
    payload: {
      query: `subscription ($from: timestamptz!, $ids: [bigint!]!, $n: Int!) {
        sensor_readings_stream(batch_size: $n, cursor: {initial_value: {ts: $from}, ordering: ASC},
                               where: {entity_id: {_in: $ids}}) { entity_id ts }
      }`,
      variables: { from: at(from), ids, n: batch },
    },
  });
  const rows = () =>
    c.of('s').flatMap((f) => {
      const p = f.payload as { data?: { sensor_readings_stream: Row[] }; errors?: unknown };
      if (!p.data) throw new Error(`stream error: ${JSON.stringify(p.errors)}`);
      return p.data.sensor_readings_stream;
    });
  return { c, rows };
}

/** Writers on the primary: transactions of a few rows each, held open a little so commits interleave. */
function writeLoad(entities: number[], from: number, committed: Set<string>, pauseMs = 0) {
  let stop = false;
  let n = 0;
  const writer = async (entity: number) => {
    while (!stop) {
      const client = await writers.connect();
      try {
        await query(client, sql`BEGIN`);
        const mine: string[] = [];
        for (let r = 0; r < 3; r++) {
          // descending within a writer and interleaved across writers: commits out of cursor order
          const ms = from + 500_000 - n++ * 10;
          await query(
            client,
            sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature)
                VALUES (${sql.value(entity)}, ${sql.value(at(ms))}::timestamptz, 1)`,
          );
          mine.push(`${entity}@${BASE + ms}`);
        }
        await sleep(5 + ((n * 7) % 20));
        await query(client, sql`COMMIT`);
        for (const k of mine) committed.add(k);
        if (pauseMs) await sleep(pauseMs);
      } finally {
        client.release();
      }
    }
  };
  const done = Promise.all(entities.map(writer));
  return async () => {
    stop = true;
    await done;
  };
}

describe('Engine > Read replicas > Streams', () => {
  it('should deliver every row exactly once on a replica whose replay lags', async () => {
    const entities = [71, 72, 73];
    const s = await openStream(0, entities);
    const committed = new Set<string>();
    const stopWriting = writeLoad(entities, 0, committed);
    try {
      // the replica falls behind twice: replay paused while the writers go on
      for (let i = 0; i < 2; i++) {
        await sleep(400);
        await replayPaused(() => sleep(1200));
      }
      // a transaction left open across the lag commits last, with the lowest cursor value
      const late = await writers.connect();
      try {
        await query(late, sql`BEGIN`);
        await query(
          late,
          sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature)
            VALUES (71, ${sql.value(at(1))}::timestamptz, 1)`,
        );
        await replayPaused(() => sleep(800));
        await query(late, sql`COMMIT`);
        committed.add(`71@${BASE + 1}`);
      } finally {
        late.release();
      }
    } finally {
      await stopWriting();
    }
    await s.c.until(() => s.rows().length >= committed.size, `${committed.size} rows`, 30_000);
    await sleep(300); // a duplicate would come in the next polls
    const received = s.rows().map(key);
    expect(received.length).toBe(committed.size);
    expect(new Set(received).size).toBe(received.length);
    expect(checksum(received)).toBe(checksum(committed));
    // the stream was read on the replica
    // (a connection's last statement may be the replay-position check that precedes each poll)
    await waitFor(
      'a stream poll among the replica’s sessions',
      async () => (await replicaPoolSessions(onReplica, '%pg_visible_in_snapshot%')) > 0,
    );
    expect(await replicaPoolSessions(onPrimary, '%pg_visible_in_snapshot%')).toBe(0);
    s.c.close();
  });
});

describe('Engine > Read replicas > Failover', () => {
  it('should read from the primary while the replica is down and return to it when it is back', async () => {
    const entities = [81, 82];
    const BURST = 84;
    const s = await openStream(0, [...entities, BURST], 5);
    const committed = new Set<string>();
    const stopWriting = writeLoad(entities, 0, committed, 50);
    try {
      await sleep(500);
      const fallbacksBefore = await metric(engine, 'engine_read_replica_fallback_reads_total');

      await replica.stop();
      // every query answers while the replica is gone (the first one that finds it gone is re-run
      // on the primary); the health check takes the replica out
      const failed: unknown[] = [];
      const deadline = Date.now() + 2000;
      while (Date.now() < deadline) {
        const q = await gql(engine, READINGS, { e: 81 });
        if (q.errors || !Array.isArray(q.data?.sensor_readings)) failed.push(q);
      }
      expect(failed).toEqual([]);
      expect(await metric(engine, 'engine_read_replica_up')).toBe(0);
      expect(await metric(engine, 'engine_read_replica_fallback_reads_total')).toBeGreaterThan(
        fallbacksBefore,
      );
      expect(logLines.some((l) => l.includes('read replica is not answering'))).toBe(true);

      // a burst the primary starts streaming (its window taken there) and is still sending, five
      // rows a poll, when the replica is back, five seconds behind: the replica does not see the
      // burst yet, so the stream must wait for it rather than read an empty window and move on
      const { rows: burst } = await query<{ ms: number }>(
        writers,
        sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature)
            SELECT ${sql.value(BURST)}, ${sql.value(at(0))}::timestamptz + i * interval '1 ms', 1
              FROM generate_series(1, 3000) AS i
            RETURNING (extract(epoch FROM ts) * 1000)::float8 AS ms`,
      );
      for (const r of burst) committed.add(`${BURST}@${r.ms}`);
      await s.c.until(
        () => s.rows().some((r) => r.entity_id === BURST),
        'the burst to start on the primary',
      );
      const waitsBefore = await metric(engine, 'engine_subscription_stream_replica_waits_total');
      replica = await replicaUp({ recovery_min_apply_delay: '5s' });
      await waitFor(
        'the engine to take the replica back',
        async () => (await metric(engine, 'engine_read_replica_up')) === 1,
      );
      expect(logLines.some((l) => l.includes('read replica is back'))).toBe(true);
      for (let i = 0; i < 5; i++) {
        expect((await gql(engine, READINGS, { e: 81 })).errors).toBeUndefined();
      }
      // queries read from it again: a row just written is not there yet (it applies commits
      // five seconds late), where the primary would show it
      expect((await gql(engine, INSERT, { e: 83, ts: at(5000) })).errors).toBeUndefined();
      expect((await gql(engine, READINGS, { e: 83 })).data?.sensor_readings).toEqual([]);
      await waitFor('the delayed replica to apply the row', async () => {
        const q = await gql(engine, READINGS, { e: 83 });
        return (q.data?.sensor_readings as unknown[] | undefined)?.length === 1;
      });

      await sleep(500);
      expect(
        await metric(engine, 'engine_subscription_stream_replica_waits_total'),
      ).toBeGreaterThan(waitsBefore);
    } finally {
      await stopWriting();
    }
    await s.c.until(() => s.rows().length >= committed.size, `${committed.size} rows`, 30_000);
    await sleep(300);
    const received = s.rows().map(key);
    expect(received.length).toBe(committed.size);
    expect(checksum(received)).toBe(checksum(committed));
    s.c.close();
  });
});
