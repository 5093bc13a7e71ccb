/* eslint-disable @typescript-eslint/no-explicit-any -- request bodies are checked field by field */
/**
 * Apollo Client's automatic-persisted-query link against the engine, as against Hasura CE: its
 * first request carries only the query's hash; the engine answers Hasura's
 * `PersistedQueryNotSupported`, on which the link switches itself off, resends the operation with
 * its text, and sends every later operation as a plain request. The real @apollo/client package.
 */
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { createPersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { PROJECT_METADATA, startTestEngine } from './helpers.ts';

let db: TestDatabase;
let engine: RunningEngine;

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'engine_apq' });
  engine = await startTestEngine(db, PROJECT_METADATA);
});

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

describe('Engine > Persisted queries > Apollo Client', () => {
  it('should let the persisted-query link switch itself off and then answer every query', async () => {
    const sent: Array<{ method: string; body: any }> = [];
    const answers: any[] = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      sent.push({
        method: init?.method ?? 'GET',
        body: init?.body ? JSON.parse(String(init.body)) : null,
      });
      const res = await fetch(input, init);
      answers.push(await res.clone().json());
      return res;
    };
    const client = new ApolloClient({
      cache: new InMemoryCache(),
      link: createPersistedQueryLink({
        sha256: (text: string) => createHash('sha256').update(text).digest('hex'),
      }).concat(
        new HttpLink({
          uri: `${engine.url}/v1/graphql`,
          headers: { 'x-hasura-role': 'viewer' },
          fetch: recordingFetch,
        }),
      ),
    });
    const Entities = gql`
      query Entities($limit: Int!) {
        entities(order_by: { key: asc }, limit: $limit) {
          key
        }
      }
    `;
    const first = await client.query({ query: Entities, variables: { limit: 2 } });
    expect(first.error).toBeUndefined();
    expect((first.data as any).entities).toHaveLength(2);
    // the hash alone, Hasura's answer, then the operation with its text and no extension
    expect(sent[0]!.body.query).toBeUndefined();
    expect(sent[0]!.body.extensions.persistedQuery.version).toBe(1);
    expect(answers[0]).toEqual({
      errors: [
        { message: 'PersistedQueryNotSupported', extensions: { path: '$', code: 'not-supported' } },
      ],
    });
    expect(sent[1]!.body.query).toContain('query Entities');
    expect(sent[1]!.body.extensions?.persistedQuery).toBeUndefined();
    expect(sent).toHaveLength(2);

    // switched off: the next operation goes out once, as a plain request
    const second = await client.query({
      query: gql`
        query Count {
          entities_aggregate {
            aggregate {
              count
            }
          }
        }
      `,
    });
    expect((second.data as any).entities_aggregate.aggregate.count).toBeGreaterThan(0);
    expect(sent).toHaveLength(3);
    expect(sent[2]!.body.query).toContain('query Count');
    expect(sent[2]!.body.extensions?.persistedQuery).toBeUndefined();
  });
});
