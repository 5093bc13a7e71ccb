/**
 * `run_sql` as Hasura's schema API answers it (Hasura/Backends/Postgres/DDL/RunSQL.hs):
 *
 * - the statements run in one transaction (READ ONLY with `read_only`); the last statement's
 *   result comes back as `TuplesOk` (a header row, then every value as text, NULL as null) or
 *   `CommandOk`; an error is 400 `postgres-error` "query execution failed" with the Postgres error
 *   in `internal`, and nothing is changed;
 * - when the SQL may change the schema (`check_metadata_consistency`, or by default when it
 *   contains ALTER / DROP / REPLACE / CREATE FUNCTION / COMMENT ON), the tracked tables and
 *   functions are compared before and after (by OID, inside the transaction): renamed tables and
 *   columns are renamed in the metadata, dropped tables and functions leave it, and objects
 *   that depended on what was dropped make the request fail with Hasura's "cannot drop due to
 *   the following dependent objects" — unless `cascade`, which removes them too. A change that
 *   leaves newly inconsistent metadata is refused. Only then is the transaction committed.
 */
import type pg from 'pg';
import { query, sql } from '@streamsync/database';
import { pgInternal, QErr } from '../errors.ts';
import { introspectDatabase, qualifiedKey, type DbCatalog } from '../introspection/catalog.ts';
import {
  collectObjects,
  dependencyError,
  dependents,
  removeObjects,
  type DbRef,
} from '../metadata/dependencies.ts';
import { renameColumn, renameTable } from '../metadata/rename.ts';
import { enumTableNames, normalizeName } from '../metadata/types.ts';
import { buildSourcesInfo } from '../schema/build-source.ts';
import {
  asInconsistentObject,
  bad,
  setSessionVariables,
  poolOf,
  sourceOf,
  type OpContext,
} from './context.ts';

export interface RunSqlArgs {
  sql: string;
  source?: string;
  cascade?: boolean;
  read_only?: boolean;
  check_metadata_consistency?: boolean;
}

export type RunSqlResult =
  | { result_type: 'TuplesOk'; result: Array<Array<string | null>> }
  | { result_type: 'CommandOk'; result: null };

const RAW_TEXT = { getTypeParser: () => (v: string) => v };

/** Hasura's heuristic for SQL that may change the schema. */
const DDL_KEYWORDS = /\balter\b|\bdrop\b|\breplace\b|\bcreate function\b|\bcomment on\b/i;

export function needsMetadataCheck(args: RunSqlArgs): boolean {
  if (args.read_only) return false;
  return args.check_metadata_consistency ?? DDL_KEYWORDS.test(args.sql);
}

interface TableSnap {
  oid: string;
  schema: string;
  name: string;
  columns: Array<{ num: number; name: string }>;
  fks: string[];
}

interface FnSnap {
  oid: string;
  schema: string;
  name: string;
}

const TABLE_SNAP = (where: ReturnType<typeof sql>) => sql`
  SELECT c.oid::text AS oid, n.nspname AS schema, c.relname AS name,
    coalesce((SELECT json_agg(json_build_object('num', a.attnum, 'name', a.attname) ORDER BY a.attnum)
                FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]') AS columns,
    coalesce((SELECT json_agg(k.conname ORDER BY k.conname) FROM pg_constraint k
               WHERE k.conrelid = c.oid AND k.contype = 'f'), '[]') AS fks
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ${where}`;

const FN_SNAP = (where: ReturnType<typeof sql>) => sql`
  SELECT p.oid::text AS oid, n.nspname AS schema, p.proname AS name
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE ${where}`;

/**
 * Run user SQL. This is the one place the engine sends text it did not build: the admin API's
 * purpose is to run an administrator's SQL verbatim, inside a transaction.
 */
async function execUserSql(client: pg.PoolClient, text: string): Promise<RunSqlResult> {
  let res: pg.QueryResult | pg.QueryResult[];
  try {
    res = (await client.query({ text, types: RAW_TEXT, rowMode: 'array' } as pg.QueryConfig)) as
      pg.QueryResult | pg.QueryResult[];
  } catch (e) {
    const err = e as { code?: string; message?: string; hint?: string; detail?: string };
    if (!err.code) throw e;
    throw new QErr(
      'postgres-error',
      'query execution failed',
      400,
      [],
      pgInternal(err, text, [], false),
    );
  }
  const last = Array.isArray(res) ? res[res.length - 1] : res;
  if (last && last.fields && last.fields.length > 0) {
    const header = last.fields.map((f) => f.name);
    const rows = (last.rows as unknown[][]).map((r) =>
      r.map((v) => (v === null || v === undefined ? null : String(v))),
    );
    return { result_type: 'TuplesOk', result: [header, ...rows] };
  }
  return { result_type: 'CommandOk', result: null };
}

export async function runSqlOp(ctx: OpContext, args: RunSqlArgs): Promise<RunSqlResult> {
  if (!args || typeof args.sql !== 'string') throw bad('parse-failed', 'key "sql" not found');
  const src = sourceOf(ctx, args.source);
  const check = needsMetadataCheck(args);
  const client = await poolOf(ctx, src.name).connect();
  let broken = false;
  try {
    await client.query(args.read_only ? 'BEGIN READ ONLY' : 'BEGIN');
    try {
      await setSessionVariables(client, ctx);
      const before = check ? await snapshot(client, src) : undefined;
      const catalogBefore = check ? await introspectDatabase(client) : undefined;
      const result = await execUserSql(client, args.sql);
      if (before && catalogBefore) {
        const changedTables = await followSchemaChanges(
          ctx,
          client,
          src,
          before,
          catalogBefore,
          args.cascade === true,
        );
        // event triggers name their columns: rewrite those of changed tables in this transaction
        await ctx.engine.events?.syncSql(
          ctx.engine.state.metadata,
          ctx.draft,
          { mode: 'changed', changedTables, source: src.name },
          client,
        );
      }
      if (!args.read_only) ctx.catalogStale = true;
      await client.query('COMMIT');
      return result;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => {
        broken = true;
      });
      throw e;
    }
  } finally {
    client.release(broken);
  }
}

async function snapshot(
  client: pg.PoolClient,
  src: ReturnType<typeof sourceOf>,
): Promise<{ tables: TableSnap[]; fns: FnSnap[] }> {
  const tq = src.tables.map((t) => normalizeName(t.table));
  const fq = [
    ...(src.functions ?? []).map((f) => normalizeName(f.function, 'function')),
    ...src.tables.flatMap((t) =>
      (t.computed_fields ?? []).map((c) => normalizeName(c.definition.function, 'function')),
    ),
  ];
  const pairs = (xs: Array<{ schema: string; name: string }>) =>
    sql`(SELECT x.s, x.n FROM unnest(${sql.value(
      xs.map((x) => x.schema),
      'text[]',
    )}, ${sql.value(
      xs.map((x) => x.name),
      'text[]',
    )}) AS x(s, n))`;
  const tables = tq.length
    ? (
        await query<TableSnap>(
          client,
          TABLE_SNAP(
            sql`c.relkind IN ('r','p','v','m','f') AND (n.nspname, c.relname) IN ${pairs(tq)}`,
          ),
        )
      ).rows
    : [];
  const fns = fq.length
    ? (await query<FnSnap>(client, FN_SNAP(sql`(n.nspname, p.proname) IN ${pairs(fq)}`))).rows
    : [];
  return { tables, fns };
}

async function followSchemaChanges(
  ctx: OpContext,
  client: pg.PoolClient,
  src: ReturnType<typeof sourceOf>,
  before: { tables: TableSnap[]; fns: FnSnap[] },
  catalog: DbCatalog,
  cascade: boolean,
): Promise<Set<string>> {
  const oids = (xs: Array<{ oid: string }>) =>
    sql.value(
      xs.map((x) => x.oid),
      'oid[]',
    );
  const afterTables = new Map(
    (await query<TableSnap>(client, TABLE_SNAP(sql`c.oid = ANY(${oids(before.tables)})`))).rows.map(
      (r) => [r.oid, r],
    ),
  );
  const afterFns = new Map(
    (await query<FnSnap>(client, FN_SNAP(sql`p.oid = ANY(${oids(before.fns)})`))).rows.map((r) => [
      r.oid,
      r,
    ]),
  );
  const dropped: DbRef[] = [];
  const droppedTables = new Set<string>();
  const changedTables = new Set<string>();
  const columnRenames: Array<() => void> = [];
  const tableRenames: Array<() => void> = [];
  for (const b of before.tables) {
    const key = qualifiedKey(b);
    const a = afterTables.get(b.oid);
    if (!a) {
      dropped.push({ k: 'table', table: key });
      droppedTables.add(key);
      continue;
    }
    const byNum = new Map(a.columns.map((c) => [c.num, c.name]));
    if (JSON.stringify(a.columns) !== JSON.stringify(b.columns))
      changedTables.add(`${a.schema}.${a.name}`);
    for (const c of b.columns) {
      const now = byNum.get(c.num);
      if (now === undefined) dropped.push({ k: 'column', table: key, column: c.name });
      else if (now !== c.name)
        columnRenames.push(() => renameColumn(src, catalog, key, c.name, now));
    }
    for (const fk of b.fks)
      if (!a.fks.includes(fk)) dropped.push({ k: 'fk', table: key, name: fk });
    if (a.schema !== b.schema || a.name !== b.name) {
      tableRenames.push(() =>
        renameTable(src, { schema: b.schema, name: b.name }, { schema: a.schema, name: a.name }),
      );
    }
  }
  for (const f of before.fns) {
    if (!afterFns.has(f.oid)) dropped.push({ k: 'function', fn: qualifiedKey(f) });
  }
  const objects = collectObjects(src, catalog);
  const deps = dependents(objects, dropped, new Set(), droppedTables);
  if (deps.length && !cascade) throw dependencyError(deps, src.name);
  removeObjects(src, deps);
  // what went with the dropped tables and functions
  src.tables = src.tables.filter((t) => !droppedTables.has(qualifiedKey(normalizeName(t.table))));
  const goneFns = dropped.filter((d) => d.k === 'function').map((d) => (d as { fn: string }).fn);
  if (src.functions) {
    src.functions = src.functions.filter(
      (f) => !goneFns.includes(qualifiedKey(normalizeName(f.function, 'function'))),
    );
  }
  // column renames first (they resolve relationships by the old table names)
  for (const r of [...columnRenames, ...tableRenames]) r();
  ctx.changed = true;
  ctx.catalogStale = true;
  // what the change leaves must still hold together (this source read inside the transaction)
  const after = await introspectDatabase(client, {
    tables: enumTableNames(ctx.draft, src.name),
    carried: ctx.engine.state.catalogs.catalogs.get(src.name)?.enumTableRows,
  });
  const catalogs = new Map(ctx.catalogs.catalogs);
  catalogs.set(src.name, after);
  const info = buildSourcesInfo(
    ctx.draft,
    catalogs,
    ctx.catalogs.unreachable,
    ctx.engine.state.opts.naming,
  ).served;
  const known = new Set(ctx.engine.state.inconsistencies.map((i) => i.name));
  const fresh = info.inconsistencies.filter((i) => !known.has(i.name) && !i.informational);
  if (fresh.length) {
    throw new QErr(
      'unexpected',
      'cannot continue due to newly found inconsistent metadata',
      500,
      [],
      fresh.map(asInconsistentObject),
    );
  }
  return changedTables;
}
