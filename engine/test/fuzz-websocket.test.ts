/**
 * A bounded WebSocket fuzz campaign (bench/fuzz/ws-campaign.ts, as the `bench:fuzz-ws` runner)
 * against the engine as its own process, over both protocols: operations before init, floods,
 * oversized frames, a hundred idle sockets, abrupt drops mid-subscription, a JWT expiring
 * mid-stream, garbage frames and headers, hostile documents, too many subscriptions. The engine
 * stays up, answers each as it should, leaves no socket or subscription behind, and serves a good
 * client throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import { expiringToken } from '@streamsync/bench/fuzz/tokens.ts';
import { runWsCampaign } from '@streamsync/bench/fuzz/ws-campaign.ts';
import { FUZZ_SECRETS, startFuzzEngine, type FuzzEngine } from '@streamsync/bench/fuzz/engine.ts';

const { jwtKey: JWT_KEY } = FUZZ_SECRETS;

let db: TestDatabase;
let engine: FuzzEngine;

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'engine_fuzz_ws' });
  engine = await startFuzzEngine(db.url, { logLevel: 'fatal' });
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

describe('Engine > Fuzz > WebSocket', () => {
  it('should stay up, answer every hostile socket and serve a good client beside them', async () => {
    const result = await runWsCampaign({
      url: engine.url,
      good: { authorization: `Bearer ${expiringToken(JWT_KEY, 'viewer', 3600)}` },
      expiringToken: (s) => expiringToken(JWT_KEY, 'viewer', s),
      episodes: 40,
      concurrency: 3,
      seed: 20261207,
      idleSockets: 100,
      alive: () => engine.alive(),
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
