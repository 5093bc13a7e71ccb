/**
 * The comparison input types of boolean expressions (`<scalar>_comparison_exp`), from the operator table
 * (operators.ts), and the inputs some operators take (`jsonb_cast_exp`, `st_d_within_input`).
 */
import type { BuilderCore } from './builder-core.ts';
import { describe, operatorsFor, valueTypeOf } from './operators.ts';
import { type InputValueDef, list, named, nn } from './types.ts';
import { generated } from './naming-convention.ts';

const ENUM_OPERATORS = new Set(['_eq', '_neq', '_in', '_nin', '_is_null']);

export function comparisonExp(
  b: BuilderCore,
  scalar: string,
  pgType: string,
  category: string,
  formatted: string,
): string {
  const naming = b.source.naming;
  const name = naming.typeName(`${scalar}_comparison_exp`);
  if (b.types.has(name)) return name;
  b.scalar(scalar);
  const fields = new Map<string, InputValueDef>();
  b.types.set(name, {
    kind: 'INPUT_OBJECT',
    name,
    description: `Boolean expression to compare columns of type "${scalar}". All fields are combined with logical 'AND'.`,
    fields,
    info: { k: 'cmp', scalar, pgType: formatted },
  });
  // an enum table's enum compares by equality and membership only, as in Hasura
  const ops = operatorsFor(pgType, category).filter(
    (o) => !b.source.enumTypes.has(scalar) || ENUM_OPERATORS.has(o.name),
  );
  for (const { name: op, def, family } of ops) {
    const description = describe(def, family);
    const arg = def.arg;
    if (arg.k === 'cast') {
      fields.set(op, { name: op, description, type: named(jsonbCastExp(b)) });
      continue;
    }
    if (arg.k === 'distance') {
      const input = distanceInput(b, family === 'geography');
      const opName = naming.field(op);
      fields.set(opName, { name: opName, key: op, description, type: named(input) });
      continue;
    }
    const type =
      arg.k === 'column'
        ? named(scalar)
        : arg.k === 'column_list'
          ? list(nn(scalar))
          : arg.k === 'scalar'
            ? named(b.scalar(arg.scalar))
            : list(nn(b.scalar(arg.scalar)));
    // graphql-default camel-cases the words after the first (`_is_null` → `_isNull`)
    const opName = naming.field(op);
    fields.set(opName, {
      name: opName,
      key: op,
      description,
      type,
      parse: def.sql.k === 'is_null' ? 'bool' : 'column',
      pgType: valueTypeOf(def, formatted),
      ...(def.nullable ? { nullable: true } : {}),
    });
  }
  return name;
}

/** `jsonb_cast_exp`: jsonb's `_cast` to the comparisons of another type (String). */
export function jsonbCastExp(b: BuilderCore): string {
  // Hasura's castExp: the type name from words, the field keeps the scalar's name
  const castName = b.source.naming.typeOf(generated('jsonb_cast_exp'));
  if (!b.types.has(castName)) {
    const cf = new Map<string, InputValueDef>();
    b.types.set(castName, {
      kind: 'INPUT_OBJECT',
      name: castName,
      description: null,
      fields: cf,
      info: { k: 'cast_exp', pgType: 'jsonb' },
    });
    cf.set('String', {
      name: 'String',
      description: null,
      type: named(comparisonExp(b, 'String', 'text', 'base', 'text')),
    });
  }
  return castName;
}

/** `_st_d_within`'s input: distance and origin (and, for geography, use_spheroid). */
export function distanceInput(b: BuilderCore, geography: boolean): string {
  const inp = geography ? 'st_d_within_geography_input' : 'st_d_within_input';
  if (b.types.has(inp)) return inp;
  const geo = geography ? 'geography' : 'geometry';
  const f = new Map<string, InputValueDef>();
  f.set('distance', {
    name: 'distance',
    description: null,
    type: nn(b.scalar('Float')),
    parse: 'column',
    pgType: 'float8',
  });
  f.set('from', {
    name: 'from',
    description: null,
    type: nn(geo),
    parse: 'column',
    pgType: geo,
  });
  if (geography) {
    f.set('use_spheroid', {
      name: 'use_spheroid',
      description: null,
      type: named(b.scalar('Boolean')),
      defaultValue: 'true',
      parse: 'column',
      pgType: 'boolean',
      nullable: true,
    });
  }
  b.types.set(inp, {
    kind: 'INPUT_OBJECT',
    name: inp,
    description: null,
    fields: f,
    info: { k: 'other' },
  });
  return inp;
}
