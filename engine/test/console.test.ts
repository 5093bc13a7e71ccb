/**
 * /console: off by default (Hasura CE), and when on a GraphiQL page whose every byte comes from
 * the engine (no CDN) and which never carries the admin secret — the admin types it, and the page
 * only gets anywhere once the engine accepts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { startTestEngine } from './helpers.ts';

const SECRET = 'console-secret-7f3a91';

let db: TestDatabase;
let off: RunningEngine;
let on: RunningEngine;

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'console', empty: true });
  off = await startTestEngine(db.url, { HASURA_GRAPHQL_ADMIN_SECRET: SECRET });
  on = await startTestEngine(db.url, {
    HASURA_GRAPHQL_ADMIN_SECRET: SECRET,
    HASURA_GRAPHQL_ENABLE_CONSOLE: 'true',
  });
});

afterAll(async () => {
  await off?.close();
  await on?.close();
  await db?.drop();
});

describe('Engine > Console', () => {
  it('should not exist unless enabled', async () => {
    for (const p of ['/console', '/console/assets/console.js', '/']) {
      const r = await fetch(`${off.url}${p}`, { redirect: 'manual' });
      expect(r.status).toBe(404);
      expect(await r.json()).toEqual({
        error: 'resource does not exist',
        path: '$',
        code: 'not-found',
      });
    }
  });

  it('should serve a GraphiQL page from the engine itself, without the admin secret in it', async () => {
    const root = await fetch(`${on.url}/`, { redirect: 'manual' });
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('console');
    const page = await fetch(`${on.url}/console`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).not.toMatch(/https?:/);
    expect(csp).toContain("script-src 'self';"); // no inline script
    const html = await page.text();
    expect(html).not.toContain(SECRET);
    // every script and stylesheet is the engine's own
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.sort()).toEqual(['/console/assets/console.js', '/console/assets/graphiql.css']);
    for (const ref of refs) {
      const a = await fetch(`${on.url}${ref}`);
      expect(a.status).toBe(200);
      expect(a.headers.get('content-type')).toMatch(
        ref.endsWith('.css') ? /^text\/css/ : /^text\/javascript/,
      );
      const body = await a.text();
      expect(body).not.toContain(SECRET);
      if (ref.endsWith('.js')) {
        // GraphiQL with the headers editor, talking to this engine over HTTP and WebSocket
        expect(body).toContain('isHeadersEditorEnabled');
        expect(body).toContain('/v1/graphql');
        expect(body).toContain('x-hasura-admin-secret');
        expect(body).not.toMatch(/https?:\/\/(?:unpkg|cdn|jsdelivr)/);
      }
    }
    expect((await fetch(`${on.url}/console/assets/nope.js`)).status).toBe(404);
  });

  it('should let the page in only with the admin secret', async () => {
    // the check the page makes before it opens GraphiQL
    expect((await fetch(`${on.url}/v1alpha1/config`)).status).toBe(401);
    const wrong = await fetch(`${on.url}/v1alpha1/config`, {
      headers: { 'x-hasura-admin-secret': 'nope' },
    });
    expect(wrong.status).toBe(401);
    const right = await fetch(`${on.url}/v1alpha1/config`, {
      headers: { 'x-hasura-admin-secret': SECRET },
    });
    expect(right.status).toBe(200);
    const gql = await fetch(`${on.url}/v1/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hasura-admin-secret': SECRET },
      body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
    });
    expect(await gql.json()).toEqual({ data: { __schema: { queryType: { name: 'query_root' } } } });
  });
});
