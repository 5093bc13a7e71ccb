/**
 * Operation hooks (execute/planner.ts OperationHook): a step that may answer a query or mutation
 * before its plan — how a root-field kind that is not a Postgres statement (an action's webhook)
 * plugs into the one planner — and runs the operation's other root fields through the ordinary
 * path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import { loadConfig } from '../src/config.ts';
import type { OperationHook } from '../src/execute/graphql.ts';
import { startEngine, type RunningEngine } from '../src/server.ts';
import { gql, PROJECT_METADATA } from './helpers.ts';

let db: TestDatabase;
let engine: RunningEngine;
const seen: string[] = [];

/** Takes over operations named `Hooked`: their data, plus a field of its own. */
const hook: OperationHook = async (call) => {
  seen.push(`${call.op.type}:${call.op.name ?? ''}`);
  if (call.op.name !== 'Hooked') return null;
  const data = await call.rest(call.op);
  return {
    body: JSON.stringify({ data: { ...data, hooked: call.queryText.length } }),
    isError: false,
    errorCodes: [],
  };
};

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'hooks' });
  engine = await startEngine(
    loadConfig({
      HASURA_GRAPHQL_METADATA_DATABASE_URL: db.url,
      PG_DATABASE_URL: db.url,
      HASURA_GRAPHQL_SERVER_PORT: '0',
      LOG_LEVEL: 'silent',
      ...PROJECT_METADATA,
    }),
    { operationHooks: [hook] },
  );
});
afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

describe('operation hooks', () => {
  it('should let a hook answer an operation, running its other fields through the planner', async () => {
    const text = 'query Hooked { entities(limit: 1) { id } }';
    const r = await gql(engine, text);
    expect(r.errors).toBeUndefined();
    expect(r.data!.hooked).toBe(text.length);
    expect(r.data!.entities).toHaveLength(1);
  });

  it('should plan as usual what every hook declines', async () => {
    const r = await gql(engine, 'query Plain { entities(limit: 2) { id } }');
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ entities: [expect.any(Object), expect.any(Object)] });
    expect(seen).toContain('query:Plain');
  });
});
