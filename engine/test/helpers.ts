/**
 * Shared helpers for the engine's integration tests: start an engine on a test database and talk
 * to it over HTTP exactly as a client would. (WebSocket clients and /metrics: live-helpers.ts.)
 */
import path from 'node:path';
import { expect } from 'vitest';
import { REPO_ROOT } from '@streamsync/database';
import type { TestDatabase } from '@streamsync/testing';
import { loadConfig } from '../src/config.ts';
import { startEngine, type RunningEngine } from '../src/server.ts';

export interface GqlResponse {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
  data?: Record<string, any> | null;
  errors?: Array<{
    message: string;
    extensions: { path: string; code: string; internal?: unknown };
  }>;
}

/** Spread into startTestEngine's env: apply hasura/metadata at start, as `npm start` does. */
export const PROJECT_METADATA = {
  HASURA_GRAPHQL_METADATA_DIR: path.join(REPO_ROOT, 'hasura', 'metadata'),
};

/**
 * An engine on a free port over one database (its metadata and its `default` source), silent,
 * with `env` on top of that; without PROJECT_METADATA it starts on whatever metadata the database
 * holds (none for a fresh one).
 */
export async function startTestEngine(
  db: TestDatabase | string,
  env: Record<string, string> = {},
): Promise<RunningEngine> {
  const url = typeof db === 'string' ? db : db.url;
  return startEngine(
    loadConfig({
      HASURA_GRAPHQL_METADATA_DATABASE_URL: url,
      PG_DATABASE_URL: url,
      HASURA_GRAPHQL_SERVER_PORT: '0',
      LOG_LEVEL: 'silent',
      ...env,
    }),
  );
}

export async function gql(
  e: RunningEngine,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GqlResponse> {
  const r = await fetch(`${e.url}/v1/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  expect(r.status).toBe(200);
  return (await r.json()) as GqlResponse;
}

export interface ApiResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- bodies are checked field by field
  body: any;
}

/** POST a body to /v1/metadata, /v1/query or /v2/query. */
export async function api(
  e: RunningEngine,
  path: '/v1/metadata' | '/v1/query' | '/v2/query',
  body: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const r = await fetch(`${e.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: r.status, body: parsed };
}

/** Run SQL through /v2/query and expect success. */
export async function runSql(e: RunningEngine, sqlText: string): Promise<ApiResponse['body']> {
  const r = await api(e, '/v2/query', { type: 'run_sql', args: { sql: sqlText } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

/** A metadata API call that must succeed. */
export async function metadata(e: RunningEngine, body: unknown): Promise<ApiResponse['body']> {
  const r = await api(e, '/v1/metadata', body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}
