/**
 * The v1 DML operations of `/v1/query` and `/v2/query` (Hasura/RQL/DML/*), as admin: `insert` (rows
 * as JSON, each value read as its column's type, GeoJSON for geometry), `select`, `update`,
 * `delete` and `count` on tracked tables, `where` in the boolean-expression JSON of permissions.
 * Each runs in its own transaction, as Hasura runs them.
 */
import { query, sql, transaction, type SQL } from '@streamsync/database';
import { pgQueryError } from '../errors.ts';
import { qualifiedKey } from '../introspection/catalog.ts';
import { SelectTranslator } from '../translate/select.ts';
import { withPath } from '../errors.ts';
import { permFilterToIR } from '../parse/bool-exp.ts';
import type { SourceInfo, TableInfo } from '../schema/source.ts';
import {
  bad,
  catalogOf,
  displayName,
  draftInfo,
  setSessionVariables,
  tableArg,
  type Args,
  type OpContext,
} from './context.ts';

function castable(t: string): string {
  return t.replace(/\(\d+(?:,\s*\d+)?\)/g, '');
}

export async function v1Insert(ctx: OpContext, args: Args): Promise<unknown> {
  const qn = tableArg(args);
  const table = (await catalogOf(ctx)).tables.get(qualifiedKey(qn));
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
  let affected = 0;
  try {
    await transaction(ctx.engine.pool, async (client) => {
      await setSessionVariables(client, ctx);
      for (const s of stmts) affected += (await query(client, s)).rowCount ?? 0;
    });
  } catch (e) {
    const err = e as { code?: string };
    if (!err.code) throw e;
    throw pgQueryError(err);
  }
  return { affected_rows: affected };
}

/** A tracked table of the current metadata (v1 DML works on tracked tables only). */
async function trackedTable(
  ctx: OpContext,
  args: Args,
): Promise<{ t: TableInfo; info: SourceInfo }> {
  const qn = tableArg(args);
  const info = await draftInfo(ctx);
  const t = info.tables.get(qualifiedKey(qn));
  if (!t) throw bad('not-exists', `table "${displayName(qn)}" does not exist`, ['table']);
  return { t, info };
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

async function run<R extends Record<string, unknown>>(ctx: OpContext, stmt: SQL): Promise<R> {
  try {
    // in a transaction with the caller's session, which event triggers record
    return await transaction(ctx.engine.pool, async (client) => {
      await setSessionVariables(client, ctx);
      return (await query<R>(client, stmt)).rows[0]!;
    });
  } catch (e) {
    const err = e as { code?: string };
    if (!err.code) throw e;
    throw pgQueryError(err);
  }
}

/** v1 `select`: columns (or "*"), where, order_by ("+col" / "-col" / {column, type, nulls}), limit, offset. */
export async function v1Select(ctx: OpContext, args: Args): Promise<unknown> {
  const { t, info } = await trackedTable(ctx, args);
  const spec = Array.isArray(args.columns) ? args.columns : ['*'];
  const cols: string[] = [];
  spec.forEach((c, i) => {
    if (c === '*') cols.push(...t.columns.map((x) => x.name));
    else if (typeof c === 'string') cols.push(columnOf(t, c, ['columns', i]));
    else
      throw bad('not-supported', 'relationship columns are not supported in v1 select', [
        'columns',
        i,
      ]);
  });
  const tr = new SelectTranslator();
  const order: SQL[] = [];
  (Array.isArray(args.order_by) ? args.order_by : args.order_by ? [args.order_by] : []).forEach(
    (o: unknown, i: number) => {
      let column: unknown;
      let desc = false;
      let nulls: string | undefined;
      if (typeof o === 'string') {
        desc = o.startsWith('-');
        column = o.replace(/^[+-]/, '');
      } else if (o && typeof o === 'object') {
        const x = o as { column?: unknown; type?: unknown; nulls?: unknown };
        column = x.column;
        desc = x.type === 'desc';
        nulls = typeof x.nulls === 'string' ? x.nulls : undefined;
      }
      const c = columnOf(t, column, ['order_by', i]);
      const dir = sql.keyword(desc ? 'DESC' : 'ASC');
      const n =
        nulls === 'first' ? sql` NULLS FIRST` : nulls === 'last' ? sql` NULLS LAST` : sql.empty;
      order.push(sql`${sql.ident(TARGET, c)} ${dir}${n}`);
    },
  );
  const orderBy = order.length ? sql` ORDER BY ${sql.join(order, ', ')}` : sql.empty;
  const limit =
    typeof args.limit === 'number' ? sql` LIMIT ${sql.value(args.limit, 'bigint')}` : sql.empty;
  const offset =
    typeof args.offset === 'number' ? sql` OFFSET ${sql.value(args.offset, 'bigint')}` : sql.empty;
  const row = sql`json_build_object(${sql.join(
    cols.map((c) => sql`${sql.value(c, 'text')}, ${sql.ident('_s', c)}`),
    ', ',
  )})`;
  const r = await run<{ rows: unknown }>(
    ctx,
    sql`SELECT coalesce(json_agg(${row}), '[]') AS rows FROM (SELECT ${sql.ident(TARGET)}.* FROM ${sql.ident(t.qn.schema, t.qn.name)} AS ${sql.ident(TARGET)}${whereSql(tr, t, info, args.where)}${orderBy}${limit}${offset}) AS ${sql.ident('_s')}`,
  );
  return r.rows;
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
  const r = await run<{ n: number }>(
    ctx,
    sql`WITH m AS (UPDATE ${sql.ident(t.qn.schema, t.qn.name)} AS ${sql.ident(TARGET)} SET ${sql.join(sets, ', ')}${whereSql(tr, t, info, args.where)} RETURNING 1) SELECT count(*)::int AS n FROM m`,
  );
  return { affected_rows: r.n };
}

/** v1 `delete`: the rows `where` matches. */
export async function v1Delete(ctx: OpContext, args: Args): Promise<unknown> {
  const { t, info } = await trackedTable(ctx, args);
  const tr = new SelectTranslator();
  const r = await run<{ n: number }>(
    ctx,
    sql`WITH m AS (DELETE FROM ${sql.ident(t.qn.schema, t.qn.name)} AS ${sql.ident(TARGET)}${whereSql(tr, t, info, args.where)} RETURNING 1) SELECT count(*)::int AS n FROM m`,
  );
  return { affected_rows: r.n };
}

/** v1 `count`: rows `where` matches. */
export async function v1Count(ctx: OpContext, args: Args): Promise<unknown> {
  const { t, info } = await trackedTable(ctx, args);
  const tr = new SelectTranslator();
  const r = await run<{ count: number }>(
    ctx,
    sql`SELECT count(*)::int AS count FROM ${sql.ident(t.qn.schema, t.qn.name)} AS ${sql.ident(TARGET)}${whereSql(tr, t, info, args.where)}`,
  );
  return { count: r.count };
}
