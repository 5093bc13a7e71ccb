/**
 * Inherited roles end to end on a real Postgres, set up through the metadata API as a client
 * would: an inherited role reads the union of its parents' columns, on the OR of their rows, with
 * each column shown only on the rows of a parent that grants it (null elsewhere — in the output,
 * in aggregates, and a filter on it never matches there); the condition is part of the SQL, its
 * values parameters. A mutation permission is inherited only when the parents agree, and one
 * defined on the inherited role wins; nested inheritance keeps the per-column conditions; cycles
 * are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { api, gql, metadata, runSql, startTestEngine } from './helpers.ts';
import { RawClient, wsUrl } from './live-helpers.ts';

let db: TestDatabase;
let engine: RunningEngine;

/** `both` = self + manager: user 1 is employee 1 and manages team 10 (employees 1 and 2). */
const both = {
  'x-hasura-role': 'both',
  'x-hasura-user-id': '1',
  'x-hasura-manager-id': '10',
};

const selectPermission = (role: string, columns: string[], filter: unknown, extra = {}) => ({
  type: 'pg_create_select_permission',
  args: { table: 'employee', role, permission: { columns, filter, ...extra } },
});

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'inh', empty: true });
  engine = await startTestEngine(db.url);
  await runSql(
    engine,
    `CREATE TABLE employee (id int PRIMARY KEY, name text NOT NULL, salary int NOT NULL,
       manager_id int NOT NULL, notes text, hr_remarks text);
     INSERT INTO employee VALUES (1, 'ann', 100, 10, 'n1', 'h1'), (2, 'bob', 200, 10, 'n2', 'h2'),
       (3, 'cid', 300, 20, 'n3', 'h3');
     CREATE FUNCTION employee_is_senior(e employee) RETURNS boolean
       AS 'SELECT e.salary >= 300' LANGUAGE sql STABLE;`,
  );
  await metadata(engine, {
    type: 'bulk',
    args: [
      { type: 'pg_track_table', args: { table: 'employee' } },
      selectPermission('self', ['id', 'name', 'salary'], { id: 'X-Hasura-User-Id' }),
      selectPermission(
        'manager',
        ['id', 'name', 'notes'],
        { manager_id: 'X-Hasura-Manager-Id' },
        { allow_aggregations: true },
      ),
      selectPermission('guest', ['name'], {}),
      {
        type: 'pg_add_computed_field',
        args: {
          table: 'employee',
          name: 'is_senior',
          definition: { function: 'employee_is_senior' },
        },
      },
      selectPermission('senior_hr', ['hr_remarks'], { is_senior: { _eq: true } }),
      { type: 'add_inherited_role', args: { role_name: 'hr', role_set: ['guest', 'senior_hr'] } },
      { type: 'add_inherited_role', args: { role_name: 'both', role_set: ['self', 'manager'] } },
      { type: 'add_inherited_role', args: { role_name: 'nested', role_set: ['both', 'guest'] } },
    ],
  });
});

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

describe('Engine > inherited roles > select', () => {
  it('should show each column only on the rows of a parent that grants it', async () => {
    const r = await gql(
      engine,
      '{ employee(order_by: {id: asc}) { id name salary notes } }',
      undefined,
      both,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.employee).toEqual([
      { id: 1, name: 'ann', salary: 100, notes: 'n1' },
      // only the manager parent allows this row, and it does not grant salary
      { id: 2, name: 'bob', salary: null, notes: 'n2' },
    ]);
  });

  it('should not offer a column no parent grants, and type partly hidden columns as nullable', async () => {
    const r = await gql(engine, '{ employee { hr_remarks } }', undefined, both);
    expect(r.errors?.[0]?.message).toBe("field 'hr_remarks' not found in type: 'employee'");
    const t = await gql(
      engine,
      '{ __type(name: "employee") { fields { name type { kind } } } }',
      undefined,
      both,
    );
    const kinds = Object.fromEntries(
      (t.data!.__type.fields as Array<{ name: string; type: { kind: string } }>).map((f) => [
        f.name,
        f.type.kind,
      ]),
    );
    // id and name: every parent grants them on all its rows
    expect(kinds).toEqual({ id: 'NON_NULL', name: 'NON_NULL', salary: 'SCALAR', notes: 'SCALAR' });
  });

  it('should never match a filter or an aggregate on a hidden cell', async () => {
    const filtered = await gql(
      engine,
      '{ employee(where: {salary: {_gte: 150}}) { id } }',
      undefined,
      both,
    );
    // employee 2 earns 200, but this role cannot read it there
    expect(filtered.data!.employee).toEqual([]);
    const agg = await gql(
      engine,
      '{ employee_aggregate { aggregate { count sum { salary } max { salary } } } }',
      undefined,
      both,
    );
    expect(agg.errors).toBeUndefined();
    expect(agg.data!.employee_aggregate.aggregate).toEqual({
      count: 2,
      sum: { salary: 100 },
      max: { salary: 100 },
    });
    const ordered = await gql(
      engine,
      '{ employee(order_by: {salary: desc_nulls_last}) { id } }',
      undefined,
      both,
    );
    expect(ordered.data!.employee).toEqual([{ id: 1 }, { id: 2 }]);
    const distinct = await gql(
      engine,
      '{ employee(distinct_on: salary, order_by: [{salary: asc}, {id: desc}]) { id salary } }',
      undefined,
      both,
    );
    expect(distinct.errors).toBeUndefined();
    expect(distinct.data!.employee).toEqual([
      { id: 1, salary: 100 },
      { id: 2, salary: null },
    ]);
  });

  it('should keep the per-column condition in the SQL, its session values as parameters', async () => {
    const res = await fetch(`${engine.url}/v1/graphql/explain`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: { query: '{ employee { salary } }' }, user: both }),
    });
    const r = { status: res.status, body: (await res.json()) as Array<Record<string, unknown>> };
    expect(r.status).toBe(200);
    const text = r.body[0]!.sql as string;
    expect(text).toMatch(/CASE WHEN .* THEN .*"salary".* ELSE NULL END/s);
    expect(text).not.toMatch(/'10'|'1'/);
    expect(r.body[0]!.prepared_arguments).toEqual(expect.arrayContaining(['1', '10']));
  });

  it('should evaluate a condition on a computed field on the table row, even with extra columns', async () => {
    const r = await gql(
      engine,
      '{ employee(order_by: [{hr_remarks: asc_nulls_last}, {name: asc}]) { name hr_remarks } }',
      undefined,
      { 'x-hasura-role': 'hr' },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.employee).toEqual([
      { name: 'cid', hr_remarks: 'h3' },
      { name: 'ann', hr_remarks: null },
      { name: 'bob', hr_remarks: null },
    ]);
  });

  it('should stream by a cursor column only the rows where the role reads it', async () => {
    const c = await RawClient.open(wsUrl(engine), 'graphql-transport-ws');
    try {
      await c.init(both);
      c.send({
        id: 's',
        type: 'subscribe',
        payload: {
          query:
            'subscription { employee_stream(batch_size: 10, cursor: {initial_value: {salary: 0}}) { id salary } }',
        },
      });
      const first = await c.until(() => c.of('s')[0], 'the first batch');
      // employee 2's salary (200) is hidden from this role: it must not order or pass the cursor
      expect(first.payload).toEqual({ data: { employee_stream: [{ id: 1, salary: 100 }] } });
    } finally {
      c.close();
    }
  });

  it('should carry per-column conditions through a parent that is itself inherited', async () => {
    const r = await gql(
      engine,
      '{ employee(order_by: {id: asc}) { name salary notes } }',
      undefined,
      { ...both, 'x-hasura-role': 'nested' },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.employee).toEqual([
      { name: 'ann', salary: 100, notes: 'n1' },
      { name: 'bob', salary: null, notes: 'n2' },
      // guest reads every name, nothing else
      { name: 'cid', salary: null, notes: null },
    ]);
  });
});

describe('Engine > inherited roles > mutations and metadata', () => {
  const updateAs = (role: string) =>
    gql(
      engine,
      'mutation { update_employee(where: {id: {_eq: 1}}, _set: {name: "ann2"}) { affected_rows } }',
      undefined,
      { ...both, 'x-hasura-role': role },
    );

  it('should refuse a mutation the parents disagree on, until the inherited role defines it', async () => {
    await metadata(engine, {
      type: 'bulk',
      args: [
        {
          type: 'pg_create_update_permission',
          args: {
            table: 'employee',
            role: 'self',
            permission: { columns: ['name'], filter: { id: 'X-Hasura-User-Id' } },
          },
        },
        {
          type: 'pg_create_update_permission',
          args: {
            table: 'employee',
            role: 'manager',
            permission: { columns: ['name'], filter: { manager_id: 'X-Hasura-Manager-Id' } },
          },
        },
      ],
    });
    const refused = await updateAs('both');
    expect(refused.errors?.[0]?.extensions.code).toBe('validation-failed');
    expect(refused.errors?.[0]?.message).toBe('no mutations exist');
    const inc = await api(engine, '/v1/metadata', { type: 'get_inconsistent_metadata', args: {} });
    expect(inc.body.inconsistent_objects).toContainEqual({
      type: 'inherited role permission inconsistency',
      name: 'both',
      reason:
        "Could not inherit permission for the role 'both' for the entity: 'update permission, table: employee, source: 'default''",
      entity: { table: 'employee', source: 'default', permission_type: 'update' },
    });
    // each parent alone may update
    expect((await updateAs('self')).data).toEqual({ update_employee: { affected_rows: 1 } });

    await metadata(engine, {
      type: 'pg_create_update_permission',
      args: {
        table: 'employee',
        role: 'both',
        permission: { columns: ['name'], filter: { id: 'X-Hasura-User-Id' } },
      },
    });
    expect((await updateAs('both')).data).toEqual({ update_employee: { affected_rows: 1 } });
  });

  it('should inherit a mutation permission the parents agree on', async () => {
    const permission = { filter: { id: { _eq: 3 } } };
    await metadata(engine, {
      type: 'bulk',
      // the same permission, once with a default written out
      args: [
        { role: 'self', permission },
        { role: 'manager', permission: { ...permission, backend_only: false } },
      ].map((p) => ({ type: 'pg_create_delete_permission', args: { table: 'employee', ...p } })),
    });
    const r = await gql(
      engine,
      'mutation { delete_employee(where: {}) { affected_rows } }',
      undefined,
      both,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ delete_employee: { affected_rows: 1 } });
  });

  it('should export inherited roles, refuse cycles and drop a role', async () => {
    const md = await api(engine, '/v1/metadata', { type: 'export_metadata', args: {} });
    expect(md.body.inherited_roles).toEqual([
      { role_name: 'hr', role_set: ['guest', 'senior_hr'] },
      { role_name: 'both', role_set: ['self', 'manager'] },
      { role_name: 'nested', role_set: ['both', 'guest'] },
    ]);
    const cycle = await api(engine, '/v1/metadata', {
      type: 'add_inherited_role',
      args: { role_name: 'both', role_set: ['nested'] },
    });
    expect(cycle.status).toBe(400);
    expect(cycle.body).toMatchObject({
      code: 'cyclic-dependency',
      error: 'found cycle(s) in roles: ["both","nested","both"]',
    });

    const orphan = await api(engine, '/v1/metadata', {
      type: 'add_inherited_role',
      args: { role_name: 'orphan', role_set: ['self', 'nobody'] },
    });
    expect(orphan.status).toBe(400);
    expect(orphan.body.error).toBe(
      'Inconsistent object: the following parent role(s) are not found: nobody which are required to construct the inherited role: "orphan"',
    );

    await metadata(engine, { type: 'drop_inherited_role', args: { role_name: 'nested' } });
    const gone = await gql(engine, '{ employee { name } }', undefined, {
      'x-hasura-role': 'nested',
    });
    expect(gone.errors?.[0]?.message).toBe("field 'employee' not found in type: 'query_root'");
    const again = await api(engine, '/v1/metadata', {
      type: 'drop_inherited_role',
      args: { role_name: 'nested' },
    });
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('"nested" inherited role doesn\'t exist');
  });
});
