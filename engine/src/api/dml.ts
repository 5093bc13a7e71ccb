/**
 * The v1 read operations of `/v1/query` and `/v2/query` (Hasura/RQL/DML/{Select,Count}.hs) on
 * tracked tables, as the caller's role: `select` (columns, relationships, `where` in the
 * boolean-expression JSON of permissions, `order_by`, `limit`, `offset`) and `count`. The writes
 * are in dml-mutations.ts.
 */
import { sql, type SQL } from '@streamsync/database';
import { jsonKind, withPath, type PathElem } from '../errors.ts';
import { SelectTranslator } from '../translate/select.ts';
import type { AnnSelect, OrderByItem } from '../ir/types.ts';
import { permFilterToIR } from '../parse/bool-exp.ts';
import type { SourceInfo, TableInfo } from '../schema/source.ts';
import { BIG_NUMERIC_TYPES } from '../schema/scalars.ts';
import { bad, type Args, type OpContext } from './context.ts';
import {
  columnOf,
  parseError,
  roleOf,
  run,
  selectPermission,
  sessionEmitter,
  TARGET,
  trackedTable,
} from './dml-common.ts';

const COUNT_NEEDS_SELECT =
  '; "count" is only allowed if the role has "select" permissions on the table';

/** `where` in Hasura's boolean-expression JSON, over the target alias. */
export function whereSql(
  tr: SelectTranslator,
  t: TableInfo,
  info: SourceInfo,
  where: unknown,
): SQL {
  if (where === undefined || where === null) return sql.empty;
  const e = tr.boolExp(
    withPath(['where'], () => permFilterToIR(where, t, info)),
    TARGET,
    t,
  );
  return e ? sql` WHERE ${e}` : sql.empty;
}

/** v1 `select`: columns (or "*", or relationships with their own columns, where, order_by, limit), as the caller's role. */
export async function v1Select(ctx: OpContext, args: Args): Promise<unknown> {
  const { t, info } = await trackedTable(ctx, args);
  const ir = selectIR(ctx, t, info, args, []);
  const r = await run<{ rows: unknown }>(
    ctx,
    t.source,
    sql`SELECT (${new SelectTranslator(sessionEmitter(ctx)).arraySelect(ir, null)}) AS rows`,
  );
  return r.rows;
}

function nonNegative(v: unknown, at: PathElem[]): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number')
    throw parseError(`parsing Int failed, expected Number, but encountered ${jsonKind(v)}`, at);
  if (!Number.isInteger(v))
    throw parseError(`parsing Int failed, unexpected floating number ${v}`, at);
  if (v < 0) throw bad('not-supported', 'unexpected negative value', at);
  return v;
}

/** A v1 select (or a relationship's part of one) as the GraphQL API's select IR. */
function selectIR(
  ctx: OpContext,
  t: TableInfo,
  info: SourceInfo,
  args: Args,
  at: PathElem[],
): AnnSelect {
  const perm = selectPermission(ctx, t);
  const role = roleOf(ctx);
  const fields: AnnSelect['fields'] = [];
  const column = (name: string, where: PathElem[]) => {
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
      const select = selectIR(ctx, target, info, sub, where);
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
function orderByIR(t: TableInfo, spec: unknown, at: PathElem[]): OrderByItem[] {
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

/** v1 `count`: rows `where` matches (with `distinct`, distinct values of those columns). */
export async function v1Count(ctx: OpContext, args: Args): Promise<unknown> {
  const { t, info } = await trackedTable(ctx, args);
  const perm = selectPermission(ctx, t, COUNT_NEEDS_SELECT);
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
