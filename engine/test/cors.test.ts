/**
 * CORS as Hasura answers it: by default every origin is echoed back with credentials allowed and
 * preflights are answered 204; HASURA_GRAPHQL_CORS_DOMAIN narrows it to listed (or wildcard
 * subdomain) origins; HASURA_GRAPHQL_DISABLE_CORS turns it off. The dashboard's browser reads over
 * HTTP depend on it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import { loadConfig } from '../src/config.ts';
import type { RunningEngine } from '../src/server.ts';
import { startTestEngine } from './helpers.ts';

let db: TestDatabase;
const engines: RunningEngine[] = [];
const start = async (env: Record<string, string> = {}) => {
  const e = await startTestEngine(db.url, env);
  engines.push(e);
  return e;
};

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'cors', empty: true });
});
afterAll(async () => {
  for (const e of engines) await e.close();
  await db?.drop();
});

const preflight = (url: string, origin: string) =>
  fetch(`${url}/v1/graphql`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    },
  });
const post = (url: string, origin: string) =>
  fetch(`${url}/v1/graphql`, {
    method: 'POST',
    headers: { origin, 'content-type': 'application/json' },
    body: JSON.stringify({ query: '{ __typename }' }),
  });

describe('Engine > CORS', () => {
  it('should allow every origin by default, echoing it, and answer preflights itself', async () => {
    const e = await start();
    const pre = await preflight(e.url, 'http://dashboard.example:3000');
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://dashboard.example:3000');
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('access-control-allow-methods')).toBe(
      'GET,POST,PUT,PATCH,DELETE,OPTIONS',
    );
    expect(pre.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect(pre.headers.get('access-control-max-age')).toBe('1728000');
    const res = await post(e.url, 'http://dashboard.example:3000');
    expect(res.headers.get('access-control-allow-origin')).toBe('http://dashboard.example:3000');
    expect(await res.json()).toEqual({ data: { __typename: 'query_root' } });
    // no Origin, no CORS headers
    const plain = await fetch(`${e.url}/healthz`);
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('should allow only the listed origins and wildcard subdomains when a list is set', async () => {
    const e = await start({
      HASURA_GRAPHQL_CORS_DOMAIN: 'http://app.example.com, https://*.example.org:8443',
    });
    expect(
      (await post(e.url, 'http://app.example.com')).headers.get('access-control-allow-origin'),
    ).toBe('http://app.example.com');
    expect(
      (await post(e.url, 'https://ui.example.org:8443')).headers.get('access-control-allow-origin'),
    ).toBe('https://ui.example.org:8443');
    for (const origin of [
      'http://evil.example',
      'https://ui.example.org',
      'http://app.example.com.evil',
    ]) {
      expect(
        (await post(e.url, origin)).headers.get('access-control-allow-origin'),
        origin,
      ).toBeNull();
      // an unlisted origin's preflight is not answered as CORS: it falls through to the route
      expect((await preflight(e.url, origin)).status, origin).not.toBe(204);
    }
  });

  it('should send no CORS headers at all when disabled', async () => {
    const e = await start({ HASURA_GRAPHQL_DISABLE_CORS: 'true' });
    expect(
      (await post(e.url, 'http://dashboard.example')).headers.get('access-control-allow-origin'),
    ).toBeNull();
    expect((await preflight(e.url, 'http://dashboard.example')).status).not.toBe(204);
  });

  it('should refuse a malformed domain list at start, naming the key', () => {
    expect(() =>
      loadConfig({
        HASURA_GRAPHQL_METADATA_DATABASE_URL: db.url,
        HASURA_GRAPHQL_CORS_DOMAIN: 'not a domain',
      }),
    ).toThrow(/HASURA_GRAPHQL_CORS_DOMAIN: invalid domain: 'not a domain'/);
  });
});
