/**
 * Python-only upstream tests of the wave-2 API and GraphQL directories, replayed from their topic
 * files: V1.md (`inconsistent_objects`, `v1/metadata`, `v1/metadata_order`), GRAPHQL-EXTRAS.md
 * (`explain`, `webhooks/request_context`) and SUBSCRIPTIONS.md (`subscriptions/multiplexing`,
 * `udf_session_args`, `customized_source`). One outcome per scenario; keyed `<dir>#<Class.test>`.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createPool, query, sql } from '@streamsync/database';
import { postJson } from './http-client.ts';
import { initApollo, open, wsUrl } from './websocket.ts';
import { loadYaml, type Json } from './yaml-load.ts';
import type { AuthHook } from './auth-hook.ts';

export interface ApiScenarioEnv {
  baseUrl: string;
  /** Admin headers (the admin secret, when the engine has one). */
  headers: Record<string, string>;
  dirPath: string;
  /** The group's database, for changes made behind the engine's back. */
  databaseUrl: string;
  /** The per-case setup and teardown of the directory. */
  setup: () => Promise<string | undefined>;
  teardown: () => Promise<string | undefined>;
  /** The auth hook of `auth-hook:*` directories. */
  authHook?: AuthHook;
}

export interface ApiOutcome {
  ok: boolean;
  reason?: string;
}

class Mismatch extends Error {}

type Res = { status: number; body: Json };

async function post(env: ApiScenarioEnv, url: string, body: unknown, headers = env.headers) {
  const r = await postJson(env.baseUrl, url, body, headers);
  return { status: r.status, body: r.body as Json };
}

function expectStatus(what: string, r: Res, status: number): Res {
  if (r.status !== status)
    throw new Mismatch(
      `${what}: expected ${status}, got ${r.status} ${JSON.stringify(r.body).slice(0, 400)}`,
    );
  return r;
}

function expectEqual(what: string, got: unknown, want: unknown): void {
  if (!isDeepStrictEqual(got, want))
    throw new Mismatch(
      `${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)?.slice(0, 400)}`,
    );
}

const meta = (env: ApiScenarioEnv, type: string, args: unknown, extra: object = {}) =>
  post(env, '/v1/metadata', { type, args, ...extra });

const readFile = (env: ApiScenarioEnv, file: string): Json =>
  loadYaml(fs.readFileSync(path.join(env.dirPath, file), 'utf8'));

async function exportV1(env: ApiScenarioEnv): Promise<Record<string, Json>> {
  return expectStatus('export_metadata', await meta(env, 'export_metadata', {}), 200)
    .body as Record<string, Json>;
}

async function exportV2(
  env: ApiScenarioEnv,
): Promise<{ resource_version: number; metadata: Json }> {
  const r = expectStatus(
    'export_metadata v2',
    await post(env, '/v1/metadata', { type: 'export_metadata', version: 2, args: {} }),
    200,
  );
  return r.body as unknown as { resource_version: number; metadata: Json };
}

/** Objects compared without regard to key order, lists in order (V1.md). */
function sameJson(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(sortKeys(a), sortKeys(b));
}

function sortKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortKeys);
  if (x !== null && typeof x === 'object')
    return Object.fromEntries(
      Object.keys(x)
        .sort()
        .map((k) => [k, sortKeys((x as Record<string, unknown>)[k])]),
    );
  return x;
}

// ---- V1.md: inconsistent_objects ----

async function inconsistentObjects(env: ApiScenarioEnv): Promise<void> {
  expectStatus('setup.yaml', await post(env, '/v1/query', readFile(env, 'setup.yaml')), 200);
  let failure: unknown;
  try {
    const pool = createPool({
      connectionString: env.databaseUrl,
      applicationName: 'streamsync-conformance',
      max: 1,
    });
    try {
      await query(pool, sql`DROP TABLE ${sql.ident('article')}`);
    } finally {
      await pool.end();
    }
    const reload = expectStatus(
      'reload_metadata',
      await post(env, '/v1/query', { type: 'reload_metadata', args: {} }),
      200,
    ).body as Record<string, Json>;
    expectEqual('is_consistent after the drop', reload.is_consistent, false);
    if (!sameJson(reload.inconsistent_objects, readFile(env, 'expectation.yaml')))
      throw new Mismatch(
        `inconsistent_objects: expected expectation.yaml, got ${JSON.stringify(reload.inconsistent_objects)}`,
      );
    const md = expectStatus(
      'export_metadata',
      await post(env, '/v1/query', { type: 'export_metadata', args: {} }),
      200,
    ).body;
    expectStatus(
      'replace_metadata with the inconsistent export',
      await post(env, '/v1/query', { type: 'replace_metadata', args: md }),
      400,
    );
  } catch (e) {
    failure = e;
  }
  // always: drop the inconsistent objects and check the metadata is consistent again
  expectStatus(
    'drop_inconsistent_metadata',
    await post(env, '/v1/query', { type: 'drop_inconsistent_metadata', args: {} }),
    200,
  );
  const again = expectStatus(
    'reload_metadata',
    await post(env, '/v1/query', { type: 'reload_metadata', args: {} }),
    200,
  ).body as Record<string, Json>;
  await post(env, '/v1/query', readFile(env, 'teardown.yaml'));
  if (failure) throw failure;
  expectEqual('is_consistent after drop_inconsistent_metadata', again.is_consistent, true);
}

// ---- V1.md: v1/metadata ----

async function defaultConfiguration(env: ApiScenarioEnv): Promise<Json> {
  const md = await exportV1(env);
  const sources = (md.sources ?? []) as Array<Record<string, Json>>;
  const d = sources.find((s) => s.name === 'default');
  if (!d) throw new Mismatch('export_metadata has no source "default"');
  return d.configuration as Json;
}

async function replaceDisallowInconsistent(env: ApiScenarioEnv): Promise<void> {
  const configuration = await defaultConfiguration(env);
  const insert = (role: string, check: Json) => ({
    role,
    permission: { check, columns: ['id', 'name'], backend_only: false },
  });
  const r = await post(env, '/v1/metadata', {
    type: 'replace_metadata',
    version: 2,
    args: {
      metadata: {
        version: 3,
        sources: [
          {
            name: 'default',
            kind: 'postgres',
            tables: [
              {
                table: { schema: 'public', name: 'author' },
                insert_permissions: [
                  insert('user1', {}),
                  insert('user2', { id: { _eq: 'X-Hasura-User-Id' } }),
                ],
              },
            ],
            configuration,
          },
        ],
        inherited_roles: [{ role_name: 'users', role_set: ['user2', 'user1'] }],
      },
    },
  });
  expectStatus('replace_metadata', r, 400);
  expectEqual('replace_metadata error', r.body, {
    internal: [
      {
        reason:
          "Could not inherit permission for the role 'users' for the entity: 'insert permission, table: author, source: 'default''",
        name: 'users',
        type: 'inherited role permission inconsistency',
        entity: { permission_type: 'insert', source: 'default', table: 'author' },
      },
    ],
    path: '$.args',
    error: 'cannot continue due to inconsistent metadata',
    code: 'unexpected',
  });
}

async function replaceDefaultKind(env: ApiScenarioEnv): Promise<void> {
  const configuration = await defaultConfiguration(env);
  expectStatus(
    'replace_metadata without kind',
    await post(env, '/v1/metadata', {
      type: 'replace_metadata',
      version: 2,
      args: { metadata: { version: 3, sources: [{ name: 'default', tables: [], configuration }] } },
    }),
    200,
  );
  const md = await exportV1(env);
  expectEqual(
    'sources[0].kind',
    (md.sources as Array<Record<string, Json>>)?.[0]?.kind,
    'postgres',
  );
}

const PG1_URL = { from_env: 'HASURA_GRAPHQL_PG_SOURCE_URL_1' };
const NAMESPACE = { root_fields: { namespace: 'some_namespace' } };

function source(md: Record<string, Json>, name: string): Record<string, Json> {
  const s = ((md.sources ?? []) as Array<Record<string, Json>>).find((x) => x.name === name);
  if (!s) throw new Mismatch(`export_metadata has no source "${name}"`);
  return s;
}

async function addSourceReplaceConfig(env: ApiScenarioEnv): Promise<void> {
  try {
    expectStatus(
      'pg_add_source pg1',
      await meta(env, 'pg_add_source', {
        name: 'pg1',
        configuration: { connection_info: { database_url: PG1_URL } },
      }),
      200,
    );
    expectStatus(
      'pg_add_source pg1 with replace_configuration',
      await meta(env, 'pg_add_source', {
        name: 'pg1',
        configuration: { connection_info: { database_url: PG1_URL } },
        customization: NAMESPACE,
        replace_configuration: true,
      }),
      200,
    );
    const md = await exportV1(env);
    const s = (md.sources as Array<Record<string, Json>>)[1] as Record<string, Json> | undefined;
    expectEqual(
      'sources[1].customization.root_fields.namespace',
      (s?.customization as { root_fields?: { namespace?: Json } } | undefined)?.root_fields
        ?.namespace,
      'some_namespace',
    );
  } finally {
    await meta(env, 'pg_drop_source', { name: 'pg1' });
  }
}

async function updateUnknownSource(env: ApiScenarioEnv): Promise<void> {
  const r = await meta(env, 'pg_update_source', {
    name: 'pg-not-previously-added',
    configuration: { connection_info: { database_url: PG1_URL } },
  });
  expectStatus('pg_update_source', r, 400);
  expectEqual(
    'error',
    (r.body as Record<string, Json>).error,
    'source with name "pg-not-previously-added" does not exist',
  );
}

async function updateSource(env: ApiScenarioEnv): Promise<void> {
  const config = (max: number) => ({
    connection_info: { database_url: PG1_URL, pool_settings: { max_connections: max } },
  });
  const check = async (what: string, max: number) => {
    const s = source(await exportV1(env), 'pg1');
    expectEqual(
      `${what}: namespace`,
      (s.customization as { root_fields?: { namespace?: Json } } | undefined)?.root_fields
        ?.namespace,
      'some_namespace',
    );
    expectEqual(
      `${what}: max_connections`,
      (s.configuration as { connection_info?: { pool_settings?: { max_connections?: Json } } })
        ?.connection_info?.pool_settings?.max_connections,
      max,
    );
  };
  try {
    expectStatus(
      'pg_add_source pg1',
      await meta(env, 'pg_add_source', { name: 'pg1', configuration: config(10) }),
      200,
    );
    expectStatus(
      'pg_update_source (customization)',
      await meta(env, 'pg_update_source', { name: 'pg1', customization: NAMESPACE }),
      200,
    );
    await check('after the customization update', 10);
    expectStatus(
      'pg_update_source (configuration)',
      await meta(env, 'pg_update_source', { name: 'pg1', configuration: config(50) }),
      200,
    );
    await check('after the configuration update', 50);
  } finally {
    await meta(env, 'pg_drop_source', { name: 'pg1' });
  }
}

/** v1/metadata scenarios run with the directory's per-case setup around them (V1.md). */
function perCase(run: (env: ApiScenarioEnv) => Promise<void>) {
  return async (env: ApiScenarioEnv) => {
    const problem = await env.setup();
    if (problem) throw new Mismatch(`setup failed: ${problem}`);
    try {
      await run(env);
    } finally {
      await env.teardown();
    }
  };
}

// ---- V1.md: v1/metadata_order ----

async function exportReplace(env: ApiScenarioEnv): Promise<void> {
  const first = expectStatus(
    'export_metadata',
    await post(env, '/v1/query', { type: 'export_metadata', args: {} }),
    200,
  ).body;
  expectStatus(
    'replace_metadata',
    await post(env, '/v1/query', { type: 'replace_metadata', args: first }),
    200,
  );
  const second = (await post(env, '/v1/query', { type: 'export_metadata', args: {} })).body;
  if (!sameJson(first, second))
    throw new Mismatch(
      `the export changed in a round trip: ${JSON.stringify(second).slice(0, 400)}`,
    );
}

async function exportReplaceV2(env: ApiScenarioEnv, conflict: boolean): Promise<void> {
  const before = await exportV2(env);
  const R = before.resource_version;
  const r = await post(env, '/v1/metadata', {
    type: 'replace_metadata',
    version: 2,
    resource_version: conflict ? R - 1 : R,
    args: { metadata: before.metadata },
  });
  expectStatus('replace_metadata v2', r, conflict ? 409 : 200);
  const after = await exportV2(env);
  if (!sameJson(after.metadata, before.metadata)) throw new Mismatch('the metadata changed');
  expectEqual('resource_version', after.resource_version, conflict ? R : R + 1);
}

async function reloadVersioned(env: ApiScenarioEnv, conflict: boolean): Promise<void> {
  const before = await exportV2(env);
  const R = before.resource_version;
  const r = await post(env, '/v1/metadata', {
    type: 'reload_metadata',
    resource_version: conflict ? R - 1 : R,
    args: {},
  });
  expectStatus('reload_metadata', r, conflict ? 409 : 200);
  const after = await exportV2(env);
  if (!sameJson(after.metadata, before.metadata)) throw new Mismatch('the metadata changed');
  expectEqual('resource_version', after.resource_version, conflict ? R : R + 1);
}

// ---- GRAPHQL-EXTRAS.md: explain ----

async function explainAs(env: ApiScenarioEnv, headers: Record<string, string>, status: number) {
  expectStatus(
    'explain',
    await post(
      env,
      '/v1/graphql/explain',
      { query: { query: 'query abc { __typename }', operationName: 'abc' } },
      { ...env.headers, ...headers },
    ),
    status,
  );
}

// ---- GRAPHQL-EXTRAS.md: webhooks/request_context ----

function webhookContext(body: Json, userId: string, echoed: boolean) {
  return async (env: ApiScenarioEnv) => {
    const hook = env.authHook;
    if (!hook) throw new Mismatch('no auth hook');
    const problem = await env.setup();
    if (problem) throw new Mismatch(`setup failed: ${problem}`);
    try {
      hook.calls.length = 0;
      expectStatus(
        'request',
        await post(env, '/v1/graphql', body, { 'auth-user-id': userId }),
        200,
      );
      const call = await hook.nextCall(3000);
      if (!call) throw new Mismatch('the auth hook was not called within 3 s');
      if (echoed) expectEqual('the request the hook received', call.request, body);
    } finally {
      await env.teardown();
    }
  };
}

// ---- SUBSCRIPTIONS.md: multiplexing, udf_session_args, customized_source ----

async function cohortVariables(
  env: ApiScenarioEnv,
  file: string,
  user: Record<string, string>,
): Promise<Record<string, Json>> {
  const q = readFile(env, file) as Record<string, Json>;
  const r = expectStatus(
    'explain',
    await post(env, '/v1/graphql/explain', {
      query: { query: q.query, variables: q.variables ?? {} },
      user,
    }),
    200,
  );
  return ((r.body as Record<string, Json>).variables ?? {}) as Record<string, Json>;
}

async function extraneousSessionVariables(env: ApiScenarioEnv): Promise<void> {
  const pub = await cohortVariables(env, 'articles_query.yaml', {
    'X-Hasura-Role': 'public',
    'X-Hasura-User-Id': '1',
  });
  expectEqual('variables.session (role public)', pub.session, {});
  const user = await cohortVariables(env, 'articles_query.yaml', {
    'X-Hasura-Role': 'user',
    'X-Hasura-User-Id': '1',
    'X-Hasura-Allowed-Ids': '{1,3,4}',
  });
  expectEqual('variables.session (role user)', user.session, { 'x-hasura-user-id': '1' });
}

function syntheticVariables(file: string, want: Json) {
  return async (env: ApiScenarioEnv) => {
    const v = await cohortVariables(env, file, {});
    expectEqual('variables.synthetic', v.synthetic, want);
  };
}

/** Start one subscription over Apollo and return its first frame. */
async function firstFrame(
  env: ApiScenarioEnv,
  initHeaders: Record<string, string>,
  id: string,
  queryText: string,
) {
  const q = await open(wsUrl(env.baseUrl, '/v1/graphql'), 'graphql-ws', 5000);
  try {
    const problem = await initApollo(q, { ...env.headers, ...initHeaders });
    if (problem) throw new Mismatch(problem);
    q.send({ type: 'start', id, payload: { query: queryText } });
    for (;;) {
      const f = await q.next(5000);
      if (!f) throw new Mismatch(`no frame for ${id} within 5 s`);
      if (f.id === id) return f;
    }
  } finally {
    q.ws.terminate();
  }
}

async function udfSessionArgs(env: ApiScenarioEnv): Promise<void> {
  const f = await firstFrame(
    env,
    { 'x-hasura-role': 'user', 'x-hasura-user-id': '42' },
    'hge_test',
    'subscription { me { id name } }',
  );
  expectEqual('frame type', f.type, 'data');
  expectEqual('payload.data', (f.payload as { data?: Json })?.data, {
    me: [{ id: '42', name: 'Charlie' }],
  });
}

async function customizedSourceComplete(env: ApiScenarioEnv): Promise<void> {
  const f = await firstFrame(
    env,
    {},
    crypto.randomUUID(),
    'subscription MySubscription { a: my_source { b: fpref_author_fsuff { id name } } }',
  );
  expectEqual('frame type', f.type, 'data');
  expectEqual('payload.data.a', (f.payload as { data?: { a?: Json } })?.data?.a, {
    b: [
      { id: 1, name: 'Author 1' },
      { id: 2, name: 'Author 2' },
    ],
  });
}

async function customizedSourceDoubleAlias(env: ApiScenarioEnv): Promise<void> {
  const f = await firstFrame(
    env,
    {},
    '2',
    'subscription MySubscription @_multiple_top_level_fields { alias1: my_source { fpref_author_fsuff { id name } } alias2: my_source { fpref_author_fsuff { id name } } }',
  );
  expectEqual('frame type', f.type, 'error');
  const payload = f.payload as { errors?: Json } | Json[];
  expectEqual('payload.errors', Array.isArray(payload) ? payload : payload?.errors, [
    {
      extensions: { path: '$', code: 'validation-failed' },
      message: 'subscriptions must select one top level field',
    },
  ]);
}

export const API_SCENARIOS: Record<string, (env: ApiScenarioEnv) => Promise<void>> = {
  'inconsistent_objects#TestInconsistentObjects.test_inconsistent_objects': inconsistentObjects,
  'v1/metadata#TestMetadata.test_replace_metadata_disallow_inconsistent_metadata': perCase(
    replaceDisallowInconsistent,
  ),
  'v1/metadata#TestMetadata.test_replace_metadata_default_kind': perCase(replaceDefaultKind),
  'v1/metadata#TestMetadata.test_pg_add_source_with_replace_config':
    perCase(addSourceReplaceConfig),
  'v1/metadata#TestMetadata.test_pg_update_unknown_source': perCase(updateUnknownSource),
  'v1/metadata#TestMetadata.test_pg_update_source': perCase(updateSource),
  'v1/metadata_order#TestMetadataOrder.test_export_replace': exportReplace,
  'v1/metadata_order#TestMetadataOrder.test_export_replace_v2': (env) =>
    exportReplaceV2(env, false),
  'v1/metadata_order#TestMetadataOrder.test_export_replace_v2_conflict': (env) =>
    exportReplaceV2(env, true),
  'v1/metadata_order#TestMetadataOrder.test_reload_metadata': (env) => reloadVersioned(env, false),
  'v1/metadata_order#TestMetadataOrder.test_reload_metadata_conflict': (env) =>
    reloadVersioned(env, true),
  'explain#TestGraphQLExplainPostgresMSSQL.test_simple_query_as_admin': (env) =>
    explainAs(env, {}, 200),
  'explain#TestGraphQLExplainPostgresMSSQL.test_simple_query_as_user': (env) =>
    explainAs(env, { 'x-hasura-role': 'random_user' }, 400),
  'webhooks/request_context#TestWebhookRequestContext.test_query': webhookContext(
    { query: 'query allUsers { users { id name } }', operationName: 'allUsers' },
    '1',
    true,
  ),
  'webhooks/request_context#TestWebhookRequestContext.test_query_invalid': webhookContext(
    'invalid-query',
    '1',
    false,
  ),
  'webhooks/request_context#TestWebhookRequestContext.test_mutation_with_vars': webhookContext(
    {
      query:
        'mutation insert_single_user($id: Int!, $name: String!) { insert_users_one(object: {id: $id, name: $name}) { id name } }',
      variables: { id: 4, name: 'danish' },
      operationName: 'insert_single_user',
    },
    '4',
    true,
  ),
  'subscriptions/multiplexing#TestSubscriptionMultiplexingPostgresMSSQL.test_extraneous_session_variables_are_discarded_from_query':
    extraneousSessionVariables,
  'subscriptions/multiplexing#TestSubscriptionMultiplexingPostgres.test_simple_variables_are_parameterized':
    syntheticVariables('articles_query_simple_variable.yaml', ['1']),
  'subscriptions/multiplexing#TestSubscriptionMultiplexingPostgres.test_array_variables_are_parameterized':
    syntheticVariables('articles_query_array_variable.yaml', ['{1,2,3}']),
  'subscriptions/udf_session_args#TestSubscriptionUDFWithSessionArg.test_user_defined_function_with_session_argument':
    udfSessionArgs,
  'subscriptions/customized_source#TestSubscriptionCustomizedSourceMSSQLPostgres.test_complete':
    customizedSourceComplete,
  'subscriptions/customized_source#TestSubscriptionCustomizedSourceMSSQLPostgres.test_double_alias':
    customizedSourceDoubleAlias,
};

/** Run one scenario; a failure is an outcome, never an exception. */
export async function runApiScenario(key: string, env: ApiScenarioEnv): Promise<ApiOutcome> {
  const run = API_SCENARIOS[key];
  if (!run) return { ok: false, reason: `no scenario driver for ${key}` };
  try {
    await run(env);
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
