/**
 * Metadata + database → the GraphQL schema one role sees, named and described as Hasura does
 * (Hasura/GraphQL/Schema/{Select,BoolExp,OrderBy,Table}.hs and the Postgres instances).
 *
 * Each part of a schema is built in its own module, by what it builds: output-types.ts (a table's
 * object and aggregate types), select-args.ts, filter-types.ts (`<t>_bool_exp`), order-types.ts,
 * comparison-types.ts (from the operator table, operators.ts), arguments.ts, query-root.ts; the
 * shared state is builder-core.ts. `SchemaBuilder` gathers them for the roots that extensions
 * add: a `SchemaExtension` runs after the query root is built and may add types and fields to
 * `mutation_root` (mutation.ts) or `subscription_root` (stream-fields.ts) — a new kind of root
 * field (actions, remote schemas) is a new extension.
 */
import { aggregateFields, aggregateObject, tableObject } from './output-types.ts';
import { aggregateBoolExp, boolExp } from './filter-types.ts';
import { aggregateOrderBy, orderBy, orderByEnum } from './order-types.ts';
import { cfArgs, fnArgsInput, functionArgsTypeName, selectColumnEnum } from './arguments.ts';
import { comparisonExp } from './comparison-types.ts';
import { selectArgs } from './select-args.ts';
import { buildQueryRoot } from './query-root.ts';
import { BuilderCore, type SchemaOptions } from './builder-core.ts';
import { isPlain, mergeSourcePart } from './customize.ts';
import type { ComputedFieldInfo, FunctionInfo, SourceInfo, TableInfo } from './source.ts';
import type { InputValueDef, RoleSchema } from './types.ts';

export { tableDisplayName, type SchemaOptions } from './builder-core.ts';
export { AGG_OPS, aggColumns, aggScalar, type AggOp } from './aggregates.ts';

/** A hook that adds to a role's schema after the query root is built. */
export type SchemaExtension = (b: SchemaBuilder) => void;

/** The builder extensions receive: the core state and every part, as methods. */
export class SchemaBuilder extends BuilderCore {
  tableObject(t: TableInfo): string {
    return tableObject(this, t);
  }

  cfArgs(cf: ComputedFieldInfo): InputValueDef[] {
    return cfArgs(this, cf);
  }

  aggregateObject(t: TableInfo): string {
    return aggregateObject(this, t);
  }

  aggregateFields(t: TableInfo): string {
    return aggregateFields(this, t);
  }

  fnArgsInput(
    fn: FunctionInfo['fn'],
    skip: Set<number>,
    name?: string,
  ): { name: string; required: boolean } | undefined {
    return fnArgsInput(this, fn, skip, name);
  }

  functionArgsTypeName(f: FunctionInfo): string {
    return functionArgsTypeName(this, f);
  }

  selectArgs(t: TableInfo): InputValueDef[] {
    return selectArgs(this, t);
  }

  selectColumnEnum(t: TableInfo): string {
    return selectColumnEnum(this, t);
  }

  orderByEnum(): string {
    return orderByEnum(this);
  }

  orderBy(t: TableInfo): string {
    return orderBy(this, t);
  }

  aggregateOrderBy(t: TableInfo): string {
    return aggregateOrderBy(this, t);
  }

  boolExp(t: TableInfo): string {
    return boolExp(this, t);
  }

  aggregateBoolExp(t: TableInfo): string {
    return aggregateBoolExp(this, t);
  }

  comparisonExp(scalar: string, pgType: string, category: string, formatted: string): string {
    return comparisonExp(this, scalar, pgType, category, formatted);
  }

  buildQueryRoot(): void {
    return buildQueryRoot(this);
  }
}

/**
 * Build one role's schema over every source (`sources`, the served one first): each source's
 * part — its query root, then what `extensions` add for it (mutations, streams) — is built by its
 * own builder and merged (customize.ts applies the source's customization on the way); then
 * `globalExtensions` (actions: not of any source) add theirs once.
 */
export function buildRoleSchema(
  sources: SourceInfo | readonly SourceInfo[],
  role: string,
  opts: SchemaOptions,
  extensions: SchemaExtension[] = [],
  globalExtensions: SchemaExtension[] = [],
  served?: SourceInfo,
): RoleSchema {
  const list = Array.isArray(sources)
    ? (sources as readonly SourceInfo[])
    : [sources as SourceInfo];
  const main = served ?? list[0]!;
  const b = new SchemaBuilder(main, role, opts);
  for (const s of list) {
    // a source without customization builds straight into the schema (the common case)
    const part = isPlain(s.customization) && s === main ? b : new SchemaBuilder(s, role, opts);
    part.buildQueryRoot();
    for (const ext of extensions) ext(part);
    if (part !== b) mergeSourcePart(b, part, s);
  }
  for (const ext of globalExtensions) ext(b);
  return b.finish();
}
