/**
 * The v1 write operations of `/v1/query` and `/v2/query` (Hasura/RQL/DML/{Insert,Update,Delete}.hs)
 * on tracked tables, as the caller's role. A role other than admin writes under its permissions
 * exactly as the GraphQL mutations do — the insert `check` and `set` presets, the update `filter`,
 * `check`, columns and presets, the delete `filter`, backend-only permissions only in the backend
 * scenario — and the checks run in the statement itself (`check__constraint`, a failure is
 * Hasura's `permission-error`). Each operation is one statement in its own transaction.
 */
import { sql, type SQL } from '@streamsync/database';
import { QErr, withPath, type PathElem } from '../errors.ts';
import type { AnnInsert, InsertRow, OnConflict } from '../ir/mutation.ts';
import type { BoolExp, Val } from '../ir/types.ts';
import { permFilterToIR } from '../parse/bool-exp.ts';
import { presetVals } from '../parse/mutation.ts';
import { deletePerm, insertPerm, updatePerm } from '../schema/mutation-perms.ts';
import type { ColumnInfo, SelectPermInfo, SourceInfo, TableInfo } from '../schema/source.ts';
import { insertDml } from '../translate/insert.ts';
import { CHECK } from '../translate/mutation-output.ts';
import { SelectTranslator } from '../translate/select.ts';
import { ADMIN_ROLE } from '../session.ts';
import { bad, displayName, type Args, type OpContext } from './context.ts';
import {
  castable,
  columnOf,
  parseError,
  returningColumns,
  roleOf,
  rowJson,
  run,
  selectPermission,
  sessionEmitter,
  TARGET,
  trackedTable,
} from './dml-common.ts';

const CHECK_FAILED = 'check constraint of an insert/update permission has failed';

/**
 * The role's insert / update / delete permission, refused as Hasura's askPermInfo words it. A
 * backend-only permission exists only for a trusted request that asked for backend-only
 * permissions, as in the GraphQL schema.
 */
function writePermission<P extends { backendOnly: boolean }>(
  ctx: OpContext,
  t: TableInfo,
  get: (t: TableInfo, role: string) => P | undefined,
): P | undefined {
  const role = roleOf(ctx) ?? ADMIN_ROLE;
  const p = get(t, role);
  return p && (!p.backendOnly || ctx.session?.backendOnlyPermissions === true) ? p : undefined;
}

function notAllowed(ctx: OpContext, t: TableInfo, kind: string): QErr {
  return bad(
    'permission-denied',
    `${kind} on "${displayName(t.qn)}" for role "${roleOf(ctx) ?? ADMIN_ROLE}" is not allowed. `,
  );
}

/** A permission's boolean expression over the table (admin: none). */
function permExp(ctx: OpContext, t: TableInfo, info: SourceInfo, json: unknown): BoolExp {
  return roleOf(ctx) === null ? { k: 'true' } : permFilterToIR(json, t, info);
}

/** Hasura's checkPermOnCol: a column the role may not write. */
function checkColumn(
  ctx: OpContext,
  allowed: Set<string>,
  column: string,
  what: 'insert' | 'update',
  at: PathElem[],
): void {
  const role = roleOf(ctx);
  if (role !== null && !allowed.has(column))
    throw bad(
      'permission-denied',
      `role "${role}" does not have permission to ${what} column "${column}"`,
      at,
    );
}

/**
 * `{affected_rows, returning?}` of a DML statement ending in `RETURNING *, <check> AS
 * check__constraint`; a row that fails the check rolls everything back.
 */
async function mutationResult(
  ctx: OpContext,
  t: TableInfo,
  dml: SQL,
  returning: string[] | undefined,
): Promise<unknown> {
  const cte = sql.ident(TARGET);
  const rows = returning
    ? sql`, coalesce(json_agg(${rowJson(ctx, t, returning)}), '[]') AS rows`
    : sql.empty;
  const r = await run<{ n: number; ok: boolean; rows?: unknown }>(
    ctx,
    t.source,
    sql`WITH ${cte} AS (${dml}) SELECT count(*)::int AS n, coalesce(bool_and(${sql.ident(CHECK)}), true) AS ok${rows} FROM ${cte}`,
    (row) => {
      if (!row.ok) throw new QErr('permission-error', CHECK_FAILED, 400);
    },
  );
  return returning ? { affected_rows: r.n, returning: r.rows } : { affected_rows: r.n };
}

/** A JSON value given for a column of an inserted row (GeoJSON for geometry, JSON as text). */
function insertValue(col: ColumnInfo, v: unknown): Val {
  const pgType = castable(col.pg.formatted);
  const geo = /^(geometry|geography)\b/.test(col.pg.formatted);
  const value =
    v === null || geo
      ? v
      : typeof v === 'object' && !/^jsonb?$/.test(col.pg.type)
        ? JSON.stringify(v)
        : v;
  return { k: 'lit', value: value ?? null, pgType };
}

const RETURNING_NEEDS_SELECT =
  '; "returning" can only be used if the role has "select" permission on the table';

/** v1 `insert`: rows as JSON objects, `on_conflict` (ignore or update), `returning`. */
export async function v1Insert(ctx: OpContext, args: Args): Promise<unknown> {
  if (!Array.isArray(args.objects))
    throw parseError(args.objects === undefined ? 'key "objects" not found' : 'expected Array', [
      'objects',
    ]);
  const { t, info } = await trackedTable(ctx, args);
  const role = roleOf(ctx);
  const perm = writePermission(ctx, t, insertPerm);
  if (!perm) throw notAllowed(ctx, t, 'insert');
  const returning =
    args.returning === undefined
      ? undefined
      : returningColumns(ctx, t, selectPermission(ctx, t, RETURNING_NEEDS_SELECT), args.returning);
  if (args.objects.length === 0)
    throw bad('unexpected-payload', 'objects should not be empty', ['objects']);
  const inputColumns = new Set<string>();
  const rows: InsertRow[] = args.objects.map((o: unknown, i: number) => {
    const at = ['objects', i];
    if (!o || typeof o !== 'object' || Array.isArray(o)) throw parseError('expected Object', at);
    const columns: InsertRow['columns'] = Object.entries(o as Record<string, unknown>).map(
      ([c, v]) => {
        const col = t.columnsByName.get(c);
        if (!col) {
          const isRel = [...t.objectRels, ...t.arrayRels].some((r) => r.name === c);
          throw bad(
            'not-exists',
            isRel ? "relationships can't be inserted" : `column "${c}" does not exist`,
            at,
          );
        }
        if (perm.presets.has(c))
          throw bad('not-supported', `column "${c}" is not insertable for role "${role}"`, at);
        checkColumn(ctx, perm.columns, c, 'insert', at);
        inputColumns.add(c);
        return [c, insertValue(col, v)];
      },
    );
    return { columns, objRels: [], arrRels: [], path: at };
  });
  const conflict =
    args.on_conflict === undefined || args.on_conflict === null
      ? null
      : withPath(['on_conflict'], () =>
          conflictClause(ctx, t, info, args.on_conflict, [...inputColumns]),
        );
  const update = conflict ? writePermission(ctx, t, updatePerm) : undefined;
  const ins: AnnInsert = {
    table: t,
    rows,
    conflict,
    checkInsert: permExp(ctx, t, info, perm.check),
    checkUpdate: update?.check ? permExp(ctx, t, info, update.check) : null,
    presets: presetVals(t, perm.presets),
    path: [],
  };
  const tr = new SelectTranslator(sessionEmitter(ctx));
  return mutationResult(ctx, t, insertDml(tr, ins, rows), returning);
}

/**
 * Hasura's buildConflictClause: `constraint` (a unique or primary key constraint) or
 * `constraint_on` (columns); `action: update` sets the inserted columns from EXCLUDED, plus the
 * update permission's presets, where its filter holds — only for a role that may update them.
 */
function conflictClause(
  ctx: OpContext,
  t: TableInfo,
  info: SourceInfo,
  spec: unknown,
  inputColumns: string[],
): OnConflict {
  if (!spec || typeof spec !== 'object' || Array.isArray(spec))
    throw parseError('expected Object', ['on_conflict']);
  const oc = spec as Args;
  const action = oc.action ?? 'ignore';
  if (action !== 'ignore' && action !== 'update')
    throw parseError(`unexpected conflict action "${String(action)}"`, ['on_conflict', 'action']);
  const role = roleOf(ctx);
  const upd = writePermission(ctx, t, updatePerm);
  if (!upd)
    throw bad(
      'permission-denied',
      `upsert is not allowed for role "${role}" since update permissions are not defined`,
    );
  const hasCons = oc.constraint !== undefined && oc.constraint !== null;
  const hasCols = oc.constraint_on !== undefined && oc.constraint_on !== null;
  if (hasCons && hasCols)
    throw bad('unexpected-payload', "'constraint' and 'constraint_on' cannot be set at a time");
  let target: Pick<OnConflict, 'constraint' | 'columns'> = { constraint: '' };
  if (hasCons) {
    const name = String(oc.constraint);
    const known = [t.pg.primaryKey, ...t.pg.uniques].some((c) => c?.name === name);
    if (!known)
      throw bad(
        'unexpected',
        `constraint "${name}" for table "${displayName(t.qn)}" does not exist`,
        ['constraint'],
      );
    target = { constraint: name };
  } else if (hasCols) {
    const cols = Array.isArray(oc.constraint_on) ? oc.constraint_on : [oc.constraint_on];
    target = {
      constraint: '',
      columns: cols.map((c: unknown, i: number) => columnOf(t, c, ['constraint_on', i])),
    };
  } else if (action === 'update') {
    throw bad(
      'unexpected-payload',
      "Expecting 'constraint' or 'constraint_on' when the 'action' is 'update'",
    );
  }
  if (action === 'ignore')
    return { ...target, updateColumns: [], updatePresets: [], filter: { k: 'true' } };
  for (const c of inputColumns)
    if (role !== null && !upd.columns.has(c))
      throw bad('validation-failed', `column "${c}" is not updatable`);
  return {
    ...target,
    updateColumns: inputColumns,
    updatePresets: presetVals(t, upd.presets),
    filter: permExp(ctx, t, info, upd.filter),
  };
}

/** Update and delete require `where` (Hasura parses it as a key of the arguments). */
function requireWhere(args: Args): void {
  if (args.where === undefined) throw parseError('key "where" not found');
}

function whereOf(t: TableInfo, info: SourceInfo, args: Args): BoolExp {
  if (args.where === null) return { k: 'true' };
  return withPath(['where'], () => permFilterToIR(args.where, t, info));
}

const and = (items: BoolExp[]): BoolExp => {
  const xs = items.filter((x) => x.k !== 'true');
  if (xs.length === 0) return { k: 'true' };
  return xs.length === 1 ? xs[0]! : { k: 'and', items: xs };
};

function whereClause(tr: SelectTranslator, t: TableInfo, e: BoolExp): SQL {
  const s = tr.boolExp(e, TARGET, t);
  return s ? sql` WHERE ${s}` : sql.empty;
}

const UPDATE_NEEDS_SELECT =
  '; "update" is only allowed if the role has "select" permission as "where" can\'t be used without "select" permission on the table';
const DELETE_NEEDS_SELECT =
  '; "delete" is only allowed if the role has "select" permission as "where" can\'t be used without "select" permission on the table';

/** v1 `update`: $set, $inc, $mul and $default on the rows `where` matches. */
export async function v1Update(ctx: OpContext, args: Args): Promise<unknown> {
  requireWhere(args);
  const { t, info } = await trackedTable(ctx, args);
  const role = roleOf(ctx);
  const perm = writePermission(ctx, t, updatePerm);
  if (!perm) throw notAllowed(ctx, t, 'update');
  const select: SelectPermInfo | null = selectPermission(ctx, t, UPDATE_NEEDS_SELECT);
  const tr = new SelectTranslator(sessionEmitter(ctx));
  // the permission's presets first, as Hasura lists them
  const sets: SQL[] = presetVals(t, perm.presets).map(
    ([c, v]) => sql`${sql.ident(c)} = ${tr.val(v)}`,
  );
  const given: Array<[string, unknown]> = [
    ['$set', args.$set],
    ['$inc', args.$inc],
    ['$mul', args.$mul],
    [
      '$default',
      Array.isArray(args.$default) ? Object.fromEntries(args.$default.map((c) => [c, null])) : null,
    ],
  ];
  for (const [key, o] of given) {
    if (!o || typeof o !== 'object') continue;
    for (const [c, v] of Object.entries(o as Record<string, unknown>)) {
      const col = t.columnsByName.get(columnOf(t, c, [key, c]))!;
      if (perm.presets.has(c))
        throw bad(
          'not-supported',
          `column "${c}" is not updatable for role "${role}"; its value is predefined in permission`,
          [key],
        );
      checkColumn(ctx, perm.columns, c, 'update', [key]);
      const self = sql.ident(TARGET, c);
      if (key === '$default') {
        sets.push(sql`${sql.ident(c)} = DEFAULT`);
        continue;
      }
      const val = tr.val({ k: 'lit', value: v ?? null, pgType: castable(col.pg.formatted) });
      sets.push(
        sql`${sql.ident(c)} = ${key === '$set' ? val : key === '$inc' ? sql`${self} + ${val}` : sql`${self} * ${val}`}`,
      );
    }
  }
  const returning = returningColumns(ctx, t, select, args.returning);
  if (sets.length === 0)
    throw bad('unexpected-payload', 'atleast one of $set, $inc, $mul has to be present');
  const filter = and([permExp(ctx, t, info, perm.filter), whereOf(t, info, args)]);
  const check = perm.check
    ? (tr.boolExp(permExp(ctx, t, info, perm.check), TARGET, t) ?? sql`true`)
    : sql`true`;
  return mutationResult(
    ctx,
    t,
    sql`UPDATE ${sql.ident(t.qn.schema, t.qn.name)} AS ${sql.ident(TARGET)} SET ${sql.join(sets, ', ')}${whereClause(tr, t, filter)} RETURNING ${sql.ident(TARGET)}.*, (${check}) AS ${sql.ident(CHECK)}`,
    returning,
  );
}

/** v1 `delete`: the rows `where` matches. */
export async function v1Delete(ctx: OpContext, args: Args): Promise<unknown> {
  requireWhere(args);
  const { t, info } = await trackedTable(ctx, args);
  const perm = writePermission(ctx, t, deletePerm);
  if (!perm) throw notAllowed(ctx, t, 'delete');
  const select = selectPermission(ctx, t, DELETE_NEEDS_SELECT);
  const returning = returningColumns(ctx, t, select, args.returning);
  const tr = new SelectTranslator(sessionEmitter(ctx));
  const filter = and([permExp(ctx, t, info, perm.filter), whereOf(t, info, args)]);
  return mutationResult(
    ctx,
    t,
    sql`DELETE FROM ${sql.ident(t.qn.schema, t.qn.name)} AS ${sql.ident(TARGET)}${whereClause(tr, t, filter)} RETURNING ${sql.ident(TARGET)}.*, true AS ${sql.ident(CHECK)}`,
    returning,
  );
}
