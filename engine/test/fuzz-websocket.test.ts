/**
 * A bounded WebSocket fuzz campaign (bench/fuzz/ws-campaign.ts, as the `bench:fuzz-ws` runner)
 * against the engine as its own process, over both protocols: operations before init, floods,
 * oversized frames, a hundred idle sockets, abrupt drops mid-subscription, a JWT expiring
 * mid-stream, garbage frames and headers, hostile documents, too many subscriptions. The engine
 * stays up, answers each as it should, leaves no socket or subscription behind, and serves a good
 * client throughout.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '@streamsync/database';
import { createTestDatabase, type TestDatabase } from '@streamsync/database/testing';
import { expiringToken } from '../../bench/fuzz/tokens.ts';
import { runWsCampaign } from '../../bench/fuzz/ws-campaign.ts';
import { startEngineProcess, type EngineProcess } from '../../bench/live/support.ts';
import { roleToken } from '../../bench/query/cases.ts';

const JWT_KEY = 'fuzz-ws-test-jwt-key-'.padEnd(40, 'k');

let db: TestDatabase;
let engine: EngineProcess;

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'engine_fuzz_ws' });
  engine = await startEngineProcess(db.url, {
    HASURA_GRAPHQL_ADMIN_SECRET: 'fuzz-ws-admin',
    HASURA_GRAPHQL_JWT_SECRET: JSON.stringify({ type: 'HS256', key: JWT_KEY }),
    HASURA_GRAPHQL_METADATA_DIR: path.join(REPO_ROOT, 'hasura', 'metadata'),
    LOG_LEVEL: 'fatal',
  });
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

describe('Engine > Fuzz > WebSocket', () => {
  it('should stay up, answer every hostile socket and serve a good client beside them', async () => {
    const result = await runWsCampaign({
      url: engine.url,
      good: { authorization: `Bearer ${roleToken(JWT_KEY, 'viewer')}` },
      expiringToken: (s) => expiringToken(JWT_KEY, 'viewer', s),
      episodes: 40,
      concurrency: 3,
      seed: 20261207,
      idleSockets: 100,
      alive: async () => engine.proc.exitCode === null,
    });
    expect(result.unexpected).toEqual([]);
    expect(result).toMatchObject({ episodes: 40, crashes: 0, transport_failures: 0 });
    expect(Object.keys(result.by_scenario).length).toBe(10);
    // oversized frames are closed with 1009, expired sessions are dropped, hostile documents refused
    expect(result.closes['1009']).toBeGreaterThan(0);
    expect(result.frames.error).toBeGreaterThan(0);
    expect(result.good_client.failures).toBe(0);
    expect(result.good_client.during.n).toBeGreaterThan(10);
    expect(result.open_at_end).toEqual({ connections: 0, subscribers: 0 });
    expect(engine.proc.exitCode).toBeNull();
  }, 300_000);
});
