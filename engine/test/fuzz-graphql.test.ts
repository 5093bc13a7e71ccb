/**
 * A bounded GraphQL fuzz campaign (bench/fuzz: the same generator and driver as the
 * `bench:fuzz-graphql` runner) against the engine as its own process: documents generated from the
 * live schema of every role — valid, near-valid and hostile (fragment fan-out and chains, deep
 * selections and `where`s, wide aliases, large lists, odd Unicode, NUL, lone surrogates,
 * malformed bodies, batches) — plus strangers with forged or no credentials. Nothing may crash
 * the engine, answer 5xx or "internal error", take longer than the time limit or leave a good
 * client beside it unserved.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import { runGraphqlCampaign } from '@streamsync/bench/fuzz/graphql-campaign.ts';
import { loadRoleSchema, type FuzzClient } from '@streamsync/bench/fuzz/graphql-cases.ts';
import { FUZZ_SECRETS, startFuzzEngine, type FuzzEngine } from '@streamsync/bench/fuzz/engine.ts';
import { CAMPAIGN_TOKEN_SECONDS, expiringToken } from '@streamsync/bench/fuzz/tokens.ts';

const { adminSecret: ADMIN_SECRET, jwtKey: JWT_KEY } = FUZZ_SECRETS;

let db: TestDatabase;
let engine: FuzzEngine;

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'engine_fuzz_gql' });
  engine = await startFuzzEngine(db.url, { logLevel: 'fatal' });
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  await db?.drop();
});

describe('Engine > Fuzz > GraphQL', () => {
  it('should answer every generated request without a crash, a 5xx or an internal error', async () => {
    const bearer = (role: string, uid?: string) => ({
      authorization: `Bearer ${expiringToken(JWT_KEY, role, CAMPAIGN_TOKEN_SECONDS, uid)}`,
    });
    const clients: FuzzClient[] = [
      { role: 'admin', headers: { 'x-hasura-admin-secret': ADMIN_SECRET } },
      { role: 'viewer', headers: bearer('viewer') },
      { role: 'user', headers: bearer('user', 'u1') },
    ];
    const schemas = await Promise.all(clients.map((c) => loadRoleSchema(engine.url, c)));
    const result = await runGraphqlCampaign({
      url: engine.url,
      schemas,
      strangers: [
        {
          role: 'forged',
          headers: {
            authorization: `Bearer ${expiringToken('x'.repeat(40), 'admin', CAMPAIGN_TOKEN_SECONDS)}`,
          },
        },
        { role: 'none', headers: {} },
      ],
      goodClient: clients[1]!,
      requests: 1500,
      concurrency: 4,
      seed: 20261207,
      scale: 'test',
      slowMs: 10_000,
      baselineMs: 500,
      alive: () => engine.alive(),
    });
    const bad = result.findings.map(
      (f) => `${f.kind} ${f.shape} (${f.role}): ${f.result} ${f.body}`,
    );
    expect(bad).toEqual([]);
    expect(result).toMatchObject({
      requests: 1500,
      crashes: 0,
      transport_failures: 0,
      http_5xx: 0,
      slow: 0,
      internal_errors: 0,
      not_json: 0,
    });
    expect(result.good_client.failures).toBe(0);
    expect(result.good_client.during.n).toBeGreaterThan(0);
    for (const family of ['valid', 'near-valid', 'hostile'])
      expect(result.by_family[family]).toBeGreaterThan(100);
    // the generator reached the data: valid documents were answered with data
    expect(result.by_result.data).toBeGreaterThan(300);
    expect(engine.proc.exitCode).toBeNull();
  }, 300_000);
});
