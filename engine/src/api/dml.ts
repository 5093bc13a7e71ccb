/**
 * The v1 DML operations of `/v1/query` and `/v2/query` (Hasura/RQL/DML/*), as admin: `insert` (rows
 * as JSON, each value read as its column's type, GeoJSON for geometry), `select`, `update`,
 * `delete` and `count` on tracked tables, `where` in the boolean-expression JSON of permissions.
 * Each runs in its own transaction, as Hasura runs them.
 */
import { query, sql, transaction, type SQL } from '@streamsync/database';
import { pgQueryError } from '../errors.ts';
import { qualifiedKey } from '../introspection/catalog.ts';
import { castName, SelectTranslator, toPgParam, type ValueEmitter } from '../translate/select.ts';
import type { AnnSelect, OrderByItem } from '../ir/types.ts';
import { withPath } from '../errors.ts';
import { permFilterToIR } from '../parse/bool-exp.ts';
import type { SelectPermInfo, SourceInfo, TableInfo } from '../schema/source.ts';
import { BIG_NUMERIC_TYPES } from '../schema/scalars.ts';
import {
  bad,
  catalogOf,
  displayName,
  draftSources,
  poolOf,
  setSessionVariables,
  sourceOf,
  tableArg,
  type Args,
  type OpContext,
} from './context.ts';

function castable(t: string): string {
  return t.replace(/\(\d+(?:,\s*\d+)?\)/g, '');
}

export async function v1Insert(ctx: OpContext, args: Args): Promise<unknown> {
  const qn = tableArg(args);
  const source = sourceOf(ctx, args.source).name;
  const table = (await catalogOf(ctx, source)).tables.get(qualifiedKey(qn));
  if (!table) throw bad('not-exists', `table "${displayName(qn)}" does not exist`);
  if (!Array.isArray(args.objects)) throw bad('parse-failed', 'key "objects" not found');
  const objects = args.objects as Array<Record<string, unknown>>;
  const stmts: SQL[] = [];
  for (const obj of objects) {
    const cols = Object.keys(obj);
    for (const c of cols)
      if (!table.columns.some((x) => x.name === c))
        throw bad('not-exists', `column "${c}" does not exist`);
    const tr = new SelectTranslator();
    const vals: SQL[] = cols.map((c) => {
      const col = table.columns.find((x) => x.name === c)!;
      const v = obj[c];
      // GeoJSON for geometry/geography, JSON for json/jsonb, text for the rest
      const geo = /^(geometry|geography)\b/.test(col.formatted);
      const value =
        v === null || geo
          ? v
          : typeof v === 'object' && !/^jsonb?$/.test(col.type)
            ? JSON.stringify(v)
            : v;
      return tr.val({ k: 'lit', value: value ?? null, pgType: castable(col.formatted) });
    });
    stmts.push(
      cols.length
        ? sql`INSERT INTO ${sql.ident(qn.schema, qn.name)} (${sql.join(
            cols.map((c) => sql.ident(c)),
            ', ',
          )}) VALUES (${sql.join(vals, ', ')})`
        : sql`INSERT INTO ${sql.ident(qn.schema, qn.name)} DEFAULT VALUES`,
    );
  }
  const returning = returningColumns(table.columns, args.returning);
  let affected = 0;
  const rows: unknown[] = [];
  try {
    await transaction(poolOf(ctx, source), async (client) => {
      await setSessionVariables(client, ctx);
      for (const s of stmts) {
        if (!returning) {
          affected += (await query(client, s)).rowCount ?? 0;
          continue;
        }
        const r = await query<{ row: unknown }>(
          client,
          sql`WITH ${sql.ident(TARGET)} AS (${s} RETURNING *) SELECT ${rowJson(ctx, table.columns, returning)} AS row FROM ${sql.ident(TARGET)}`,
        );
        affected += r.rows.length;
        rows.push(...r.rows.map((x) => x.row));
      }
    });
  } catch (e) {
    const err = e as { code?: string };
    if (!err.code) throw e;
    throw pgQueryError(err);
  }
  return returning ? { affected_rows: affected, returning: rows } : { affected_rows: affected };
}

interface DmlColumn {
  name: string;
  type: string;
  formatted: string;
}

/** The columns of a mutation's `returning` (undefined when it asks for none). */
function returningColumns(columns: DmlColumn[], spec: unknown): string[] | undefined {
  if (!Array.isArray(spec)) return undefined;
  return spec.map((c, i) => {
    if (typeof c !== 'string' || !columns.some((x) => x.name === c))
      throw bad('not-exists', `column "${String(c)}" does not exist`, ['returning', i]);
    return c;
  });
}

/**
 * A row of `TARGET` as JSON, each column encoded as the GraphQL API encodes it: GeoJSON for
 * geometry and geography, big numbers as strings under `--stringify-numeric-types`.
 */
function rowJson(ctx: OpContext, columns: DmlColumn[], names: string[], alias = TARGET): SQL {
  return sql`json_build_object(${sql.join(
    names.map((n) => {
      const col = columns.find((x) => x.name === n)!;
      const e = sql.ident(alias, n);
      const value = /^(geometry|geography)\b/.test(col.formatted)
        ? sql`ST_AsGeoJSON(${e}, 15, 4)::json`
        : ctx.engine.config.stringifyNumericTypes && BIG_NUMERIC_TYPES.has(col.type)
          ? sql`(${e})::text`
          : e;
      return sql`${sql.value(n, 'text')}, ${value}`;
    }),
    ', ',
  )})`;
}

/** The columns of a tracked table in the shape `rowJson` reads. */
function dmlColumns(t: TableInfo): DmlColumn[] {
  return t.columns.map((c) => ({ name: c.name, type: c.pg.type, formatted: c.pg.formatted }));
}

/** `{affected_rows, returning?}` of an UPDATE or DELETE ending in `RETURNING *`. */
async function mutationResult(
  ctx: OpContext,
  t: TableInfo,
  stmt: SQL,
  spec: unknown,
): Promise<unknown> {
  const returning = returningColumns(dmlColumns(t), spec);
  if (!returning) {
    const r = await run<{ n: number }>(
      ctx,
      t.source,
      sql`WITH m AS (${stmt}) SELECT count(*)::int AS n FROM m`,
    );
    return { affected_rows: r.n };
  }
  const r = await run<{ n: number; rows: unknown }>(
    ctx,
    t.source,
    sql`WITH ${sql.ident(TARGET)} AS (${stmt}) SELECT count(*)::int AS n, coalesce(json_agg(${rowJson(ctx, dmlColumns(t), returning)}), '[]') AS rows FROM ${sql.ident(TARGET)}`,
  );
  return { affected_rows: r.n, returning: r.rows };
}

/** A tracked table of the current metadata (v1 DML works on tracked tables only). */
async function trackedTable(
  ctx: OpContext,
  args: Args,
): Promise<{ t: TableInfo; info: SourceInfo }> {
  const qn = tableArg(args);
  const source = sourceOf(ctx, args.source).name;
  const info = (await draftSources(ctx)).all.get(source);
  const t = info?.tables.get(qualifiedKey(qn));
  if (!t) throw bad('not-exists', `table "${displayName(qn)}" does not exist`, ['table']);
  return { t, info: info! };
}

const TARGET = '_v1';

/** `where` in Hasura's boolean-expression JSON, over the target alias. */
function whereSql(tr: SelectTranslator, t: TableInfo, info: SourceInfo, where: unknown): SQL {
  if (where === undefined || where === null) return sql.empty;
  const e = tr.boolExp(
    withPath(['where'], () => permFilterToIR(where, t, info)),
    TARGET,
    t,
  );
  return e ? sql` WHERE ${e}` : sql.empty;
}

function columnOf(t: TableInfo, name: unknown, at: Array<string | number>): string {
  if (typeof name !== 'string' || !t.columnsByName.has(name))
    throw bad('not-exists', `column "${String(name)}" does not exist`, at);
  return name;
}

async function run<R extends Record<string, unknown>>(
  ctx: OpContext,
  source: string,
  stmt: SQL,
): Promise<R> {
  try {
    // in a transaction with the caller's session, which event triggers record
    return await transaction(poolOf(ctx, source), async (client) => {
      await setSessionVariables(client, ctx);
      return (await query<R>(client, stmt)).rows[0]!;
    });
  } catch (e) {
    const err = e as { code?: string };
    if (!err.code) throw e;
    throw pgQueryError(err);
  }
}

/** v1 `select`: columns (or "*", or relationships with their own columns, where, order_by, limit), as the caller's role. */
export async function v1Select(ctx: OpContext, args: Args): Promise<unknown> {
  const { t, info } = await trackedTable(ctx, args);
  const ir = selectIR(ctx, t, info, args, 'select', []);
  const r = await run<{ rows: unknown }>(
    ctx,
    t.source,
    sql`SELECT (${new SelectTranslator(sessionEmitter(ctx)).arraySelect(ir, null)}) AS rows`,
  );
  return r.rows;
}

/** The caller's role, or null for admin (no permission applies). */
function roleOf(ctx: OpContext): string | null {
  const s = ctx.session;
  return !s || s.isAdmin !== false ? null : (s.role ?? null);
}

/** Session variables become parameters of the statement itself (v1 DML plans are not reused). */
function sessionEmitter(ctx: OpContext): ValueEmitter {
  const vars = ctx.session?.variables ?? {};
  return {
    param: (key) => {
      throw new Error(`v1 DML has no variables (${key})`);
    },
    session: (name, pgType) => {
      const v = vars[name];
      if (v === undefined) throw bad('not-found', `missing session variable: "${name}"`);
      return sql.value(toPgParam(v, pgType), castName(pgType));
    },
    sessionJson: () => sql.value(JSON.stringify(vars), 'json'),
  };
}

/** A table's select permission for the caller (null: admin), refused as Hasura words it. */
function selectPermission(
  ctx: OpContext,
  t: TableInfo,
  what: 'select' | 'count',
): SelectPermInfo | null {
  const role = roleOf(ctx);
  if (role === null) return null;
  const perm = t.selectPerms.get(role);
  if (!perm)
    throw bad(
      'permission-denied',
      `select on "${displayName(t.qn)}" for role "${role}" is not allowed. ${
        what === 'count'
          ? '; "count" is only allowed if the role has "select" permissions on the table'
          : ''
      }`,
    );
  return perm;
}

function nonNegative(v: unknown, at: Array<string | number>): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number')
    throw bad(
      'parse-failed',
      `parsing Int failed, expected Number, but encountered ${jsonKind(v)}`,
      at,
    );
  if (!Number.isInteger(v))
    throw bad('parse-failed', `parsing Int failed, unexpected floating number ${v}`, at);
  if (v < 0) throw bad('not-supported', 'unexpected negative value', at);
  return v;
}

function jsonKind(v: unknown): string {
  if (v === null) return 'Null';
  if (Array.isArray(v)) return 'Array';
  const k = typeof v;
  return k === 'string'
    ? 'String'
    : k === 'boolean'
      ? 'Boolean'
      : k === 'number'
        ? 'Number'
        : 'Object';
}

/** A v1 select (or a relationship's part of one) as the GraphQL API's select IR. */
function selectIR(
  ctx: OpContext,
  t: TableInfo,
  info: SourceInfo,
  args: Args,
  what: 'select' | 'count',
  at: Array<string | number>,
): AnnSelect {
  const perm = selectPermission(ctx, t, what);
  const role = roleOf(ctx);
  const fields: AnnSelect['fields'] = [];
  const column = (name: string, where: Array<string | number>) => {
    const col = t.columnsByName.get(name);
    if (!col) throw bad('not-exists', `column "${name}" does not exist`, where);
    if (perm && !perm.columns.has(name))
      throw bad(
        'permission-denied',
        `role "${role}" does not have permission to select column "${name}"`,
        where,
      );
    fields.push([
      name,
      {
        k: 'col',
        column: name,
        pgType: col.pg.type,
        stringify: ctx.engine.config.stringifyNumericTypes && BIG_NUMERIC_TYPES.has(col.pg.type),
        geo: /^(geometry|geography)$/.test(col.pg.type),
        path: null,
      },
    ]);
  };
  const spec = Array.isArray(args.columns) ? args.columns : ['*'];
  spec.forEach((c, i) => {
    const where = [...at, 'columns', i];
    if (c === '*') {
      for (const col of t.columns) if (!perm || perm.columns.has(col.name)) column(col.name, where);
    } else if (typeof c === 'string') column(c, where);
    else if (c && typeof c === 'object' && typeof (c as Args).name === 'string') {
      const sub = c as Args;
      const rel = [...t.objectRels, ...t.arrayRels].find((r) => r.name === sub.name);
      if (!rel) throw bad('not-exists', `relationship "${String(sub.name)}" does not exist`, where);
      const target = info.tables.get(rel.target);
      if (!target)
        throw bad('not-exists', `table of relationship "${rel.name}" does not exist`, where);
      const select = selectIR(ctx, target, info, sub, 'select', where);
      const alias = typeof sub.alias === 'string' ? sub.alias : rel.name;
      fields.push([
        alias,
        rel.kind === 'object' ? { k: 'objrel', rel, select } : { k: 'arrrel', rel, select },
      ]);
    } else throw bad('parse-failed', 'expected a column name or a relationship', where);
  });
  const limit = nonNegative(args.limit, [...at, 'limit']);
  const offset = nonNegative(args.offset, [...at, 'offset']);
  return {
    table: t,
    from: { k: 'table' },
    args: {
      where:
        args.where === undefined || args.where === null
          ? null
          : withPath([...at, 'where'], () => permFilterToIR(args.where, t, info)),
      orderBy: orderByIR(t, args.order_by, at),
      distinctOn: null,
      limit: limit === null ? null : { k: 'lit', value: limit, pgType: 'int8' },
      offset: offset === null ? null : { k: 'lit', value: offset, pgType: 'int8' },
    },
    permFilter: perm ? permFilterToIR(perm.filter, t, info) : { k: 'true' },
    permLimit: perm?.limit ?? null,
    fields,
  };
}

/** v1 `order_by`: "+col" / "-col" / {column, type, nulls}, one or a list. */
function orderByIR(t: TableInfo, spec: unknown, at: Array<string | number>): OrderByItem[] {
  const items = Array.isArray(spec) ? spec : spec ? [spec] : [];
  return items.map((o: unknown, i: number) => {
    let column: unknown;
    let desc = false;
    let nulls: unknown;
    if (typeof o === 'string') {
      desc = o.startsWith('-');
      column = o.replace(/^[+-]/, '');
    } else if (o && typeof o === 'object') {
      const x = o as { column?: unknown; type?: unknown; nulls?: unknown };
      column = x.column;
      desc = x.type === 'desc';
      nulls = x.nulls;
    }
    const c = columnOf(t, column, [...at, 'order_by', i]);
    return {
      expr: { k: 'col', column: c },
      dir: desc ? 'DESC' : 'ASC',
      // Postgres's default: nulls sort as the largest values
      nulls: (nulls ?? (desc ? 'first' : 'last')) === 'first' ? 'NULLS FIRST' : 'NULLS LAST',
    };
  });
}

/** v1 `update`: $set, $inc (and $mul) on the rows `where` matches. */
export async function v1Update(ctx: OpContext, args: Args): Promise<unknown> {
  const { t, info } = await trackedTable(ctx, args);
  const tr = new SelectTranslator();
  const sets: SQL[] = [];
  for (const [key, op] of [
    ['$set', 'set'],
    ['$inc', 'inc'],
    ['$mul', 'mul'],
  ] as const) {
    const o = args[key];
    if (!o || typeof o !== 'object') continue;
    for (const [c, v] of Object.entries(o as Record<string, unknown>)) {
      const col = t.columnsByName.get(columnOf(t, c, [key, c]))!;
      const val = tr.val({ k: 'lit', value: v ?? null, pgType: castable(col.pg.formatted) });
      const self = sql.ident(TARGET, c);
      sets.push(
        sql`${sql.ident(c)} = ${op === 'set' ? val : op === 'inc' ? sql`${self} + ${val}` : sql`${self} * ${val}`}`,
      );
    }
  }
  if (!sets.length)
    throw bad('unexpected-payload', 'atleast one of $set, $inc, $mul has to be present');
  return mutationResult(
    ctx,
    t,
    sql`UPDATE ${sql.ident(t.qn.schema, t.qn.name)} AS ${sql.ident(TARGET)} SET ${sql.join(sets, ', ')}${whereSql(tr, t, info, args.where)} RETURNING ${sql.ident(TARGET)}.*`,
    args.returning,
  );
}

/** v1 `delete`: the rows `where` matches. */
export async function v1Delete(ctx: OpContext, args: Args): Promise<unknown> {
  const { t, info } = await trackedTable(ctx, args);
  const tr = new SelectTranslator();
  return mutationResult(
    ctx,
    t,
    sql`DELETE FROM ${sql.ident(t.qn.schema, t.qn.name)} AS ${sql.ident(TARGET)}${whereSql(tr, t, info, args.where)} RETURNING ${sql.ident(TARGET)}.*`,
    args.returning,
  );
}

/** v1 `count`: rows `where` matches (with `distinct`, distinct values of those columns). */
export async function v1Count(ctx: OpContext, args: Args): Promise<unknown> {
  const { t, info } = await trackedTable(ctx, args);
  const perm = selectPermission(ctx, t, 'count');
  const tr = new SelectTranslator(sessionEmitter(ctx));
  const filter = perm ? tr.boolExp(permFilterToIR(perm.filter, t, info), TARGET, t) : null;
  const where = whereSql(tr, t, info, args.where);
  const permWhere = filter
    ? sql`${where === sql.empty ? sql` WHERE ` : sql` AND `}${filter}`
    : sql.empty;
  // `distinct`: rows with distinct values of these columns
  const distinct = Array.isArray(args.distinct)
    ? args.distinct.map((c: unknown, i: number) => {
        if (typeof c !== 'string' || !t.columnsByName.has(c))
          throw bad('permission-denied', `no such column exists: "${String(c)}"`, ['distinct', i]);
        return sql.ident(TARGET, c);
      })
    : [];
  const counted = distinct.length
    ? sql`count(DISTINCT (${sql.join(distinct, ', ')}))`
    : sql`count(*)`;
  const r = await run<{ count: number }>(
    ctx,
    t.source,
    sql`SELECT ${counted}::int AS count FROM ${sql.ident(t.qn.schema, t.qn.name)} AS ${sql.ident(TARGET)}${where}${permWhere}`,
  );
  return { count: r.count };
}
