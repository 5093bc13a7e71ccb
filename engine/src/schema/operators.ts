/**
 * The comparison operators of boolean expressions (`<scalar>_comparison_exp`, permission
 * filters), each declared once: which columns take it, its GraphQL argument, its description,
 * the Postgres type of its value, whether permissions may use it, and its SQL. The schema
 * builder, the `where` and permission parsers, the permission checks and the SQL translator all
 * read this table, so a new operator is one entry here.
 *
 * Order matters: it is the order of the fields of a `<scalar>_comparison_exp` (as Hasura's).
 */
import { STRING_TYPES } from './scalars.ts';

/** Which columns an operator applies to. */
export type OperatorFamily =
  'any' | 'string' | 'array' | 'jsonb' | 'ltree' | 'geography' | 'geometry';

/**
 * The GraphQL argument of an operator: the column's scalar or a list of it, a fixed scalar or a
 * list of it, or one of the shaped inputs (`_cast`'s per-type comparisons, `_st_d_within`'s
 * distance input).
 */
export type OperatorArg =
  | { k: 'column' }
  | { k: 'column_list' }
  | { k: 'scalar'; scalar: string }
  | { k: 'scalar_list'; scalar: string }
  | { k: 'cast' }
  | { k: 'distance' };

/** How an operator becomes SQL: `lhs OP rhs`, `fn(lhs, rhs)`, or a shape of its own. */
export type OperatorSql =
  | { k: 'binary'; op: string }
  | { k: 'any'; negated: boolean }
  | { k: 'function'; fn: string }
  | { k: 'is_null' }
  | { k: 'cast' }
  | { k: 'distance'; fn: string };

export interface OperatorDef {
  families: readonly OperatorFamily[];
  arg: OperatorArg;
  /** per family where they differ (`_contains` of an array and of jsonb) */
  description: string | null | Partial<Record<OperatorFamily, string>>;
  /** the Postgres type of the value (its elements, for a list); default: the column's */
  valueType?: string;
  /** the argument takes null (jsonb's `_has_key`, as Hasura's) */
  nullable?: true;
  /** permission filters may use it */
  inPermissions: boolean;
  sql: OperatorSql;
}

const bin = (op: string): OperatorSql => ({ k: 'binary', op });
const fn = (name: string): OperatorSql => ({ k: 'function', fn: name });
const ANY = ['any'] as const;
const STRING = ['string'] as const;
const LTREE = ['ltree'] as const;
const GEOMETRY = ['geometry'] as const;
const column = { k: 'column' } as const;
const columnList = { k: 'column_list' } as const;

export const OPERATORS = {
  _cast: {
    families: ['jsonb'],
    arg: { k: 'cast' },
    description: null,
    inPermissions: true,
    sql: { k: 'cast' },
  },
  _eq: { families: ANY, arg: column, description: null, inPermissions: true, sql: bin('=') },
  _gt: { families: ANY, arg: column, description: null, inPermissions: true, sql: bin('>') },
  _gte: { families: ANY, arg: column, description: null, inPermissions: true, sql: bin('>=') },
  _in: {
    families: ANY,
    arg: columnList,
    description: null,
    inPermissions: true,
    sql: { k: 'any', negated: false },
  },
  _is_null: {
    families: ANY,
    arg: { k: 'scalar', scalar: 'Boolean' },
    description: null,
    inPermissions: true,
    sql: { k: 'is_null' },
  },
  _lt: { families: ANY, arg: column, description: null, inPermissions: true, sql: bin('<') },
  _lte: { families: ANY, arg: column, description: null, inPermissions: true, sql: bin('<=') },
  _neq: { families: ANY, arg: column, description: null, inPermissions: true, sql: bin('<>') },
  _nin: {
    families: ANY,
    arg: columnList,
    description: null,
    inPermissions: true,
    sql: { k: 'any', negated: true },
  },
  _like: {
    families: STRING,
    arg: column,
    description: 'does the column match the given pattern',
    inPermissions: true,
    sql: bin('LIKE'),
  },
  _nlike: {
    families: STRING,
    arg: column,
    description: 'does the column NOT match the given pattern',
    inPermissions: true,
    sql: bin('NOT LIKE'),
  },
  _ilike: {
    families: STRING,
    arg: column,
    description: 'does the column match the given case-insensitive pattern',
    inPermissions: true,
    sql: bin('ILIKE'),
  },
  _nilike: {
    families: STRING,
    arg: column,
    description: 'does the column NOT match the given case-insensitive pattern',
    inPermissions: true,
    sql: bin('NOT ILIKE'),
  },
  _similar: {
    families: STRING,
    arg: column,
    description: 'does the column match the given SQL regular expression',
    inPermissions: true,
    sql: bin('SIMILAR TO'),
  },
  _nsimilar: {
    families: STRING,
    arg: column,
    description: 'does the column NOT match the given SQL regular expression',
    inPermissions: true,
    sql: bin('NOT SIMILAR TO'),
  },
  _regex: {
    families: STRING,
    arg: column,
    description: 'does the column match the given POSIX regular expression, case sensitive',
    inPermissions: true,
    sql: bin('~'),
  },
  _iregex: {
    families: STRING,
    arg: column,
    description: 'does the column match the given POSIX regular expression, case insensitive',
    inPermissions: true,
    sql: bin('~*'),
  },
  _nregex: {
    families: STRING,
    arg: column,
    description: 'does the column NOT match the given POSIX regular expression, case sensitive',
    inPermissions: true,
    sql: bin('!~'),
  },
  _niregex: {
    families: STRING,
    arg: column,
    description: 'does the column NOT match the given POSIX regular expression, case insensitive',
    inPermissions: true,
    sql: bin('!~*'),
  },
  _contains: {
    families: ['array', 'jsonb'],
    arg: column,
    description: {
      array: 'does the array contain the given value',
      jsonb: 'does the column contain the given json value at the top level',
    },
    inPermissions: true,
    sql: bin('@>'),
  },
  _contained_in: {
    families: ['array', 'jsonb'],
    arg: column,
    description: {
      array: 'is the array contained in the given array value',
      jsonb: 'is the column contained in the given json value',
    },
    inPermissions: true,
    sql: bin('<@'),
  },
  _has_key: {
    families: ['jsonb'],
    arg: { k: 'scalar', scalar: 'String' },
    description: 'does the string exist as a top-level key in the column',
    valueType: 'text',
    nullable: true,
    inPermissions: true,
    sql: bin('?'),
  },
  _has_keys_any: {
    families: ['jsonb'],
    arg: { k: 'scalar_list', scalar: 'String' },
    description: 'do any of these strings exist as top-level keys in the column',
    valueType: 'text',
    inPermissions: true,
    sql: bin('?|'),
  },
  _has_keys_all: {
    families: ['jsonb'],
    arg: { k: 'scalar_list', scalar: 'String' },
    description: 'do all of these strings exist as top-level keys in the column',
    valueType: 'text',
    inPermissions: true,
    sql: bin('?&'),
  },
  _ancestor: {
    families: LTREE,
    arg: column,
    description: 'is the left argument an ancestor of right (or equal)?',
    inPermissions: true,
    sql: bin('@>'),
  },
  _ancestor_any: {
    families: LTREE,
    arg: columnList,
    description: 'does array contain an ancestor of `ltree`?',
    inPermissions: true,
    sql: bin('@>'),
  },
  _descendant: {
    families: LTREE,
    arg: column,
    description: 'is the left argument a descendant of right (or equal)?',
    inPermissions: true,
    sql: bin('<@'),
  },
  _descendant_any: {
    families: LTREE,
    arg: columnList,
    description: 'does array contain a descendant of `ltree`?',
    inPermissions: true,
    sql: bin('<@'),
  },
  _matches: {
    families: LTREE,
    arg: { k: 'scalar', scalar: 'lquery' },
    description: 'does `ltree` match `lquery`?',
    valueType: 'lquery',
    inPermissions: true,
    sql: bin('~'),
  },
  _matches_any: {
    families: LTREE,
    arg: { k: 'scalar_list', scalar: 'String' },
    description: 'does `ltree` match any `lquery` in array?',
    valueType: 'lquery',
    inPermissions: true,
    sql: bin('?'),
  },
  _matches_fulltext: {
    families: LTREE,
    arg: { k: 'scalar', scalar: 'ltxtquery' },
    description: 'does `ltree` match `ltxtquery`?',
    valueType: 'ltxtquery',
    inPermissions: true,
    sql: bin('@'),
  },
  _st_contains: {
    families: GEOMETRY,
    arg: column,
    description: 'does the column contain the given geometry value',
    inPermissions: true,
    sql: fn('ST_Contains'),
  },
  _st_crosses: {
    families: GEOMETRY,
    arg: column,
    description: 'does the column cross the given geometry value',
    inPermissions: true,
    sql: fn('ST_Crosses'),
  },
  _st_equals: {
    families: GEOMETRY,
    arg: column,
    description: 'is the column equal to given geometry value (directionality is ignored)',
    inPermissions: true,
    sql: fn('ST_Equals'),
  },
  _st_overlaps: {
    families: GEOMETRY,
    arg: column,
    description:
      "does the column 'spatially overlap' (intersect but not completely contain) the given geometry value",
    inPermissions: true,
    sql: fn('ST_Overlaps'),
  },
  _st_touches: {
    families: GEOMETRY,
    arg: column,
    description: 'does the column have atleast one point in common with the given geometry value',
    inPermissions: true,
    sql: fn('ST_Touches'),
  },
  _st_within: {
    families: GEOMETRY,
    arg: column,
    description: 'is the column contained in the given geometry value',
    inPermissions: true,
    sql: fn('ST_Within'),
  },
  _st_intersects: {
    families: ['geography', 'geometry'],
    arg: column,
    description: {
      geography: 'does the column spatially intersect the given geography value',
      geometry: 'does the column spatially intersect the given geometry value',
    },
    inPermissions: true,
    sql: fn('ST_Intersects'),
  },
  _st_3d_intersects: {
    families: GEOMETRY,
    arg: column,
    description: 'does the column spatially intersect the given geometry value in 3D',
    inPermissions: true,
    sql: fn('ST_3DIntersects'),
  },
  _st_d_within: {
    families: ['geography', 'geometry'],
    arg: { k: 'distance' },
    description: {
      geography: 'is the column within a given distance from the given geography value',
      geometry: 'is the column within a given distance from the given geometry value',
    },
    inPermissions: true,
    sql: { k: 'distance', fn: 'ST_DWithin' },
  },
  _st_3d_d_within: {
    families: GEOMETRY,
    arg: { k: 'distance' },
    description: 'is the column within a given 3D distance from the given geometry value',
    inPermissions: true,
    sql: { k: 'distance', fn: 'ST_3DDWithin' },
  },
} as const satisfies Record<string, OperatorDef>;

export type OperatorName = keyof typeof OPERATORS;

/**
 * An operator of the IR: one of the table, or `_is_not_null` (`_is_null: false`, so the
 * translator never reads a value to pick the SQL).
 */
export type CmpOpName = OperatorName | '_is_not_null';

const table: Readonly<Record<string, OperatorDef>> = OPERATORS;

export function operator(name: string): OperatorDef | undefined {
  return Object.prototype.hasOwnProperty.call(table, name) ? table[name] : undefined;
}

export const isOperatorName = (name: string): name is OperatorName => operator(name) !== undefined;

/** Permission filters' column comparisons (`_ceq: "other_column"`): the operator they apply. */
export const COLUMN_COMPARISONS: Readonly<Record<string, OperatorName>> = {
  _ceq: '_eq',
  _cne: '_neq',
  _cneq: '_neq',
  _cgt: '_gt',
  _clt: '_lt',
  _cgte: '_gte',
  _clte: '_lte',
};

/**
 * The operator a permission filter's key names: `$eq` is `_eq` (the `$` spellings of Hasura's
 * old permission syntax), `_ne`/`$ne` are `_neq`. Returns the name as written when it is none.
 */
export function permissionOperatorName(key: string): string {
  const name = key.startsWith('$') ? `_${key.slice(1)}` : key;
  return name === '_ne' ? '_neq' : name;
}

/** Whether a permission filter may use this key as an operator (a column comparison included). */
export function isPermissionOperator(key: string): boolean {
  const name = permissionOperatorName(key);
  if (COLUMN_COMPARISONS[name] !== undefined) return true;
  return operator(name)?.inPermissions === true;
}

/** The families of a column, in the order their operators appear in its comparison type. */
export function familiesOf(pgType: string, category: string): OperatorFamily[] {
  const out: OperatorFamily[] = ['any'];
  if (STRING_TYPES.has(pgType)) out.push('string');
  if (category === 'array') out.push('array');
  if (pgType === 'jsonb') out.push('jsonb');
  if (pgType === 'ltree') out.push('ltree');
  if (pgType === 'geography') out.push('geography');
  if (pgType === 'geometry') out.push('geometry');
  return out;
}

/**
 * The operators of a column in the order of its comparison type: `_cast` first (jsonb), then the
 * table's order within each family, families in familiesOf's order.
 */
export function operatorsFor(
  pgType: string,
  category: string,
): Array<{ name: OperatorName; def: OperatorDef; family: OperatorFamily }> {
  const out: Array<{ name: OperatorName; def: OperatorDef; family: OperatorFamily }> = [];
  const families = familiesOf(pgType, category);
  if (families.includes('jsonb'))
    out.push({ name: '_cast', def: OPERATORS._cast, family: 'jsonb' });
  for (const family of families) {
    for (const [name, def] of Object.entries(table) as Array<[OperatorName, OperatorDef]>) {
      if (name === '_cast' || !def.families.includes(family)) continue;
      out.push({ name, def, family });
    }
  }
  return out;
}

/** An operator's description for a family. */
export function describe(def: OperatorDef, family: OperatorFamily): string | null {
  const d = def.description;
  return d === null || typeof d === 'string' ? d : (d[family] ?? null);
}

/** The Postgres type of an operator's value on a column of `columnType` (its elements for a list). */
export const valueTypeOf = (def: OperatorDef | undefined, columnType: string): string =>
  def?.valueType ?? columnType;

/** An operator's value is a list (`_in`, `_has_keys_any`, `_ancestor_any`, …). */
export const takesList = (def: OperatorDef | undefined): boolean =>
  def?.arg.k === 'column_list' || def?.arg.k === 'scalar_list';
