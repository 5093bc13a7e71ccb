/**
 * Table operations of the metadata API (Hasura/RQL/DDL/Schema/Table.hs): track / untrack (with
 * Hasura's dependency check and `cascade`), customization, custom fields, enum tables.
 */
import { qualifiedKey } from '../introspection/catalog.ts';
import {
  collectObjects,
  dependencyError,
  dependents,
  removeObjects,
} from '../metadata/dependencies.ts';
import type { TableMeta } from '../metadata/types.ts';
import { normalizeName, sameName } from '../metadata/types.ts';
import {
  bad,
  catalogOf,
  checkChange,
  checkStoredQueries,
  displayName,
  findTable,
  sourceOf,
  success,
  tableArg,
  type Args,
  type OpContext,
} from './context.ts';

export async function trackTable(ctx: OpContext, args: Args): Promise<unknown> {
  const qn = tableArg(args);
  const src = sourceOf(ctx, args.source);
  if (src.tables.some((t) => sameName(normalizeName(t.table), qn))) {
    throw bad('already-tracked', `view/table already tracked: "${displayName(qn)}"`);
  }
  const catalog = await catalogOf(ctx, src.name);
  if (!catalog.tables.has(qualifiedKey(qn)))
    throw bad('not-exists', `no such table/view exists in source: "${displayName(qn)}"`);
  const entry: TableMeta = { table: qn };
  if (args.configuration && typeof args.configuration === 'object')
    entry.configuration = args.configuration as TableMeta['configuration'];
  if (args.is_enum === true) entry.is_enum = true;
  src.tables.push(entry);
  await checkChange(ctx, (n) => n === `table ${qn.schema}.${qn.name} in source ${src.name}`);
  return success;
}

export async function untrackTable(ctx: OpContext, args: Args): Promise<unknown> {
  const qn = tableArg(args);
  const src = sourceOf(ctx, args.source);
  const t = src.tables.find((x) => sameName(normalizeName(x.table), qn));
  if (!t) throw bad('already-untracked', `view/table already untracked: "${displayName(qn)}"`);
  const key = qualifiedKey(qn);
  const objects = collectObjects(src, await catalogOf(ctx, src.name));
  const deps = dependents(
    objects,
    [{ k: 'table', table: key }],
    new Set([`table ${displayName(qn)}`]),
    new Set([key]),
  );
  if (deps.length && args.cascade !== true) throw dependencyError(deps, src.name);
  removeObjects(src, deps);
  src.tables = src.tables.filter((x) => x !== t);
  // functions returning rows of the table go with it
  await checkStoredQueries(ctx);
  return success;
}

/** The table of set_table_customization / set_table_custom_fields, refused as Hasura words it. */
function customizedTable(ctx: OpContext, args: Args): TableMeta {
  const src = sourceOf(ctx, args.source);
  const qn = tableArg(args);
  if (!src.tables.some((x) => sameName(normalizeName(x.table), qn)))
    throw bad('not-exists', `table "${displayName(qn)}" does not exist in source: ${src.name}`);
  return findTable(ctx, args);
}

export async function setTableCustomization(ctx: OpContext, args: Args): Promise<unknown> {
  const t = customizedTable(ctx, args);
  t.configuration = (args.configuration ?? {}) as TableMeta['configuration'];
  await checkChange(ctx);
  return success;
}

export async function setTableCustomFields(ctx: OpContext, args: Args): Promise<unknown> {
  const t = customizedTable(ctx, args);
  t.configuration = {
    ...(t.configuration ?? {}),
    custom_root_fields: (args.custom_root_fields ?? {}) as Record<string, string>,
    custom_column_names: (args.custom_column_names ?? {}) as Record<string, string>,
  };
  await checkChange(ctx);
  return success;
}

export async function setTableIsEnum(ctx: OpContext, args: Args): Promise<unknown> {
  const t = findTable(ctx, args);
  t.is_enum = args.is_enum === true;
  // a table that cannot be an enum is refused with Hasura's reasons (400 invalid-configuration)
  const qn = normalizeName(t.table);
  const src = sourceOf(ctx, args.source).name;
  await checkChange(ctx, (n) => n === `table ${displayName(qn)} in source ${src}`);
  return success;
}
