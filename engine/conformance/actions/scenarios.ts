/**
 * The Python-only action tests of ACTIONS.md (`actions/sync`, `actions/async`, `actions/timeout`),
 * replayed against the engine with the action handler running: each returns an outcome with the
 * reason it failed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { deepEqual } from '../compare.ts';
import { postJson } from '../http-client.ts';
import { loadYaml, type Json } from '../yaml-load.ts';

export interface ActionsEnv {
  baseUrl: string;
  /** admin headers (the admin secret when one is configured) */
  headers: Record<string, string>;
  dirPath: string;
  /** per-test setup / teardown of the directory (values_teardown.yaml) */
  setup(): Promise<string | undefined>;
  teardown(): Promise<string | undefined>;
}

export interface ActionOutcome {
  ok: boolean;
  reason?: string;
}

type Scenario = (env: ActionsEnv) => Promise<ActionOutcome>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are read field by field
type Body = any;

async function gql(
  env: ActionsEnv,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = env.headers,
): Promise<{ status: number; body: Body; headers: Record<string, string> }> {
  const r = await postJson(env.baseUrl, '/v1/graphql', { query, variables }, headers);
  return { status: r.status, body: r.body, headers: r.headers ?? {} };
}

const fail = (reason: string): ActionOutcome => ({ ok: false, reason });
const show = (x: unknown) => JSON.stringify(x).slice(0, 300);

/** Every 2 s for up to 10 s: the first answer whose `data` is `want(id)` passes. */
async function poll(
  env: ActionsEnv,
  query: string,
  id: string,
  want: Json,
  headers: Record<string, string> = env.headers,
): Promise<ActionOutcome> {
  let last: unknown;
  for (let waited = 0; waited <= 10_000; waited += 2000) {
    const r = await gql(env, query, { action_id: id }, headers);
    last = r.body;
    if (r.status === 200 && deepEqual(want, (r.body as Body)?.data, '$', [], false))
      return { ok: true };
    await new Promise((res) => setTimeout(res, 2000));
  }
  return fail(`expected data ${show(want)}, last answer ${show(last)}`);
}

/** Run `fn` on a fresh values state (values_teardown after, as upstream does around each test). */
function fresh(fn: Scenario): Scenario {
  return async (env) => {
    const problem = await env.setup();
    if (problem) return fail(`setup failed: ${problem}`);
    try {
      return await fn(env);
    } finally {
      await env.teardown();
    }
  };
}

async function mutationId(
  env: ActionsEnv,
  query: string,
  field: string,
  headers: Record<string, string> = env.headers,
): Promise<string | ActionOutcome> {
  const r = await gql(env, query, {}, headers);
  const id = (r.body as Body)?.data?.[field];
  return typeof id === 'string' ? id : fail(`the mutation answered ${show(r.body)}`);
}

const CLARKE =
  'mutation { insert_user_one(object: {email: "clarke@gmail.com", name:"Clarke"}) { id } }';

const SYNC: Record<string, Scenario> = {
  'TestActionsSync.test_expecting_custom_scalar_array_response_got_different_type': async (env) => {
    const r = await gql(env, 'mutation { custom_scalar_nested_array_response }');
    const m = (r.body as Body)?.errors?.[0]?.message;
    return m === 'expecting array for the action webhook response'
      ? { ok: true }
      : fail(`got ${show(r.body)}`);
  },
  'TestActionsSync.test_expecting_object_response_with_nested_null_wrong_field': async (env) => {
    const r = await gql(env, 'query { typed_nested_null_wrong_field { id child { id } } }');
    const m = (r.body as Body)?.errors?.[0]?.message;
    return m === 'expecting not null value for field "id"'
      ? { ok: true }
      : fail(`got ${show(r.body)}`);
  },
  'TestActionsSync.test_mirror_headers': async (env) => {
    const r = await gql(env, 'query { mirror_headers { headers { name value } } }');
    const hs = ((r.body as Body)?.data?.mirror_headers?.headers ?? []) as Array<{
      name: string;
      value: string;
    }>;
    const ua = hs.find((h) => h.name.toLowerCase() === 'user-agent');
    return ua?.value.startsWith('hasura-graphql-engine/')
      ? { ok: true }
      : fail(`user agent ${show(ua)} in ${show(r.body)}`);
  },
  'TestActionsSync.test_create_users_output_type': async (env) => {
    const r = await gql(
      env,
      'query { __type(name: "mutation_root") { fields { name type { kind } } } }',
    );
    const f = ((r.body as Body)?.data?.__type?.fields ?? []).find(
      (x: { name: string }) => x.name === 'create_users',
    );
    return f?.type?.kind === 'LIST' ? { ok: true } : fail(`create_users is ${show(f)}`);
  },
  'TestQueryActions.test_query_action_should_not_throw_validation_error': fresh(async (env) => {
    const file = path.join(env.dirPath, 'get_user_by_email_success.yaml');
    const item = loadYaml(fs.readFileSync(file, 'utf8')) as Body;
    for (let i = 0; i < 25; i++) {
      const ins = await gql(env, CLARKE);
      if (ins.status !== 200 || !(ins.body as Body)?.data)
        return fail(`insert ${i}: ${show(ins.body)}`);
      const r = await postJson(env.baseUrl, item.url, item.query, env.headers);
      if (r.status !== item.status || !deepEqual(item.response, r.body, '$', [], false))
        return fail(`round ${i}: ${show(r.body)}`);
    }
    return { ok: true };
  }),
  'TestActionsSyncResponseHeaders.test_set_cookie_header': fresh(async (env) => {
    const r = await gql(
      env,
      'mutation { create_user(email: "clarke@gmail.com", name: "Clarke") { id } }',
    );
    if (r.status !== 200 || !(r.body as Body)?.data) return fail(`got ${show(r.body)}`);
    return r.headers['set-cookie'] === 'abcd'
      ? { ok: true }
      : fail(`Set-Cookie was ${show(r.headers['set-cookie'])}`);
  }),
};

const ASYNC: Record<string, Scenario> = {
  'TestActionsAsync.test_create_user_fail': fresh(async (env) => {
    const id = await mutationId(
      env,
      'mutation { create_user(email: "random-email", name: "Clarke") }',
      'create_user',
    );
    if (typeof id !== 'string') return id;
    return poll(
      env,
      'query ($action_id: uuid!) { create_user(id: $action_id) { id errors } }',
      id,
      {
        create_user: {
          id,
          errors: { code: 'invalid-email', path: '$', error: 'Given email address is not valid' },
        },
      },
    );
  }),
  'TestActionsAsync.test_async_actions_error_response_user_role': fresh(async (env) => {
    const h = { ...env.headers, 'X-Hasura-Role': 'user' };
    const id = await mutationId(
      env,
      'mutation { test_async_action_error_response }',
      'test_async_action_error_response',
      h,
    );
    if (typeof id !== 'string') return id;
    return poll(
      env,
      'query ($action_id: uuid!) { test_async_action_error_response(id: $action_id) { id errors } }',
      id,
      {
        test_async_action_error_response: {
          id,
          errors: {
            code: 'unexpected',
            path: '$',
            error: 'not a valid json response from webhook',
          },
        },
      },
      { ...env.headers, 'x-hasura-role': 'user' },
    );
  }),
  'TestActionsAsync.test_async_actions_error_response_admin_role': fresh(async (env) => {
    const h = { ...env.headers, 'X-Hasura-Role': 'admin' };
    const id = await mutationId(
      env,
      'mutation { test_async_action_error_response }',
      'test_async_action_error_response',
      h,
    );
    if (typeof id !== 'string') return id;
    await new Promise((r) => setTimeout(r, 10_000));
    const r = await gql(
      env,
      'query ($action_id: uuid!) { test_async_action_error_response(id: $action_id) { id errors } }',
      { action_id: id },
      h,
    );
    const got = (r.body as Body)?.data?.test_async_action_error_response;
    return got && 'errors' in got && got.errors ? { ok: true } : fail(`got ${show(r.body)}`);
  }),
  'TestActionsAsync.test_create_user_success': fresh(async (env) => {
    const id = await mutationId(
      env,
      'mutation { create_user(email: "clarke@hasura.io", name: "Clarke") }',
      'create_user',
    );
    if (typeof id !== 'string') return id;
    return poll(
      env,
      'query ($action_id: uuid!) { create_user(id: $action_id) { __typename id output { __typename id user { __typename name email is_admin } } } }',
      id,
      {
        create_user: {
          __typename: 'create_user',
          id,
          output: {
            __typename: 'UserId',
            id: 1,
            user: {
              __typename: 'user',
              name: 'Clarke',
              email: 'clarke@hasura.io',
              is_admin: false,
            },
          },
        },
      },
    );
  }),
  'TestActionsAsync.test_create_user_roles': fresh(async (env) => {
    const as = (uid: string) => ({
      ...env.headers,
      'X-Hasura-Role': 'user',
      'X-Hasura-User-Id': uid,
    });
    const id = await mutationId(
      env,
      'mutation { create_user(email: "blake@hasura.io", name: "Blake") }',
      'create_user',
      as('1'),
    );
    if (typeof id !== 'string') return id;
    const q = 'query ($action_id: uuid!) { create_user(id: $action_id) { id output { id } } }';
    const other = await poll(env, q, id, { create_user: null }, as('2'));
    if (!other.ok) return fail(`user 2: ${other.reason}`);
    return poll(env, q, id, { create_user: { id, output: { id: 1 } } }, as('1'));
  }),
  'TestActionsAsync.test_create_user_transformed_success': fresh(async (env) => {
    const id = await mutationId(
      env,
      'mutation { create_user_transformed(email: "clarke@hasura.io", name: "Clarke") }',
      'create_user_transformed',
    );
    if (typeof id !== 'string') return id;
    return poll(
      env,
      'query ($action_id: uuid!) { create_user_transformed(id: $action_id) { __typename id output { __typename id user { __typename name email is_admin } } } }',
      id,
      {
        create_user_transformed: {
          __typename: 'create_user_transformed',
          id,
          output: {
            __typename: 'UserId',
            id: 1,
            user: { __typename: 'user', name: 'notClarke', email: 'foo@bar.com', is_admin: false },
          },
        },
      },
    );
  }),
  'TestActionsAsync.test_create_user_nested_success': fresh(async (env) => {
    const id = await mutationId(
      env,
      'mutation { create_user_nested(email: "clarke@hasura.io", name: "Clarke") }',
      'create_user_nested',
    );
    if (typeof id !== 'string') return id;
    return poll(
      env,
      'query ($action_id: uuid!) { create_user_nested(id: $action_id) { __typename id output { __typename userObj { __typename id } } } }',
      id,
      {
        create_user_nested: {
          __typename: 'create_user_nested',
          id,
          output: { __typename: 'UserIdNested', userObj: { __typename: 'UserIdObj', id: 1 } },
        },
      },
    );
  }),
};

const TIMEOUT: Record<string, Scenario> = {
  'TestActionTimeout.test_action_timeout_fail': fresh(async (env) => {
    const id = await mutationId(
      env,
      'mutation { create_user(email: "random-email", name: "Clarke") }',
      'create_user',
    );
    if (typeof id !== 'string') return id;
    await new Promise((r) => setTimeout(r, 4000));
    const r = await gql(
      env,
      'query ($action_id: uuid!) { create_user(id: $action_id) { id errors } }',
      {
        action_id: id,
      },
    );
    const errors = (r.body as Body)?.data?.create_user?.errors;
    return r.status === 200 && errors ? { ok: true } : fail(`got ${show(r.body)}`);
  }),
};

/** Scenario drivers by `<directory>#<scenario id>`. */
export const ACTION_SCENARIOS: Record<string, Scenario> = Object.fromEntries([
  ...Object.entries(SYNC).map(([id, s]) => [`actions/sync#${id}`, s] as const),
  ...Object.entries(ASYNC).map(([id, s]) => [`actions/async#${id}`, s] as const),
  ...Object.entries(TIMEOUT).map(([id, s]) => [`actions/timeout#${id}`, s] as const),
]);
