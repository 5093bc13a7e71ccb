/**
 * `test_webhook_transform` on a running engine: the preview of a request transform (URL, query,
 * method, headers, body, form bodies, session variables) and Kriti's errors as Hasura reports them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { api, startTestEngine } from './helpers.ts';

let db: TestDatabase;
let engine: RunningEngine;

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'twt', empty: true });
  engine = await startTestEngine(db.url);
});

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

const preview = (args: unknown) =>
  api(engine, '/v1/metadata', { type: 'test_webhook_transform', args });

describe('test_webhook_transform', () => {
  it('should show the request the transform makes', async () => {
    const r = await preview({
      webhook_url: { from_env: 'HOOK' },
      env: { HOOK: 'http://hook.example:8080/base' },
      body: { user: { name: 'ada' }, id: 7 },
      session_variables: { 'x-hasura-user-id': '42' },
      request_transform: {
        version: 2,
        template_engine: 'Kriti',
        method: 'PUT',
        url: '{{$base_url}}/users/{{$body.id}}',
        query_params: { by: '{{ getSessionVariable("x-hasura-user-id") }}' },
        request_headers: { add_headers: { 'x-name': '{{$body.user.name}}' } },
        body: { action: 'transform', template: '{"who": {{$body.user.name}}, "n": {{$body.id}}}' },
      },
    });
    expect(r).toEqual({
      status: 200,
      body: {
        webhook_url: 'http://hook.example:8080/base/users/7?by=42',
        method: 'PUT',
        headers: [['x-name', 'ada']],
        body: { who: 'ada', n: 7 },
      },
    });
  });

  it('should render a form body with its fields in key order', async () => {
    const r = await preview({
      webhook_url: 'http://hook.example',
      body: { a: 'x y' },
      request_transform: {
        version: 2,
        body: { action: 'x_www_form_urlencoded', form_template: { z: '1', b: '{{$body.a}}' } },
      },
    });
    expect(r.body).toEqual({
      webhook_url: 'http://hook.example/',
      method: 'GET',
      headers: [['Content-Type', 'application/x-www-form-urlencoded']],
      body: 'b=x+y&z=1',
    });
  });

  it("should refuse a template that fails with Kriti's error and position", async () => {
    const r = await preview({
      webhook_url: 'http://hook.example',
      body: {},
      request_transform: {
        version: 2,
        body: { action: 'transform', template: '{{ $body.nope }}' },
      },
    });
    expect(r).toEqual({
      status: 400,
      body: {
        code: 'validation-failed',
        error: 'request transform validation failed',
        path: '$.args',
        internal: [
          {
            error_code: 'Attribute Error',
            message: "'Object' has no attribute 'nope'.",
            source_position: { start_line: 0, start_column: 4, end_line: 0, end_column: 14 },
          },
        ],
      },
    });
    const bad = await preview({
      webhook_url: 'http://hook.example',
      body: {},
      request_transform: { version: 2 },
      response_transform: { version: 2, body: { action: 'transform', template: '{{ 1 ' } },
    });
    expect(bad.body).toMatchObject({
      code: 'validation-failed',
      error: 'response transform validation failed',
      internal: [{ error_code: 'Parse Error' }],
    });
  });
});
