/**
 * Permission matrix, generated from the project's metadata (hasura/metadata): every role the
 * metadata names (plus a role with no permissions at all, and `user`-like roles under two
 * different X-Hasura-User-Id values) × every tracked table. For each cell it checks that the
 * role's schema exposes exactly the permitted fields, that a query returns exactly the rows the
 * permission filter allows (computed independently with direct SQL), that columns outside the
 * permission are refused both in the selection set and in `where`, and that `_aggregate` exists
 * only with allow_aggregations and counts the permitted rows. A new table or permission is covered
 * without editing this file; a filter form this file does not understand fails the cell.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- response bodies are checked field by field */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, REPO_ROOT, sql, type SQL } from '@streamsync/database';
import { createTestDatabase, type TestDatabase } from '@streamsync/testing';
import type { RunningEngine } from '../src/server.ts';
import { loadMetadataDir } from '../src/metadata/load-dir.ts';
import {
  normalizeName,
  type BoolExpJson,
  type QualifiedName,
  type SelectPermission,
  type TableMeta,
} from '../src/metadata/types.ts';
import { gql, startTestEngine, type GqlResponse } from './helpers.ts';

const ADMIN_SECRET = 'permission-matrix-secret';
const NO_PERMISSION_ROLE = 'matrix_no_permissions';
const USER_IDS = ['1', '2'];

// ---------------------------------------------------------------------------------------------
// The matrix, from the metadata directory
// ---------------------------------------------------------------------------------------------

const metadataDir = path.join(REPO_ROOT, 'hasura', 'metadata');
const source = loadMetadataDir(metadataDir).sources.find((s) => s.name === 'default');
if (!source) throw new Error(`no "default" source in ${metadataDir}`);
const tables: TableMeta[] = source.tables;

const qname = (t: QualifiedName): string => `${t.schema}.${t.name}`;

function rootFieldName(v: unknown): string | undefined {
  if (typeof v === 'string' && v) return v;
  if (v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string')
    return (v as { name: string }).name;
  return undefined;
}

/** GraphQL names of a table as Hasura derives them. */
function namesOf(t: TableMeta): { type: string; select: string; aggregate: string } {
  const base =
    t.configuration?.custom_name ??
    (t.table.schema === 'public' ? t.table.name : `${t.table.schema}_${t.table.name}`);
  const crf = t.configuration?.custom_root_fields ?? {};
  return {
    type: base,
    select: rootFieldName(crf.select) ?? base,
    aggregate: rootFieldName(crf.select_aggregate) ?? `${base}_aggregate`,
  };
}

const tableByName = (n: QualifiedName): TableMeta | undefined =>
  tables.find((t) => t.table.schema === n.schema && t.table.name === n.name);

const selectPermission = (t: TableMeta, role: string): SelectPermission | undefined =>
  t.select_permissions?.find((p) => p.role === role)?.permission;

const PERMISSION_KINDS = [
  'select_permissions',
  'insert_permissions',
  'update_permissions',
  'delete_permissions',
] as const;
const metadataRoles = [
  ...new Set(
    tables.flatMap((t) => PERMISSION_KINDS.flatMap((k) => (t[k] ?? []).map((p) => p.role))),
  ),
].sort();

function usesSessionVariables(v: unknown): boolean {
  if (typeof v === 'string') return /^x-hasura-/i.test(v);
  if (Array.isArray(v)) return v.some(usesSessionVariables);
  if (v && typeof v === 'object') return Object.values(v).some(usesSessionVariables);
  return false;
}

interface Subject {
  label: string;
  role: string;
  session: Record<string, string>;
}

const subjects: Subject[] = [
  ...metadataRoles.flatMap((role): Subject[] => {
    const sessionDependent = tables.some((t) =>
      usesSessionVariables(selectPermission(t, role)?.filter),
    );
    return sessionDependent
      ? USER_IDS.map((id) => ({
          label: `${role}(user-id ${id})`,
          role,
          session: { 'x-hasura-user-id': id },
        }))
      : [{ label: role, role, session: { 'x-hasura-user-id': USER_IDS[0]! } }];
  }),
  { label: NO_PERMISSION_ROLE, role: NO_PERMISSION_ROLE, session: {} },
];

interface Cell {
  name: string;
  subject: Subject;
  table: TableMeta;
  permission: SelectPermission | undefined;
}

const cells: Cell[] = subjects.flatMap((subject) =>
  tables.map((table) => ({
    name: `${subject.label} × ${qname(table.table)}`,
    subject,
    table,
    permission: selectPermission(table, subject.role),
  })),
);

// ---------------------------------------------------------------------------------------------
// The permission filter, as independent SQL
// ---------------------------------------------------------------------------------------------

class MatrixNeedsExtending extends Error {
  constructor(what: string, filter: unknown) {
    super(
      `permission matrix needs extending: ${what} in filter ${JSON.stringify(filter)} is not ` +
        'understood by engine/test/permission-matrix.test.ts',
    );
  }
}

function sessionValue(v: unknown, session: Record<string, string>, filter: unknown): unknown {
  if (typeof v === 'string' && /^x-hasura-/i.test(v)) {
    const value = session[v.toLowerCase()];
    if (value === undefined)
      throw new MatrixNeedsExtending(`session variable ${v} (not set for this subject)`, filter);
    return value;
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  throw new MatrixNeedsExtending(`value ${JSON.stringify(v)}`, filter);
}

/** A foreign key of the database, read in beforeAll (relationships by foreign_key_constraint_on). */
interface ForeignKey {
  table: QualifiedName;
  columns: string[];
  references: QualifiedName;
  referencedColumns: string[];
}
const foreignKeys: ForeignKey[] = [];

/**
 * The table a set-returning computed field's function returns rows of, by `<table>.<field>`, read
 * in beforeAll: such a field also has a `<field>_aggregate` where that table's rows may be
 * aggregated, as Hasura generates it.
 */
const computedFieldTables = new Map<string, QualifiedName>();

const sameTable = (a: QualifiedName, b: QualifiedName): boolean =>
  a.schema === b.schema && a.name === b.name;
const sameColumns = (a: string[], b: string[]): boolean =>
  a.length === b.length && a.every((c, i) => c === b[i]);

/** The columns a foreign_key_constraint_on names: a column, `{column}` or `{columns}`. */
function fkColumns(on: any): string[] | undefined {
  if (typeof on === 'string') return [on];
  if (typeof on?.column === 'string') return [on.column];
  if (Array.isArray(on?.columns)) return on.columns as string[];
  return undefined;
}

/**
 * The remote table of relationship `name` of `t` and its column mapping (this table's column →
 * the remote's), from a manual configuration or from the database's foreign key: an object
 * relationship names a key of this table, an array relationship a key of the remote table that
 * points here. Known only after beforeAll has read the foreign keys.
 */
function relationshipOf(
  t: TableMeta,
  name: string,
): { remote: QualifiedName; mapping: Record<string, string> } | undefined {
  const rel = [...(t.object_relationships ?? []), ...(t.array_relationships ?? [])].find(
    (r) => r.name === name,
  );
  if (!rel) return undefined;
  const using = rel.using as { manual_configuration?: any; foreign_key_constraint_on?: any };
  if (using.manual_configuration)
    return {
      remote: normalizeName(using.manual_configuration.remote_table),
      mapping: using.manual_configuration.column_mapping as Record<string, string>,
    };
  const on = using.foreign_key_constraint_on;
  const columns = fkColumns(on);
  if (!columns) return undefined;
  if (on?.table) {
    // an array relationship: the remote table's key points at this table
    const remote = normalizeName(on.table);
    const fk = foreignKeys.find(
      (k) =>
        sameTable(k.table, remote) &&
        sameTable(k.references, t.table) &&
        sameColumns(k.columns, columns),
    );
    if (!fk) return undefined;
    return {
      remote,
      mapping: Object.fromEntries(fk.referencedColumns.map((c, i) => [c, fk.columns[i]!])),
    };
  }
  const fk = foreignKeys.find(
    (k) => sameTable(k.table, t.table) && sameColumns(k.columns, columns),
  );
  if (!fk) return undefined;
  return {
    remote: fk.references,
    mapping: Object.fromEntries(fk.columns.map((c, i) => [c, fk.referencedColumns[i]!])),
  };
}

let aliasCounter = 0;

/** `filter` over the row `alias` of table `t`, as a SQL boolean expression. */
function filterSql(
  t: TableMeta,
  alias: string,
  filter: BoolExpJson | undefined,
  session: Record<string, string>,
  columns: Set<string>,
  whole: unknown = filter,
): SQL {
  const parts: SQL[] = [];
  for (const [key, value] of Object.entries(filter ?? {})) {
    if (key === '_and' || key === '_or') {
      if (!Array.isArray(value)) throw new MatrixNeedsExtending(`non-list ${key}`, whole);
      const inner = value.map((v) =>
        filterSql(t, alias, v as BoolExpJson, session, columns, whole),
      );
      parts.push(
        inner.length === 0
          ? key === '_and'
            ? sql`true`
            : sql`false`
          : sql`(${sql.join(inner, key === '_and' ? ' AND ' : ' OR ')})`,
      );
    } else if (key === '_not') {
      parts.push(sql`NOT (${filterSql(t, alias, value as BoolExpJson, session, columns, whole)})`);
    } else if (columns.has(key)) {
      if (!value || typeof value !== 'object')
        throw new MatrixNeedsExtending(`column ${key}`, whole);
      for (const [op, operand] of Object.entries(value)) {
        const col = sql.ident(alias, key);
        if (op === '_eq')
          parts.push(sql`${col} = ${sql.value(sessionValue(operand, session, whole))}`);
        else if (op === '_neq')
          parts.push(sql`${col} <> ${sql.value(sessionValue(operand, session, whole))}`);
        else if (op === '_is_null' && typeof operand === 'boolean')
          parts.push(operand ? sql`${col} IS NULL` : sql`${col} IS NOT NULL`);
        else throw new MatrixNeedsExtending(`operator ${op} on column ${key}`, whole);
      }
    } else {
      const rel = relationshipOf(t, key);
      const remote = rel && tableByName(rel.remote);
      if (!rel || !remote) throw new MatrixNeedsExtending(`key ${key} of ${qname(t.table)}`, whole);
      const remoteAlias = `r${++aliasCounter}`;
      const remoteColumns = columnsOf.get(qname(rel.remote));
      if (!remoteColumns) throw new Error(`no columns known for ${qname(rel.remote)}`);
      const joins = Object.entries(rel.mapping).map(
        ([l, r]) => sql`${sql.ident(remoteAlias, r)} = ${sql.ident(alias, l)}`,
      );
      const inner = filterSql(
        remote,
        remoteAlias,
        value as BoolExpJson,
        session,
        new Set(remoteColumns),
        whole,
      );
      parts.push(
        sql`EXISTS (SELECT 1 FROM ${sql.ident(rel.remote.schema, rel.remote.name)} AS ${sql.ident(remoteAlias)}
                     WHERE ${sql.join(joins, ' AND ')} AND ${inner})`,
      );
    }
  }
  return parts.length === 0 ? sql`true` : sql`(${sql.join(parts, ' AND ')})`;
}

// ---------------------------------------------------------------------------------------------
// Set-up: a private database with rows that exercise the filters, one engine with an admin secret
// ---------------------------------------------------------------------------------------------

let db: TestDatabase;
let engine: RunningEngine;
/** Every column of every tracked table, in table order. */
const columnsOf = new Map<string, string[]>();

async function seed(pool: TestDatabase['pool']): Promise<void> {
  // entities of owner 1, owner 2 and of nobody, of both kinds; owner 2 has more of them, so that
  // the two users' row counts (and aggregates) differ too
  await query(
    pool,
    sql`INSERT INTO public.entities (kind, key, name, owner_id)
        VALUES ('sensor', 'matrix-s1', 'Matrix sensor of 1', '1'),
               ('sensor', 'matrix-s2', 'Matrix sensor of 2', '2'),
               ('sensor', 'matrix-s2b', 'Another matrix sensor of 2', '2'),
               ('sensor', 'matrix-sn', 'Matrix sensor of nobody', NULL),
               ('instrument', 'MATRIX-1', 'Matrix instrument of 1', '1'),
               ('instrument', 'MATRIX-2', 'Matrix instrument of 2', '2'),
               ('instrument', 'MATRIX-2B', 'Another matrix instrument of 2', '2'),
               ('instrument', 'MATRIX-N', 'Matrix instrument of nobody', NULL)`,
  );
  await query(
    pool,
    sql`INSERT INTO public.sensor_readings (entity_id, ts, temperature, humidity, pressure, battery, dew_point)
        SELECT e.id, now() - make_interval(mins => g), 20 + g, 50, 1013.25, 3.7, 9.5
          FROM public.entities e, generate_series(1, 3) g WHERE e.key LIKE 'matrix-s%'`,
  );
  await query(
    pool,
    sql`INSERT INTO public.market_trades (entity_id, ts, trade_id, price, size, side, notional)
        SELECT e.id, now() - make_interval(mins => g), format('t%s', g), 100.5 + g, 2, 'buy', (100.5 + g) * 2
          FROM public.entities e, generate_series(1, 2) g WHERE e.key LIKE 'MATRIX-%'`,
  );
  for (const [table, unit] of [
    ['rollups_1m', 'minute'],
    ['rollups_1h', 'hour'],
  ] as const) {
    await query(
      pool,
      sql`INSERT INTO ${sql.ident('public', table)} (stream, entity_id, metric, bucket, count, min, max, sum, last, last_ts)
          SELECT CASE WHEN e.kind = 'sensor' THEN 'sensor_readings' ELSE 'market_trades' END,
                 e.id, 'm', date_trunc(${sql.value(unit)}, now()) - make_interval(mins => g * 60), 4, 1, 9, 20, 5, now()
            FROM public.entities e, generate_series(0, 1) g
           WHERE e.key LIKE 'matrix-s%' OR e.key LIKE 'MATRIX-%'`,
    );
  }
  await query(
    pool,
    sql`INSERT INTO public.series_buckets (stream, entity_id, metric, bucket, count, min, max, avg, sum, last)
        SELECT 'sensor_readings', e.id, 'temperature', date_trunc('hour', now()), 4, 1, 9, 5, 20, 5
          FROM public.entities e WHERE e.key LIKE 'matrix-s%'`,
  );
  await query(
    pool,
    sql`INSERT INTO etl.consumer_offsets (consumer_group, topic, partition, next_offset, high_watermark, messages, rows_loaded, dead_letters)
        VALUES ('matrix', 'sensor-readings', 0, 10, 12, 10, 9, 1),
               ('matrix', 'market-trades', 1, 5, 5, 5, 5, 0)`,
  );
  await query(
    pool,
    sql`INSERT INTO etl.dead_letters (pipeline, source_topic, source_partition, source_offset, message_key,
                                      message_value, headers, message_timestamp, error_code, reason)
        VALUES ('sensor_readings', 'sensor-readings', 0, 7, ${sql.value(Buffer.from('k'))},
                ${sql.value(Buffer.from('{"secret": true}'))}, '{"h": "secret"}', now(), 'bad_value', 'temp_f is not a number'),
               ('market_trades', 'market-trades', 1, 3, NULL, ${sql.value(Buffer.from('x'))}, '{}', NULL, 'bad_json', 'not JSON'),
               (NULL, 'unknown-topic', 0, 1, NULL, NULL, '{}', NULL, 'no_pipeline', 'no pipeline reads this topic')`,
  );
  // dashboards of user 1 and of user 2, private and shared (beside the seeded shared defaults), a
  // panel on each, alert rules on those panels and on none, and an alert of every rule on an
  // entity of each owner: every relationship filter has rows on both sides of it
  await query(
    pool,
    sql`INSERT INTO public.dashboards (owner_id, title, shared)
        VALUES ('1', 'Matrix dashboard of 1', false),
               ('2', 'Matrix dashboard of 2', false),
               ('2', 'Matrix shared dashboard of 2', true)`,
  );
  await query(
    pool,
    sql`INSERT INTO public.panels (dashboard_id, title, stream, metrics)
        SELECT id, 'Matrix panel of ' || title, 'sensor_readings', '["temperature"]'
          FROM public.dashboards WHERE title LIKE 'Matrix %'`,
  );
  await query(
    pool,
    sql`INSERT INTO public.alert_rules (owner_id, panel_id, name, stream, metric, op, threshold)
        SELECT d.owner_id, p.id, 'Matrix rule on ' || d.title, 'sensor_readings', 'temperature', 'above', 30
          FROM public.panels p JOIN public.dashboards d ON d.id = p.dashboard_id
         WHERE d.title LIKE 'Matrix %'
        UNION ALL
        SELECT '2', NULL, 'Matrix rule of 2 on no panel', 'sensor_readings', 'temperature', 'below', 0`,
  );
  await query(
    pool,
    sql`INSERT INTO public.alerts (rule_id, rule_name, stream, metric, op, threshold, for_seconds,
                                   entity_id, started_at, fired_at, fired_value)
        SELECT r.id, r.name, r.stream, r.metric, r.op, r.threshold, r.for_seconds, e.id, now(), now(), 42
          FROM public.alert_rules r, public.entities e
         WHERE r.name LIKE 'Matrix %' AND e.key IN ('matrix-s1', 'matrix-s2')`,
  );
}

beforeAll(async () => {
  db = await createTestDatabase({ prefix: 'permmatrix' });
  await seed(db.pool);
  for (const t of tables) {
    const r = await query<{ column_name: string }>(
      db.pool,
      sql`SELECT column_name FROM information_schema.columns
           WHERE table_schema = ${sql.value(t.table.schema)} AND table_name = ${sql.value(t.table.name)}
           ORDER BY ordinal_position`,
    );
    columnsOf.set(
      qname(t.table),
      r.rows.map((c) => c.column_name),
    );
  }
  for (const t of tables) {
    for (const cf of t.computed_fields ?? []) {
      const f = cf.definition.function;
      const fn = typeof f === 'string' ? { schema: 'public', name: f } : f;
      const r = await query<{ schema: string; name: string }>(
        db.pool,
        sql`SELECT n.nspname AS schema, c.relname AS name
              FROM pg_proc p JOIN pg_namespace pn ON pn.oid = p.pronamespace
              JOIN pg_type ty ON ty.oid = p.prorettype
              JOIN pg_class c ON c.oid = ty.typrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE p.proretset AND pn.nspname = ${sql.value(fn.schema)} AND p.proname = ${sql.value(fn.name)}`,
      );
      if (r.rows[0]) computedFieldTables.set(`${qname(t.table)}.${cf.name}`, r.rows[0]);
    }
  }
  const fks = await query<{
    schema: string;
    name: string;
    columns: string[];
    ref_schema: string;
    ref_name: string;
    ref_columns: string[];
  }>(
    db.pool,
    sql`SELECT sn.nspname AS schema, s.relname AS name, rn.nspname AS ref_schema, r.relname AS ref_name,
               array(SELECT a.attname::text FROM unnest(c.conkey) WITH ORDINALITY AS k(n, i)
                       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n
                      ORDER BY k.i) AS columns,
               array(SELECT a.attname::text FROM unnest(c.confkey) WITH ORDINALITY AS k(n, i)
                       JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n
                      ORDER BY k.i) AS ref_columns
          FROM pg_constraint c
          JOIN pg_class s ON s.oid = c.conrelid JOIN pg_namespace sn ON sn.oid = s.relnamespace
          JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
         WHERE c.contype = 'f'`,
  );
  for (const k of fks.rows)
    foreignKeys.push({
      table: { schema: k.schema, name: k.name },
      columns: k.columns,
      references: { schema: k.ref_schema, name: k.ref_name },
      referencedColumns: k.ref_columns,
    });
  engine = await startTestEngine(db.url, {
    HASURA_GRAPHQL_METADATA_DIR: metadataDir,
    HASURA_GRAPHQL_ADMIN_SECRET: ADMIN_SECRET,
  });
});

afterAll(async () => {
  await engine?.close();
  await db?.drop();
});

// ---------------------------------------------------------------------------------------------
// Helpers per cell
// ---------------------------------------------------------------------------------------------

const headersOf = (s: Subject): Record<string, string> => ({
  'x-hasura-admin-secret': ADMIN_SECRET,
  'x-hasura-role': s.role,
  ...s.session,
});

const asRole = (s: Subject, text: string): Promise<GqlResponse> =>
  gql(engine, text, undefined, headersOf(s));

function allColumns(t: TableMeta): string[] {
  const cols = columnsOf.get(qname(t.table));
  if (!cols || cols.length === 0)
    throw new Error(`${qname(t.table)} has no columns in the database`);
  return cols;
}

function permittedColumns(t: TableMeta, p: SelectPermission): string[] {
  return p.columns === '*' ? allColumns(t) : [...p.columns];
}

/** Relationship fields the role must see on the table's type. */
/** The fields of the computed fields a permission grants (with `_aggregate` where allowed). */
function computedFields(t: TableMeta, p: SelectPermission, role: string): string[] {
  return (p.computed_fields ?? []).flatMap((name) => {
    const returns = computedFieldTables.get(`${qname(t.table)}.${name}`);
    const remote = returns && tableByName(returns);
    const rp = remote && selectPermission(remote, role);
    return rp?.allow_aggregations ? [name, `${name}_aggregate`] : [name];
  });
}

function relationshipFields(t: TableMeta, role: string): string[] {
  const out: string[] = [];
  for (const [kind, rels] of [
    ['object', t.object_relationships ?? []],
    ['array', t.array_relationships ?? []],
  ] as const) {
    for (const rel of rels) {
      const target = relationshipOf(t, rel.name);
      if (!target)
        throw new MatrixNeedsExtending(`relationship ${rel.name} of ${qname(t.table)}`, rel.using);
      const remote = tableByName(target.remote);
      const rp = remote && selectPermission(remote, role);
      if (!rp) continue;
      out.push(rel.name);
      if (kind === 'array' && rp.allow_aggregations) out.push(`${rel.name}_aggregate`);
    }
  }
  return out;
}

const canonical = (row: Record<string, unknown>, cols: string[]): string =>
  JSON.stringify(cols.map((c) => [c, row[c]]));

async function expectedRows(cell: Cell, cols: string[]): Promise<string[]> {
  const t = cell.table;
  const where = filterSql(
    t,
    't',
    cell.permission!.filter,
    cell.subject.session,
    new Set(allColumns(t)),
  );
  const r = await query<{ r: Record<string, unknown> }>(
    db.pool,
    sql`SELECT row_to_json(t) AS r FROM ${sql.ident(t.table.schema, t.table.name)} AS t WHERE ${where}`,
  );
  return r.rows.map((x) => canonical(x.r, cols)).sort();
}

function expectValidationFailed(r: GqlResponse, what: string, message?: string): void {
  expect(r.data ?? undefined, `${what}: must not return data`).toBeUndefined();
  expect(r.errors?.[0]?.extensions.code, `${what}: ${JSON.stringify(r.errors)}`).toBe(
    'validation-failed',
  );
  if (message) expect(r.errors![0]!.message, what).toBe(message);
}

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

describe('Permission matrix (generated from hasura/metadata)', () => {
  it('covers every role of the metadata, a role without permissions, and every table', () => {
    expect(metadataRoles.length).toBeGreaterThan(0);
    expect(tables.length).toBeGreaterThan(0);
    expect(cells.length).toBe(subjects.length * tables.length);
    // the seed must give each session-dependent subject rows of its own and rows it must not see
    expect(subjects.some((s) => s.session['x-hasura-user-id'] === '2')).toBe(true);
  });

  it('fails, rather than skips, a filter form the matrix does not understand', () => {
    const t = tables.find((x) => columnsOf.has(qname(x.table)))!;
    const col = allColumns(t)[0]!;
    const cols = new Set(allColumns(t));
    for (const filter of [
      { [col]: { _gt: 'X-Hasura-User-Id' } },
      { [col]: { _eq: 'X-Hasura-Org-Id' } },
      { no_such_field: { _eq: 1 } },
      { _exists: { _table: { schema: 'public', name: 'entities' }, _where: {} } },
    ])
      expect(() => filterSql(t, 't', filter, { 'x-hasura-user-id': '1' }, cols)).toThrow(
        /permission matrix needs extending/,
      );
  });

  describe.each(cells)('$name', (cell) => {
    const { subject, table, permission } = cell;
    const names = namesOf(table);

    it(`${cell.name}: schema`, async () => {
      const r = await asRole(
        subject,
        `{ root: __type(name: "query_root") { fields { name } }
           table: __type(name: ${JSON.stringify(names.type)}) { fields { name } } }`,
      );
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      const rootFields = new Set(
        ((r.data!.root?.fields ?? []) as Array<{ name: string }>).map((f) => f.name),
      );
      expect(rootFields.has(names.select), `root field ${names.select}`).toBe(!!permission);
      expect(rootFields.has(names.aggregate), `root field ${names.aggregate}`).toBe(
        !!permission?.allow_aggregations,
      );
      if (!permission) {
        expect(r.data!.table, `type ${names.type} must not exist for ${subject.role}`).toBeNull();
        return;
      }
      const fields = ((r.data!.table?.fields ?? []) as Array<{ name: string }>)
        .map((f) => f.name)
        .sort();
      const expected = [
        ...permittedColumns(table, permission),
        ...computedFields(table, permission, subject.role),
        ...relationshipFields(table, subject.role),
      ].sort();
      expect(fields).toEqual(expected);
    });

    it(`${cell.name}: rows`, async () => {
      if (!permission) {
        const r = await asRole(subject, `{ ${names.select} { __typename } }`);
        expectValidationFailed(
          r,
          'a table without select permission',
          `field '${names.select}' not found in type: 'query_root'`,
        );
        return;
      }
      const cols = permittedColumns(table, permission);
      const expected = await expectedRows(cell, cols);
      const r = await asRole(subject, `{ rows: ${names.select} { ${cols.join(' ')} } }`);
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      const actual = (r.data!.rows as Array<Record<string, unknown>>)
        .map((row) => canonical(row, cols))
        .sort();
      // the seed must exercise the filter: rows to see, and (for a real filter) rows not to see
      const total = await query<{ n: number }>(
        db.pool,
        sql`SELECT count(*)::int AS n FROM ${sql.ident(table.table.schema, table.table.name)}`,
      );
      expect(expected.length, 'the seed gives this cell rows it may see').toBeGreaterThan(0);
      if (Object.keys(permission.filter ?? {}).length > 0)
        expect(expected.length, 'the seed gives this cell rows it must not see').toBeLessThan(
          total.rows[0]!.n,
        );
      // the seed stays below every permission limit, so the permitted set is returned whole
      if (permission.limit != null) expect(expected.length).toBeLessThanOrEqual(permission.limit);
      expect(actual).toEqual(expected);
      // every returned row carries exactly the permitted columns
      for (const row of r.data!.rows as Array<Record<string, unknown>>)
        expect(Object.keys(row).sort()).toEqual([...cols].sort());
    });

    // one test per relationship of a table the role can select: rows through it stay inside the
    // remote table's permission, and a relationship to a table the role cannot select is refused
    for (const rel of permission
      ? [...(table.object_relationships ?? []), ...(table.array_relationships ?? [])]
      : []) {
      it(`${cell.name}: rows through ${rel.name}`, async () => {
        const target = relationshipOf(table, rel.name);
        if (!target) throw new MatrixNeedsExtending(`relationship ${rel.name}`, rel.using);
        const remote = tableByName(target.remote);
        const rp = remote && selectPermission(remote, subject.role);
        if (!remote || !rp) {
          const refused = await asRole(
            subject,
            `{ rows: ${names.select} { nested: ${rel.name} { __typename } } }`,
          );
          expectValidationFailed(
            refused,
            `a relationship to ${qname(target.remote)}, which ${subject.role} cannot select`,
            `field '${rel.name}' not found in type: '${names.type}'`,
          );
          return;
        }
        const remoteCols = permittedColumns(remote, rp);
        const allowed = new Set(
          await expectedRows({ name: '', subject, table: remote, permission: rp }, remoteCols),
        );
        const r = await asRole(
          subject,
          `{ rows: ${names.select} { nested: ${rel.name} { ${remoteCols.join(' ')} } } }`,
        );
        expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
        const nested = (r.data!.rows as Array<{ nested: unknown }>).flatMap((row) =>
          row.nested == null ? [] : Array.isArray(row.nested) ? row.nested : [row.nested],
        ) as Array<Record<string, unknown>>;
        // the seed must exercise the relationship: related rows the role may see
        expect(nested.length, `the seed gives rows through ${rel.name}`).toBeGreaterThan(0);
        for (const row of nested)
          expect(
            allowed.has(canonical(row, remoteCols)),
            `${rel.name} returned a row of ${qname(target.remote)} outside the permission: ${JSON.stringify(row)}`,
          ).toBe(true);
      });
    }

    it(`${cell.name}: hidden columns`, async () => {
      const hidden = permission
        ? allColumns(table).filter((c) => !permittedColumns(table, permission).includes(c))
        : allColumns(table);
      // never empty without a permission (every column is hidden); with one, the permitted
      // columns select (so that the refusals below are about the column)
      if (permission) {
        const cols = permittedColumns(table, permission).join(' ');
        const ok = await asRole(subject, `{ ${names.select} { ${cols} } }`);
        expect(ok.errors, JSON.stringify(ok.errors)).toBeUndefined();
      }
      for (const col of hidden) {
        const r = await asRole(subject, `{ ${names.select} { ${col} } }`);
        expectValidationFailed(
          r,
          `selecting ${col}`,
          permission
            ? `field '${col}' not found in type: '${names.type}'`
            : `field '${names.select}' not found in type: 'query_root'`,
        );
      }
    });

    it(`${cell.name}: aggregate`, async () => {
      const r = await asRole(subject, `{ agg: ${names.aggregate} { aggregate { count } } }`);
      if (!permission?.allow_aggregations) {
        expectValidationFailed(
          r,
          'an aggregate without allow_aggregations',
          `field '${names.aggregate}' not found in type: 'query_root'`,
        );
        return;
      }
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      const expected = await expectedRows(cell, permittedColumns(table, permission));
      expect(r.data!.agg.aggregate.count).toBe(expected.length);
    });

    // for a role that cannot select the table, "rows" shows the root field refused
    if (permission) {
      it(`${cell.name}: where on hidden columns`, async () => {
        const cols = permittedColumns(table, permission);
        const hidden = allColumns(table).filter((c) => !cols.includes(c));
        // a permitted column filters (so that the refusals below are about the column)
        const ok = await asRole(
          subject,
          `{ ${names.select}(where: {${cols[0]}: {_is_null: false}}) { ${cols[0]} } }`,
        );
        expect(ok.errors, JSON.stringify(ok.errors)).toBeUndefined();
        for (const col of hidden) {
          const r = await asRole(
            subject,
            `{ ${names.select}(where: {${col}: {_is_null: false}}) { ${cols[0]} } }`,
          );
          expectValidationFailed(r, `filtering on ${col}`);
          if (permission.allow_aggregations) {
            const a = await asRole(
              subject,
              `{ ${names.aggregate}(where: {${col}: {_is_null: false}}) { aggregate { count } } }`,
            );
            expectValidationFailed(a, `aggregate filtering on ${col}`);
          }
        }
      });
    }
  });
});
