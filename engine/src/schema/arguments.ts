/**
 * Arguments shared by several parts of a schema: a computed field's or function's `args` input and the
 * `<t>_select_column` enum.
 */
import type { BuilderCore } from './builder-core.ts';
import { tableDisplayName } from './builder-core.ts';
import { scalarForTypname } from './scalars.ts';
import type { ComputedFieldInfo, FunctionInfo, TableInfo } from './source.ts';
import { type EnumTypeDef, type InputValueDef, named, nn } from './types.ts';

/** `args: <fn>_args` for a computed field with arguments beyond the row and session. */
export function cfArgs(b: BuilderCore, cf: ComputedFieldInfo): InputValueDef[] {
  const skip = new Set([
    cf.tableArgIndex,
    ...(cf.sessionArgIndex === null ? [] : [cf.sessionArgIndex]),
  ]);
  const input = fnArgsInput(b, cf.fn, skip);
  if (!input) return [];
  return [
    {
      name: 'args',
      description:
        'input parameters for computed field "' +
        cf.name +
        '" defined on table "' +
        cf.fn.name +
        '"',
      type: input.required ? nn(input.name) : named(input.name),
      nullable: !input.required,
    },
  ];
}

/**
 * The `<fn>_args` input of a function's arguments; `name` when the caller names it otherwise (a
 * tracked function's, in its source's convention: `functionArgsTypeName`).
 */
export function fnArgsInput(
  b: BuilderCore,
  fn: FunctionInfo['fn'],
  skip: Set<number>,
  name = `${fn.schema === 'public' ? fn.name : `${fn.schema}_${fn.name}`}_args`,
): { name: string; required: boolean } | undefined {
  const args = fn.args.map((a, i) => ({ a, i })).filter(({ i }) => !skip.has(i));
  if (args.length === 0) return undefined;
  if (!b.types.has(name)) {
    const fields = new Map<string, InputValueDef>();
    args.forEach(({ a, i }) => {
      const argName = a.name ?? `arg_${i + 1}`;
      const scalar = b.scalar(scalarForTypname(a.type));
      fields.set(argName, {
        name: argName,
        description: null,
        type: named(scalar),
        parse: 'column',
        pgType: a.formatted,
        nullable: true,
      });
    });
    b.types.set(name, {
      kind: 'INPUT_OBJECT',
      name,
      description: `input parameters for function "${fn.schema === 'public' ? fn.name : `${fn.schema}_${fn.name}`}"`,
      fields,
      info: { k: 'fn_args', fn },
    });
  }
  return { name, required: args.some(({ a }) => !a.hasDefault) };
}

/**
 * A tracked function's `<fn>_args` type: Hasura spells it as a field name of the source's
 * convention (getFunctionArgsGQLName), so graphql-default makes `searchArticlesArgs`.
 */
export function functionArgsTypeName(b: BuilderCore, f: FunctionInfo): string {
  const base = f.qn.schema === 'public' ? f.qn.name : `${f.qn.schema}_${f.qn.name}`;
  return b.source.naming.fieldName(`${base}_args`);
}

export function selectColumnEnum(b: BuilderCore, t: TableInfo): string {
  const name = t.naming.tableType(t.ident, 'select_column');
  if (!b.types.has(name)) {
    const e: EnumTypeDef = {
      kind: 'ENUM',
      name,
      description: `select columns of table "${tableDisplayName(t)}"`,
      values: b.columns(t).map((c) => ({
        name: c.gqlName,
        description: 'column name',
        value: c.name,
      })),
    };
    b.types.set(name, e);
  }
  return name;
}
