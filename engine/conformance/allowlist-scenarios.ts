/**
 * The Python-only allowlist scenarios of `graphql_query/allowlist_role_based` (GRAPHQL-EXTRAS.md,
 * "Allowlist"), one result each: metadata operations on the allow list with their exact bodies,
 * and which role may run which query. Upstream drops both collections from the allow list after
 * every test (errors ignored); so does `cleanup`.
 */
import { isDeepStrictEqual } from 'node:util';

export interface ScenarioEnv {
  baseUrl: string;
  headers: Record<string, string>;
}

export interface ScenarioOutcome {
  ok: boolean;
  reason?: string;
}

class Mismatch extends Error {}

async function call(env: ScenarioEnv, url: string, body: unknown, headers = env.headers) {
  const r = await fetch(`${env.baseUrl}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as unknown };
}

const meta = (env: ScenarioEnv, type: string, args: unknown) =>
  call(env, '/v1/metadata', { type, args });

async function expectCall(
  what: string,
  got: Promise<{ status: number; body: unknown }>,
  status: number,
  body?: unknown,
): Promise<unknown> {
  const r = await got;
  if (r.status !== status || (body !== undefined && !isDeepStrictEqual(r.body, body)))
    throw new Mismatch(
      `${what}: expected ${status} ${body === undefined ? '' : JSON.stringify(body)}, got ${r.status} ${JSON.stringify(r.body)}`,
    );
  return r.body;
}

async function allowlist(env: ScenarioEnv): Promise<unknown> {
  const md = (await expectCall('export_metadata', meta(env, 'export_metadata', {}), 200)) as Record<
    string,
    unknown
  >;
  return md.allowlist ?? null;
}

async function expectAllowlist(env: ScenarioEnv, want: unknown, what: string) {
  const got = await allowlist(env);
  if (!isDeepStrictEqual(got, want))
    throw new Mismatch(
      `${what}: allowlist ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`,
    );
}

const global = { global: true };
const parseFailed = (path: string, error: string) => ({ path, error, code: 'parse-failed' });

const QUERIES: Record<string, string> = {
  query_0: 'query { author { first_name } }',
  query_1: 'query { author { first_name last_name } }',
  query_2: 'query { author { __typename last_name } }',
  query_3: 'query { author { id } }',
};

const NOT_ALLOWED = {
  errors: [
    { extensions: { path: '$', code: 'validation-failed' }, message: 'query is not allowed' },
  ],
};

async function allowed(env: ScenarioEnv, role: string, name: string): Promise<boolean> {
  const headers = role === 'admin' ? env.headers : { ...env.headers, 'x-hasura-role': role };
  const r = await call(env, '/v1/graphql', { query: QUERIES[name] }, headers);
  if (isDeepStrictEqual(r.body, NOT_ALLOWED)) return false;
  const b = r.body as { data?: unknown };
  if (r.status === 200 && b.data) return true;
  throw new Mismatch(
    `${name} as ${role}: neither data nor "not allowed": ${JSON.stringify(r.body)}`,
  );
}

async function expectAllowed(env: ScenarioEnv, roles: string[], names: string[], want: boolean) {
  for (const role of roles)
    for (const name of names)
      if ((await allowed(env, role, name)) !== want)
        throw new Mismatch(`${name} as ${role}: expected ${want ? 'allowed' : 'not allowed'}`);
}

type Driver = (env: ScenarioEnv) => Promise<void>;

const add = (env: ScenarioEnv, collection: string, scope?: unknown) =>
  meta(env, 'add_collection_to_allowlist', scope ? { collection, scope } : { collection });

export const ALLOWLIST_SCENARIOS: Record<string, Driver> = {
  'TestAllowlistMetadata.test_add_update_drop': async (env) => {
    await expectAllowlist(env, null, 'at first');
    await expectCall('add collection_1', add(env, 'collection_1', global), 200);
    await expectAllowlist(env, [{ collection: 'collection_1', scope: global }], 'after add');
    const roles = { global: false, roles: ['foo', 'bar'] };
    await expectCall('add collection_2', add(env, 'collection_2', roles), 200);
    await expectAllowlist(
      env,
      [
        { collection: 'collection_1', scope: global },
        { collection: 'collection_2', scope: roles },
      ],
      'after second add',
    );
    const update = (collection: string, scope: unknown) =>
      meta(env, 'update_scope_of_collection_in_allowlist', { collection, scope });
    await expectCall('update 1', update('collection_1', { global: false, roles: ['baz'] }), 200);
    await expectCall('update 2', update('collection_2', global), 200);
    await expectAllowlist(
      env,
      [
        { collection: 'collection_1', scope: { global: false, roles: ['baz'] } },
        { collection: 'collection_2', scope: global },
      ],
      'after updates',
    );
    const drop = (collection: string) =>
      meta(env, 'drop_collection_from_allowlist', { collection });
    await expectCall('drop 1', drop('collection_1'), 200);
    await expectAllowlist(env, [{ collection: 'collection_2', scope: global }], 'after drop');
    await expectCall('drop 2', drop('collection_2'), 200);
    await expectAllowlist(env, null, 'at the end');
  },
  'TestAllowlistMetadata.test_add_validation': async (env) => {
    const cases: Array<[unknown, unknown]> = [
      [{ scope: global }, parseFailed('$.args', 'key "collection" not found')],
      [
        { collection: 'collection_1', scope: { global: false } },
        parseFailed('$.args.scope', 'key "roles" not found'),
      ],
      [
        { collection: 'collection_1', scope: { global: false, roles: [] } },
        parseFailed('$.args.scope.roles', 'parsing NonEmpty failed, unexpected empty list'),
      ],
    ];
    for (const [args, body] of cases)
      await expectCall(
        `add ${JSON.stringify(args)}`,
        meta(env, 'add_collection_to_allowlist', args),
        400,
        body,
      );
  },
  'TestAllowlistMetadata.test_update_validation': async (env) => {
    const update = (args: unknown) => meta(env, 'update_scope_of_collection_in_allowlist', args);
    await expectCall(
      'without collection',
      update({ scope: global }),
      400,
      parseFailed('$.args', 'key "collection" not found'),
    );
    await expectCall(
      'without scope',
      update({ collection: 'collection_1' }),
      400,
      parseFailed('$.args', 'key "scope" not found'),
    );
  },
  'TestAllowlistMetadata.test_drop_validation': async (env) => {
    // the message names Hasura's Haskell type: scored on status and code only (GRAPHQL-EXTRAS.md)
    const body = (await expectCall(
      'drop {}',
      meta(env, 'drop_collection_from_allowlist', {}),
      400,
    )) as { code?: string; path?: string };
    if (body.code !== 'parse-failed' || body.path !== '$.args')
      throw new Mismatch(`drop {}: ${JSON.stringify(body)}`);
  },
  'TestAllowlistMetadata.test_replace_validation': async (env) => {
    const md = (await expectCall(
      'export_metadata',
      call(env, '/v1/metadata', { type: 'export_metadata', version: 2, args: {} }),
      200,
    )) as { metadata: Record<string, unknown> };
    const metadata = {
      ...md.metadata,
      allowlist: [{ collection: 'collection_1' }, { collection: 'collection_1', scope: global }],
    };
    await expectCall(
      'replace_metadata',
      call(env, '/v1/metadata', { type: 'replace_metadata', version: 2, args: { metadata } }),
      400,
      parseFailed(
        '$.args.metadata',
        'multiple declarations exist for the following allowlist entries: collection_1',
      ),
    );
  },
  'TestAllowlistMetadata.test_add_scope_defaults_to_global': async (env) => {
    await expectCall('add', add(env, 'collection_1'), 200);
    await expectAllowlist(env, [{ collection: 'collection_1', scope: global }], 'after add');
  },
  'TestAllowlistMetadata.test_drop_fail_when_missing': async (env) => {
    await expectCall(
      'drop',
      meta(env, 'drop_collection_from_allowlist', { collection: 'collection_1' }),
      400,
      {
        path: '$.args',
        error: 'collection "collection_1" doesn\'t exist in the allowlist',
        code: 'not-found',
      },
    );
  },
  'TestAllowlistMetadata.test_update_fail_if_missing': async (env) => {
    await expectCall(
      'update',
      meta(env, 'update_scope_of_collection_in_allowlist', {
        collection: 'collection_1',
        scope: global,
      }),
      400,
      {
        path: '$.args',
        error: 'collection "collection_1" doesn\'t exist in the allowlist',
        code: 'not-found',
      },
    );
  },
  'TestAllowlistMetadata.test_add_again': async (env) => {
    const again = (c: string) => ({
      message: `collection "${c}" already exists in the allowlist, scope ignored; to change scope, use update_scope_of_collection_in_allowlist`,
    });
    const foo = { global: false, roles: ['foo'] };
    await expectCall('add 1', add(env, 'collection_1', global), 200);
    await expectCall('add 1 again', add(env, 'collection_1', foo), 200, again('collection_1'));
    await expectAllowlist(env, [{ collection: 'collection_1', scope: global }], 'after re-add');
    await expectCall('add 2', add(env, 'collection_2', foo), 200);
    await expectCall('add 2 again', add(env, 'collection_2', global), 200, again('collection_2'));
    await expectAllowlist(
      env,
      [
        { collection: 'collection_1', scope: global },
        { collection: 'collection_2', scope: foo },
      ],
      'after second re-add',
    );
  },
  'TestRoleBasedAllowlistQueriesCE.test_baseline': async (env) => {
    await expectAllowed(
      env,
      ['user', 'guest'],
      ['query_0', 'query_1', 'query_2', 'query_3'],
      false,
    );
    await expectAllowed(env, ['admin'], ['query_0', 'query_1', 'query_2', 'query_3'], true);
  },
  'TestRoleBasedAllowlistQueriesCE.test_allowlists': async (env) => {
    await expectCall('add 1', add(env, 'collection_1', global), 200);
    await expectCall(
      'add 2',
      add(env, 'collection_2', { global: false, roles: ['user', 'editor'] }),
      200,
    );
    await expectAllowed(env, ['user', 'guest'], ['query_0'], false);
    await expectAllowed(env, ['user', 'guest'], ['query_1', 'query_2'], true);
    // CE ignores role scopes: query_3 (collection_2, for user and editor) is not allowed for user
    await expectAllowed(env, ['user'], ['query_3'], false);
  },
  'TestRoleBasedAllowlistQueriesPro.test_allowlists': async (env) => {
    await expectCall('add 1', add(env, 'collection_1', global), 200);
    await expectCall(
      'add 2',
      add(env, 'collection_2', { global: false, roles: ['user', 'editor'] }),
      200,
    );
    await expectAllowed(env, ['user', 'guest'], ['query_0'], false);
    await expectAllowed(env, ['user', 'guest'], ['query_1', 'query_2'], true);
    await expectAllowed(env, ['user'], ['query_3'], true);
    await expectAllowed(env, ['guest'], ['query_3'], false);
  },
};

/** Run one scenario, then drop both collections from the allow list as upstream does. */
export async function runAllowlistScenario(
  id: string,
  env: ScenarioEnv,
): Promise<ScenarioOutcome | undefined> {
  const driver = ALLOWLIST_SCENARIOS[id];
  if (!driver) return undefined;
  try {
    await driver(env);
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  } finally {
    for (const collection of ['collection_1', 'collection_2'])
      await meta(env, 'drop_collection_from_allowlist', { collection }).catch(() => {});
  }
}
