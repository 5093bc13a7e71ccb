/**
 * What the v1 DML operations of `/v1/query` share (Hasura/RQL/DML/Internal.hs): the tracked table,
 * the caller's role and its select permission, session variables as parameters, `returning`
 * columns, rows as JSON, and the transaction each operation runs in.
 */
import { query, sql, transaction, type SQL } from '@streamsync/database';
import { pgQueryError, QErr, type PathElem } from '../errors.ts';
import { qualifiedKey } from '../introspection/catalog.ts';
import { castName, toPgParam, type ValueEmitter } from '../translate/select.ts';
import type { SelectPermInfo, SourceInfo, TableInfo } from '../schema/source.ts';
import { BIG_NUMERIC_TYPES } from '../schema/scalars.ts';
import {
  bad,
  displayName,
  draftSources,
  poolOf,
  setSessionVariables,
  sourceOf,
  tableArg,
  type Args,
  type OpContext,
} from './context.ts';

/** The alias of the target table in every v1 DML statement. */
export const TARGET = '_v1';

/** A format_type() string without its modifiers, usable as a cast. */
export function castable(t: string): string {
  return t.replace(/\(\d+(?:,\s*\d+)?\)/g, '');
}

/**
 * An error of Hasura's JSON parsing of the arguments (a missing key, a value of the wrong kind):
 * reported at its path from `$`, not below `$.args` as the checks after parsing are.
 */
export function parseError(message: string, path: PathElem[] = []): QErr {
  return Object.assign(new QErr('parse-failed', message, 400, path), { atRoot: true });
}

/**
 * A tracked table of the current metadata in the source `args.source` names (default: the
 * `default` source); v1 DML works on tracked tables only.
 */
export async function trackedTable(
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

/** The caller's role, or null for admin (no permission applies). */
export function roleOf(ctx: OpContext): string | null {
  const s = ctx.session;
  return !s || s.isAdmin !== false ? null : (s.role ?? null);
}

/** Session variables become parameters of the statement itself (v1 DML plans are not reused). */
export function sessionEmitter(ctx: OpContext): ValueEmitter {
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

/**
 * A table's select permission for the caller (null: admin), refused as Hasura's askSelPermInfo
 * words it; `why` is what the operation adds (`; "returning" can only be used if …`).
 */
export function selectPermission(ctx: OpContext, t: TableInfo, why = ''): SelectPermInfo | null {
  const role = roleOf(ctx);
  if (role === null) return null;
  const perm = t.selectPerms.get(role);
  if (!perm)
    throw bad(
      'permission-denied',
      `select on "${displayName(t.qn)}" for role "${role}" is not allowed. ${why}`,
    );
  return perm;
}

export function columnOf(t: TableInfo, name: unknown, at: PathElem[]): string {
  if (typeof name !== 'string' || !t.columnsByName.has(name))
    throw bad('not-exists', `column "${String(name)}" does not exist`, at);
  return name;
}

/**
 * The columns of a mutation's `returning` (undefined when it asks for none), each one the role
 * may select (Hasura's checkRetCols).
 */
export function returningColumns(
  ctx: OpContext,
  t: TableInfo,
  perm: SelectPermInfo | null,
  spec: unknown,
): string[] | undefined {
  if (!Array.isArray(spec)) return undefined;
  return spec.map((c, i) => {
    const name = columnOf(t, c, ['returning', i]);
    if (perm && !perm.columns.has(name))
      throw bad(
        'permission-denied',
        `role "${roleOf(ctx)}" does not have permission to select column "${name}"`,
        ['returning', i],
      );
    return name;
  });
}

/**
 * A row of `alias` as JSON, each column encoded as the GraphQL API encodes it: GeoJSON for
 * geometry and geography, big numbers as strings under `--stringify-numeric-types`.
 */
export function rowJson(ctx: OpContext, t: TableInfo, names: string[], alias = TARGET): SQL {
  return sql`json_build_object(${sql.join(
    names.map((n) => {
      const col = t.columnsByName.get(n)!;
      const e = sql.ident(alias, n);
      const value = /^(geometry|geography)\b/.test(col.pg.formatted)
        ? sql`ST_AsGeoJSON(${e}, 15, 4)::json`
        : ctx.engine.config.stringifyNumericTypes && BIG_NUMERIC_TYPES.has(col.pg.type)
          ? sql`(${e})::text`
          : e;
      return sql`${sql.value(n, 'text')}, ${value}`;
    }),
    ', ',
  )})`;
}

/**
 * Run one statement on its source in a transaction with the caller's session (event triggers
 * record it); `verify` sees its row before the commit, and what it throws rolls the statement back.
 */
export async function run<R extends Record<string, unknown>>(
  ctx: OpContext,
  source: string,
  stmt: SQL,
  verify: (row: R) => void = () => {},
): Promise<R> {
  try {
    return await transaction(poolOf(ctx, source), async (client) => {
      await setSessionVariables(client, ctx);
      const row = (await query<R>(client, stmt)).rows[0]!;
      verify(row);
      return row;
    });
  } catch (e) {
    const err = e as { code?: string };
    if (e instanceof QErr || !err.code) throw e;
    throw pgQueryError(err);
  }
}
