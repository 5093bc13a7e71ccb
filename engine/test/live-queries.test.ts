/**
 * Live queries through stock clients (urql over graphql-ws, Apollo's subscriptions-transport-ws)
 * and through raw frames: first message, changes, no message for an unchanged result, cohorts
 * and pollers, permissions, variable checks, idle pollers, event wake-ups (with a refetch interval
 * so long that only a wake-up can explain a delivery), and a slow consumer.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, subscriptionExchange } from '@urql/core';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import apollo from 'subscriptions-transport-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHANGE_CHANNEL, encodeChangeNotice, query, sql } from '@streamsync/database';
import { createTestDatabase, waitFor, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { PROJECT_METADATA, startTestEngine } from './helpers.ts';
import { metric, RawClient, wsUrl, type Frame } from './live-helpers.ts';

const { SubscriptionClient } = apollo;

let db: TestDatabase;
let polling: RunningEngine;
let evented: RunningEngine;
let slow: RunningEngine;

const LATEST = `subscription latest($id: bigint!) {
  sensor_readings(where: {entity_id: {_eq: $id}}, order_by: {ts: desc}, limit: 2) { entity_id temperature }
}`;

let tick = 0;
/** Insert one reading of an entity (a new, later timestamp each time). */
async function reading(entityId: number, temperature: number, notify = false): Promise<void> {
  tick++;
  await query(
    db.pool,
    sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature)
        VALUES (${sql.value(entityId)}, now() + make_interval(secs => ${sql.value(tick)}), ${sql.value(temperature)})`,
  );
  if (notify) await changed([entityId]);
}

async function changed(series: number[] | null, table = 'public.sensor_readings'): Promise<void> {
  const payload = encodeChangeNotice({
    tables: [table],
    series: series ? { [table]: series } : {},
  });
  await query(
    db.pool,
    sql`SELECT pg_notify(${sql.value(DEFAULT_CHANGE_CHANNEL)}, ${sql.value(payload)})`,
  );
}

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'live' });
  polling = await startTestEngine(db, {
    ...PROJECT_METADATA,
    HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL: '50',
    STREAMSYNC_ENGINE_EVENT_WAKEUPS: 'false',
  });
  evented = await startTestEngine(db, {
    ...PROJECT_METADATA,
    HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL: '600000',
  });
  slow = await startTestEngine(db, {
    ...PROJECT_METADATA,
    HASURA_GRAPHQL_LIVE_QUERIES_MULTIPLEXED_REFETCH_INTERVAL: '20',
    STREAMSYNC_ENGINE_EVENT_WAKEUPS: 'false',
    STREAMSYNC_ENGINE_WS_SEND_BUFFER_BYTES: '1024',
    STREAMSYNC_ENGINE_WS_MAX_QUEUED_BYTES: '1048576',
  });
  await waitFor('the LISTEN connection', async () => evented.engine.live?.wakeups?.listening);
});

afterAll(async () => {
  await polling?.close();
  await evented?.close();
  await slow?.close();
  await db?.drop();
});

type Result = { data?: Record<string, unknown>; error?: unknown };

function urqlClient(
  e: RunningEngine,
  headers: Record<string, string>,
): { client: Client; ws: WsClient } {
  const ws = createWsClient({
    url: wsUrl(e),
    webSocketImpl: WebSocket,
    connectionParams: { headers },
    retryAttempts: 0,
  });
  const client = new Client({
    url: `${e.url}/v1/graphql`,
    exchanges: [
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              return { unsubscribe: ws.subscribe(input, sink) };
            },
          };
        },
      }),
    ],
  });
  return { client, ws };
}

/** The n-th (1-based) result a client received, once it has. */
async function nthResult<T>(list: T[], n: number, what: string): Promise<T> {
  await waitFor(what, () => list.length >= n);
  return list[n - 1]!;
}

describe('Engine > Live queries > Stock clients', () => {
  it('should serve urql over graphql-ws: a first result, then each change', async () => {
    const { client, ws } = urqlClient(polling, { 'x-hasura-role': 'viewer' });
    const results: Result[] = [];
    const sub = client
      .subscription(LATEST, { id: 3 })
      .subscribe((r) => results.push({ data: r.data, error: r.error }));
    expect((await nthResult(results, 1, 'first result')).data).toEqual({ sensor_readings: [] });
    await reading(3, 21.5);
    expect((await nthResult(results, 2, 'the change')).data).toEqual({
      sensor_readings: [{ entity_id: 3, temperature: 21.5 }],
    });
    sub.unsubscribe();
    await ws.dispose();
  });

  it('should serve subscriptions-transport-ws, with the user role seeing only its own series', async () => {
    const results: Record<string, Result[]> = { owner: [], other: [] };
    const clients = Object.keys(results).map((who) => {
      const c = new SubscriptionClient(
        wsUrl(polling),
        {
          connectionParams: {
            headers: { 'X-Hasura-Role': 'user', 'X-Hasura-User-Id': who === 'owner' ? '1' : '2' },
          },
          reconnect: false,
        },
        WebSocket,
      );
      c.request({ query: LATEST, variables: { id: 4 } }).subscribe({
        next: (r) => results[who]!.push(r as Result),
      });
      return c;
    });
    await nthResult(results.owner!, 1, 'owner first');
    await nthResult(results.other!, 1, 'other first');
    await reading(4, 30);
    expect((await nthResult(results.owner!, 2, 'owner change')).data).toEqual({
      sensor_readings: [{ entity_id: 4, temperature: 30 }],
    });
    // the other user's result never changed: still its single first message, which was empty
    expect(results.other).toEqual([{ data: { sensor_readings: [] } }]);
    for (const c of clients) c.close();
  });
});

describe('Engine > Live queries > Cohorts and pollers', () => {
  it('should send nothing while the result is unchanged, however often it polls', async () => {
    const c = await RawClient.open(wsUrl(polling), 'graphql-transport-ws');
    await c.init();
    c.send({ id: 'u', type: 'subscribe', payload: { query: LATEST, variables: { id: 5 } } });
    await c.until(() => c.of('u').length === 1, 'first message');
    const before = await metric(polling, 'engine_subscription_polls_total', {
      kind: 'live',
      trigger: 'interval',
    });
    await waitFor(
      'five more polls',
      async () =>
        (await metric(polling, 'engine_subscription_polls_total', {
          kind: 'live',
          trigger: 'interval',
        })) >=
        before + 5,
    );
    expect(c.of('u')).toHaveLength(1);
    await reading(5, 1);
    await c.until(() => c.of('u').length === 2, 'the change');
    c.close();
  });

  it('should share one poller across variables and literals, one cohort per value set', async () => {
    const c = await RawClient.open(wsUrl(polling), 'graphql-transport-ws');
    await c.init();
    const pollersBefore = await metric(polling, 'engine_subscription_pollers', { kind: 'live' });
    const lit = (id: number) =>
      `subscription { sensor_readings(where: {entity_id: {_eq: ${id}}}, order_by: {ts: desc}, limit: 2) { entity_id temperature } }`;
    c.send({ id: 'a', type: 'subscribe', payload: { query: LATEST, variables: { id: 6 } } });
    c.send({ id: 'b', type: 'subscribe', payload: { query: LATEST, variables: { id: 6 } } });
    c.send({ id: 'c', type: 'subscribe', payload: { query: LATEST, variables: { id: 7 } } });
    c.send({ id: 'd', type: 'subscribe', payload: { query: lit(6) } });
    c.send({ id: 'e', type: 'subscribe', payload: { query: lit(8) } });
    await c.until(() => ['a', 'b', 'c', 'd', 'e'].every((id) => c.of(id).length >= 1), 'all first');
    // a literal becomes a synthetic variable: `lit(6)` shares the poller of $id = 6, and its cohort
    expect(await metric(polling, 'engine_subscription_pollers', { kind: 'live' })).toBe(
      pollersBefore + 1,
    );
    expect(
      await metric(polling, 'engine_subscription_cohorts', { kind: 'live' }),
    ).toBeGreaterThanOrEqual(3);
    await reading(6, 66);
    await c.until(
      () => c.of('a').length === 2 && c.of('b').length === 2 && c.of('d').length === 2,
      'changes',
    );
    expect(c.of('a')[1]!.payload).toEqual(c.of('d')[1]!.payload);
    expect(c.of('c')).toHaveLength(1);
    c.close();
  });

  it('should remove a poller when its last subscriber leaves', async () => {
    const c = await RawClient.open(wsUrl(polling), 'graphql-transport-ws');
    await c.init();
    const q =
      'subscription { entities_aggregate(where: {kind: {_eq: "instrument"}}) { aggregate { count } } }';
    c.send({ id: 'x', type: 'subscribe', payload: { query: q } });
    c.send({ id: 'y', type: 'subscribe', payload: { query: q } });
    await c.until(() => c.of('x').length && c.of('y').length, 'first results');
    expect(c.of('x')[0]!.payload).toEqual({
      data: { entities_aggregate: { aggregate: { count: 8 } } },
    });
    const pollers = await metric(polling, 'engine_subscription_pollers', { kind: 'live' });
    c.send({ id: 'x', type: 'complete' });
    await sleep(100);
    expect(await metric(polling, 'engine_subscription_pollers', { kind: 'live' })).toBe(pollers);
    c.send({ id: 'y', type: 'complete' });
    await waitFor(
      'the idle poller to go',
      async () =>
        (await metric(polling, 'engine_subscription_pollers', { kind: 'live' })) === pollers - 1,
    );
    c.close();
  });

  it('should check variable values before joining, and refuse one root field too many', async () => {
    const c = await RawClient.open(wsUrl(polling), 'graphql-transport-ws');
    await c.init();
    c.send({
      id: 'bad',
      type: 'subscribe',
      payload: {
        query:
          'subscription ($t: timestamptz!) { sensor_readings(where: {ts: {_gt: $t}}, limit: 1) { ts } }',
        variables: { t: 'not a time' },
      },
    });
    c.send({
      id: 'two',
      type: 'subscribe',
      payload: {
        query: 'subscription { a: entities(limit: 1) { id } b: entities(limit: 1) { id } }',
      },
    });
    c.send({
      id: 'many',
      type: 'subscribe',
      payload: {
        query:
          'subscription @_multiple_top_level_fields { a: entities(limit: 1, order_by: {id: asc}) { id } b: entities_aggregate { aggregate { count } } }',
      },
    });
    await c.until(() => c.of('bad').length && c.of('two').length && c.of('many').length, 'answers');
    const bad = c.of('bad')[0]!;
    expect(bad.type).toBe('error');
    expect((bad.payload as Array<{ extensions: { code: string } }>)[0]!.extensions.code).toBe(
      'data-exception',
    );
    expect(c.of('two')[0]!.payload).toEqual([
      {
        message: 'subscriptions must select one top level field',
        extensions: { path: '$', code: 'validation-failed' },
      },
    ]);
    expect(c.of('many')[0]!.payload).toEqual({
      data: { a: [{ id: 1 }], b: { aggregate: { count: 58 } } },
    });
    c.close();
  });
});

describe('Engine > Live queries > Event wake-ups', () => {
  it('should deliver a notified change long before the refetch interval', async () => {
    const c = await RawClient.open(wsUrl(evented), 'graphql-transport-ws');
    await c.init();
    c.send({ id: 'n', type: 'subscribe', payload: { query: LATEST, variables: { id: 9 } } });
    await c.until(() => c.of('n').length === 1, 'first message');
    await reading(9, 99, true);
    // the refetch interval is 10 minutes: only the notification can have caused this poll
    const next = await c.until(() => c.of('n')[1], 'the notified change');
    expect(next.payload).toEqual({
      data: { sensor_readings: [{ entity_id: 9, temperature: 99 }] },
    });
    c.close();
  });

  it('should poll only the cohorts of the notified series', async () => {
    const c = await RawClient.open(wsUrl(evented), 'graphql-transport-ws');
    await c.init();
    c.send({ id: 'p', type: 'subscribe', payload: { query: LATEST, variables: { id: 12 } } });
    c.send({ id: 'q', type: 'subscribe', payload: { query: LATEST, variables: { id: 13 } } });
    await c.until(() => c.of('p').length === 1 && c.of('q').length === 1, 'first messages');
    await reading(12, 1);
    await reading(13, 1);
    await changed([12]);
    await c.until(() => c.of('p').length === 2, 'series 12');
    // series 13 changed too, but nobody said so: its cohort was not polled
    expect(c.of('q')).toHaveLength(1);
    await changed([13]);
    await c.until(() => c.of('q').length === 2, 'series 13');
    // a notification without series wakes every cohort reading the table
    await reading(12, 2);
    await reading(13, 2);
    await changed(null);
    await c.until(() => c.of('p').length === 3 && c.of('q').length === 3, 'both');
    c.close();
  });

  it('should wake pollers through relationships and ignore tables they do not read', async () => {
    const c = await RawClient.open(wsUrl(evented), 'graphql-transport-ws');
    await c.init();
    c.send({
      id: 'r',
      type: 'subscribe',
      payload: {
        query:
          'subscription { entities(where: {id: {_eq: 14}}) { id sensor_readings: sensor_readings_aggregate { aggregate { count } } } }',
      },
    });
    const first = await c.until(() => c.of('r')[0], 'first message');
    const count = (f: Frame) =>
      (
        f.payload as {
          data: { entities: Array<{ sensor_readings: { aggregate: { count: number } } }> };
        }
      ).data.entities[0]!.sensor_readings.aggregate.count;
    const polls = () =>
      metric(evented, 'engine_subscription_polls_total', { kind: 'live', trigger: 'wakeup' });
    const wakeups = (outcome: 'matched' | 'none') =>
      metric(evented, 'engine_subscription_wakeups_total', { outcome });
    const pollsBefore = await polls();
    const ignoredBefore = await wakeups('none');
    // a new reading of entity 14, not announced: only a poll can show it
    await reading(14, 1);
    // a table the subscription does not read: the notice matches no poller and polls nothing
    await changed(null, 'public.market_trades');
    await waitFor('the market_trades notice', async () => (await wakeups('none')) > ignoredBefore);
    expect(await polls()).toBe(pollsBefore);
    expect(c.of('r')).toHaveLength(1);
    // the table read through the relationship: the poller wakes and sends the new count
    await changed(null, 'public.sensor_readings');
    const next = await c.until(() => c.of('r')[1], 'the change through the relationship');
    expect(count(next)).toBe(count(first) + 1);
    expect(await polls()).toBeGreaterThan(pollsBefore);
    c.close();
  });
});

describe('Engine > Live queries > Wake-up connection', () => {
  it('should LISTEN again after losing its connection', async () => {
    const wakeups = evented.engine.live!.wakeups!;
    const before = wakeups.connects;
    await query(
      db.pool,
      sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE application_name = 'streamsync-engine-wakeups' AND datname = current_database()`,
    );
    await waitFor('a reconnect', async () => wakeups.connects > before && wakeups.listening);
    expect(wakeups.connects).toBe(before + 1);
    const c = await RawClient.open(wsUrl(evented), 'graphql-transport-ws');
    await c.init();
    c.send({ id: 'w', type: 'subscribe', payload: { query: LATEST, variables: { id: 15 } } });
    await c.until(() => c.of('w').length === 1, 'first message');
    await reading(15, 15, true);
    // the refetch interval is 10 minutes: the new connection delivered the notification
    const next = await c.until(() => c.of('w')[1], 'the notified change');
    expect(next.payload).toEqual({
      data: { sensor_readings: [{ entity_id: 15, temperature: 15 }] },
    });
    c.close();
  });
});

describe('Engine > Live queries > Slow consumers', () => {
  it('should keep only the latest live result for a socket that does not read', async () => {
    await query(
      db.pool,
      sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature)
          SELECT 20, now() - make_interval(secs => g), g FROM generate_series(1, 3000) g`,
    );
    const c = await RawClient.open(wsUrl(slow), 'graphql-transport-ws');
    await c.init();
    const big =
      'subscription { sensor_readings(where: {entity_id: {_eq: 20}}, order_by: {ts: desc}) { ts temperature humidity pressure } }';
    c.send({ id: 'big', type: 'subscribe', payload: { query: big } });
    await c.until(() => c.of('big').length === 1, 'first message');
    const socket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const dropped = () => metric(slow, 'engine_websocket_frames_dropped_total');
    let n = 0;
    await waitFor(
      'a coalesced frame',
      async () => {
        await reading(20, n++);
        await sleep(30);
        return (await dropped()) > 0;
      },
      { timeoutMs: 60_000 },
    );
    socket.resume();
    // the socket survives and catches up with the latest result
    await c.until(
      () =>
        (
          c.of('big').at(-1)?.payload as {
            data: { sensor_readings: Array<{ temperature: number }> };
          }
        )?.data.sensor_readings[0]?.temperature ===
        n - 1,
      'the latest result',
      60_000,
    );
    expect(c.closed).toBeUndefined();
    c.close();
  });

  it('should close with 1013 a socket whose unsent frames outgrow the limit', async () => {
    const c = await RawClient.open(wsUrl(slow), 'graphql-transport-ws');
    await c.init();
    const socket = (c.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    socket.pause();
    const q =
      'query { sensor_readings(where: {entity_id: {_eq: 20}}) { ts temperature humidity pressure battery } }';
    let i = 0;
    await waitFor(
      'the slow-consumer close',
      async () => {
        for (let k = 0; k < 5; k++)
          c.send({ id: `q${i++}`, type: 'subscribe', payload: { query: q } });
        await sleep(50);
        return (await metric(slow, 'engine_websocket_slow_consumer_closes_total')) > 0;
      },
      { timeoutMs: 60_000 },
    );
    socket.resume();
    const closed = await c.waitClosed();
    expect(closed.code).toBe(1013);
  });
});
