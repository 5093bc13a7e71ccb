/**
 * Async actions on one database served by several engines: each stored call is processed by one
 * engine only (row locks), and a call whose engine is killed (-9) mid-call is processed again by
 * another — never lost. Real Postgres, a real handler on a free 127.0.0.1 port, engines in this
 * process and one in a process of its own (to be killed).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { spawnEngine } from './engine-process.ts';
import { gql, metadata, runSql, startTestEngine } from './helpers.ts';

let db: TestDatabase;
let handler: http.Server;
let handlerUrl: string;
/** handler calls per input `n` */
const calls = new Map<number, number>();
/** calls to /hold are kept waiting until released */
let holding = true;
const held: http.ServerResponse[] = [];

const ENV = {
  HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_INTERVAL: '100',
  HASURA_GRAPHQL_ASYNC_ACTIONS_FETCH_BATCH_SIZE: '4',
};

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'asyncact', empty: true });
  handler = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { input: { n: number } };
      const n = body.input.n;
      calls.set(n, (calls.get(n) ?? 0) + 1);
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ n }));
      };
      if (req.url === '/hold' && holding) held.push(res);
      else setTimeout(answer, 20);
    });
  });
  await new Promise<void>((r) => handler.listen(0, '127.0.0.1', r));
  handlerUrl = `http://127.0.0.1:${(handler.address() as AddressInfo).port}`;
  const setup = await startTestEngine(db.url, ENV);
  try {
    await metadata(setup, {
      type: 'set_custom_types',
      args: { objects: [{ name: 'Done', fields: [{ name: 'n', type: 'Int!' }] }] },
    });
    for (const [name, path] of [
      ['count_me', '/count'],
      ['hold_me', '/hold'],
    ])
      await metadata(setup, {
        type: 'create_action',
        args: {
          name,
          definition: {
            kind: 'asynchronous',
            arguments: [{ name: 'n', type: 'Int!' }],
            output_type: 'Done',
            handler: `${handlerUrl}${path}`,
          },
        },
      });
  } finally {
    await setup.close();
  }
}, 60_000);

afterAll(async () => {
  for (const r of held) r.destroy();
  handler?.closeAllConnections();
  await new Promise<void>((r) => (handler ? handler.close(() => r()) : r()));
  await db?.drop();
});

async function statuses(e: RunningEngine, action: string): Promise<Record<string, number>> {
  const r = await runSql(
    e,
    `SELECT status, count(*) FROM hdb_catalog.hdb_action_log WHERE action_name = '${action}' GROUP BY 1`,
  );
  return Object.fromEntries((r.result as string[][]).slice(1).map(([s, n]) => [s!, Number(n)]));
}

async function until(what: string, probe: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Engine > Async actions on several engines', () => {
  it('should process each stored call once when several engines share the database', async () => {
    const engines = [await startTestEngine(db.url, ENV), await startTestEngine(db.url, ENV)];
    try {
      const N = 40;
      await Promise.all(
        Array.from({ length: N }, (_, n) =>
          gql(engines[n % 2]!, `mutation { count_me(n: ${n}) }`).then((r) =>
            expect(r.data?.count_me).toMatch(/^[0-9a-f-]{36}$/),
          ),
        ),
      );
      await until('every call completed', async () => {
        const s = await statuses(engines[0]!, 'count_me');
        return s.completed === N;
      });
      expect([...calls.entries()].filter(([n]) => n < N).every(([, c]) => c === 1)).toBe(true);
      expect(calls.size).toBe(N);
    } finally {
      await Promise.all(engines.map((e) => e.close()));
    }
  }, 90_000);

  it('should leave a call in flight for another engine when its engine shuts down', async () => {
    const n = 2000;
    holding = true;
    const leaving = await startTestEngine(db.url, ENV);
    let staying: RunningEngine | undefined;
    try {
      const m = await gql(leaving, `mutation { hold_me(n: ${n}) }`);
      const id = m.data?.hold_me as string;
      await until('the handler to get the call', async () => calls.get(n) === 1);
      const started = Date.now();
      await leaving.close();
      // the call was abandoned, not waited for (the action timeout is 30 s)
      expect(Date.now() - started).toBeLessThan(10_000);
      holding = false;
      for (const res of held.splice(0)) res.destroy();
      staying = await startTestEngine(db.url, ENV);
      const q = `query ($id: uuid!) { hold_me(id: $id) { output { n } errors } }`;
      await until('the call completed by the other engine', async () => {
        const r = await gql(staying!, q, { id });
        return r.data?.hold_me?.output?.n === n;
      });
      expect(calls.get(n)).toBe(2);
    } finally {
      await leaving.close();
      await staying?.close();
    }
  }, 90_000);

  it('should process a call again on another engine when its engine is killed mid-call', async () => {
    holding = true;
    const n = 1000;
    const doomed = await spawnEngine(db.url, ENV);
    let survivor: RunningEngine | undefined;
    try {
      const r = await fetch(`${doomed.url}/v1/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `mutation { hold_me(n: ${n}) }` }),
      });
      const id = ((await r.json()) as { data: { hold_me: string } }).data.hold_me;
      // the doomed engine holds the call (the handler keeps it waiting)
      await until('the handler to get the call', async () => calls.get(n) === 1);
      await doomed.kill9();
      holding = false;
      for (const res of held.splice(0)) res.destroy();
      survivor = await startTestEngine(db.url, ENV);
      const q = `query ($id: uuid!) { hold_me(id: $id) { output { n } errors } }`;
      await until('the call completed by the other engine', async () => {
        const out = await gql(survivor!, q, { id });
        return out.data?.hold_me?.output?.n === n;
      });
      expect(calls.get(n)).toBe(2);
      expect(await gql(survivor, q, { id })).toEqual({
        data: { hold_me: { output: { n }, errors: null } },
      });
      expect(await statuses(survivor, 'hold_me')).toEqual({ completed: 2 });
    } finally {
      await doomed.stop();
      await survivor?.close();
    }
  }, 90_000);
});
