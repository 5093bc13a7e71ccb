/**
 * The Python-only scenario of `graphql_query/permissions/inherited_roles` (GRAPHQL-EXTRAS.md,
 * "Inherited roles"): metadata whose inherited roles form a cycle is refused by replace_metadata
 * with Hasura's exact message.
 */
import type { ScenarioEnv, ScenarioOutcome } from './allowlist-scenarios.ts';

async function query(env: ScenarioEnv, body: unknown): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`${env.baseUrl}/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...env.headers },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as unknown };
}

type Driver = (env: ScenarioEnv) => Promise<string | null>;

const CYCLE = [
  { role_name: 'intermediate_circular_role_1', role_set: ['manager_employee', 'circular_role'] },
  {
    role_name: 'intermediate_circular_role_2',
    role_set: ['intermediate_circular_role_1', 'employee'],
  },
  { role_name: 'circular_role', role_set: ['intermediate_circular_role_2', 'author'] },
];

const CYCLE_ERROR =
  'found cycle(s) in roles: ["circular_role","intermediate_circular_role_2","intermediate_circular_role_1","circular_role"]';

export const INHERITED_ROLE_SCENARIOS: Record<string, Driver> = {
  'TestGraphQLInheritedRolesSchema.test_throw_error_when_roles_form_a_cycle': async (env) => {
    const exported = await query(env, { type: 'export_metadata', args: {} });
    if (exported.status !== 200) return `export_metadata: ${exported.status}`;
    const md = exported.body as Record<string, unknown>;
    const roles = Array.isArray(md.inherited_roles) ? md.inherited_roles : [];
    const replaced = await query(env, {
      type: 'replace_metadata',
      args: { ...md, inherited_roles: [...roles, ...CYCLE] },
    });
    const error = (replaced.body as { error?: unknown }).error;
    if (replaced.status !== 400 || error !== CYCLE_ERROR)
      return `replace_metadata: expected 400 ${JSON.stringify(CYCLE_ERROR)}, got ${replaced.status} ${JSON.stringify(replaced.body)}`;
    return null;
  },
};

export async function runInheritedRoleScenario(
  id: string,
  env: ScenarioEnv,
): Promise<ScenarioOutcome | undefined> {
  const driver = INHERITED_ROLE_SCENARIOS[id];
  if (!driver) return undefined;
  try {
    const problem = await driver(env);
    return problem === null ? { ok: true } : { ok: false, reason: problem };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
