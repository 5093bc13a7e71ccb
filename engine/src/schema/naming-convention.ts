/**
 * Hasura's naming conventions (Data.Text.Casing, Hasura.RQL.Types.SourceCustomization): how a
 * source spells the names it generates.
 *
 * - `hasura-default`: snake_case, the names of the reference (`author_local_by_pk`,
 *   `author_local_bool_exp`, `order_by`, `asc_nulls_first`).
 * - `graphql-default`: root fields and field names camelCase (`authorLocalByPk`, `orderBy`,
 *   `affectedRows`, `_isNull`), type names PascalCase (`AuthorLocalBoolExp`, `OrderBy`), enum
 *   values UPPER CASE (`ASC_NULLS_FIRST`, the rows of an enum table).
 *
 * A generated name is an identifier: a list of words, each either given by the user (a custom
 * name, a prefix) or generated (a table name split at `_`, `by`, `pk`…). The conventions join the
 * words; camel and Pascal case change the first letter of each word except that a user-given
 * first word is kept as it is (`custom_name: authorDetails` stays `authorDetails`; with the
 * prefix `Test` the root field is `TestAuthorLocalQuery`). Custom root field and column names are
 * whole names and never converted.
 *
 * Which convention a source has: its `customization.naming_convention`, else
 * `HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION` — and only when the experimental feature
 * `naming_convention` is on; without it every source is `hasura-default` (Hasura ignores the
 * setting). The schema builder asks the source's `Naming` for every name it generates.
 */

export type NamingConvention = 'hasura-default' | 'graphql-default';

export const NAMING_CONVENTIONS: readonly NamingConvention[] = [
  'hasura-default',
  'graphql-default',
];

/** The engine's settings that decide a source's convention (config.ts reads them). */
export interface NamingSettings {
  /** HASURA_GRAPHQL_EXPERIMENTAL_FEATURES includes `naming_convention` */
  enabled: boolean;
  /** HASURA_GRAPHQL_DEFAULT_NAMING_CONVENTION (default `hasura-default`) */
  defaultConvention: NamingConvention;
}

export const HASURA_NAMING: NamingSettings = {
  enabled: false,
  defaultConvention: 'hasura-default',
};

/** Hasura's message for a value that names no convention (metadata and environment alike). */
export const NAMING_CONVENTION_ERROR =
  'naming_convention can either be "hasura-default" or "graphql-default"';

export function isNamingConvention(x: unknown): x is NamingConvention {
  return x === 'hasura-default' || x === 'graphql-default';
}

/** The convention of a source with this `customization.naming_convention` (Hasura's getNamingCase). */
export function sourceConvention(setting: unknown, settings: NamingSettings): NamingConvention {
  if (!settings.enabled) return 'hasura-default';
  return isNamingConvention(setting) ? setting : settings.defaultConvention;
}

/** One word of an identifier; `custom` when the user gave it. */
export interface Word {
  text: string;
  custom: boolean;
}

export type Ident = readonly Word[];

/**
 * Split at `_` (Hasura's fromSnake): a leading underscore stays with the first word, so
 * `_hello_world` is `_hello`, `world`.
 */
export function fromSnake(s: string): string[] {
  const parts = s.split('_');
  if (parts.length > 1 && parts[0] === '') return [`_${parts[1]}`, ...parts.slice(2)];
  return parts;
}

/** A generated identifier from a snake_case text (`author_local` → author, local). */
export const generated = (snake: string): Ident =>
  fromSnake(snake).map((text) => ({ text, custom: false }));

/** A user-given name, one word kept as it is. */
export const custom = (name: string): Ident => [{ text: name, custom: true }];

const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** Hasura's transformNameWith: a result that is no GraphQL name leaves the name as it was. */
function transformName(name: string, f: (s: string) => string): string {
  const out = f(name);
  return GRAPHQL_NAME.test(out) ? out : name;
}

/** Joined as Hasura's transformPrefixAndSuffixAndConcat: a custom first word is not changed. */
function join(ident: Ident, first: (s: string) => string, rest: (s: string) => string): string {
  return ident
    .map((w, i) => (i === 0 ? (w.custom ? w.text : first(w.text)) : rest(w.text)))
    .join('');
}

export const toSnake = (ident: Ident): string => ident.map((w) => w.text).join('_');
export const toCamel = (ident: Ident): string => join(ident, lowerFirst, upperFirst);
export const toPascal = (ident: Ident): string => join(ident, upperFirst, upperFirst);

/** snakeToCamel / snakeToPascal of Hasura, on a whole name. */
const snakeToCamel = (s: string): string => {
  const [x = '', ...xs] = fromSnake(s);
  return lowerFirst(x) + xs.map(upperFirst).join('');
};
const snakeToPascal = (s: string): string => fromSnake(s).map(upperFirst).join('');

/** The names a source generates, in its convention. */
export class Naming {
  readonly graphql: boolean;

  constructor(readonly convention: NamingConvention) {
    this.graphql = convention === 'graphql-default';
  }

  /** A field or argument name from an identifier (applyFieldNameCaseIdentifier). */
  fieldOf(ident: Ident): string {
    return this.graphql ? toCamel(ident) : toSnake(ident);
  }

  /** A type name from an identifier (applyTypeNameCaseIdentifier). */
  typeOf(ident: Ident): string {
    return this.graphql ? toPascal(ident) : toSnake(ident);
  }

  /**
   * A fixed field or argument name of Hasura's (`order_by`, `affected_rows`, `_is_null`,
   * `stddev_pop`): its words are generated, so graphql-default camel-cases them.
   */
  field(snake: string): string {
    return this.fieldOf(generated(snake));
  }

  /** A whole name converted as applyFieldNameCaseCust does (a column, `<rel>_aggregate`). */
  fieldName(name: string): string {
    return this.graphql ? transformName(name, snakeToCamel) : name;
  }

  /** A whole type name converted as applyTypeNameCaseCust does (`String_comparison_exp`). */
  typeName(name: string): string {
    return this.graphql ? transformName(name, snakeToPascal) : name;
  }

  /** An enum value Hasura generates or reads from an enum table (applyEnumValueCase). */
  enumValue(value: string): string {
    return this.graphql ? transformName(value, (s) => s.toUpperCase()) : value;
  }

  /** A type name of a table: its identifier followed by generated words (`bool_exp`). */
  tableType(table: Ident, suffix = ''): string {
    return this.typeOf(suffix ? [...table, ...generated(suffix)] : table);
  }

  /** A root field name of a table: `before` + the table + `after` (`insert`, `by_pk`). */
  tableField(table: Ident, before = '', after = ''): string {
    return this.fieldOf([
      ...(before ? generated(before) : []),
      ...table,
      ...(after ? generated(after) : []),
    ]);
  }

  /**
   * A source's `root_fields` or `type_names` prefix and suffix around a generated name
   * (applyPrefixSuffix): in graphql-default the words after the first start upper case, the
   * first (the prefix, or the name without one) is kept as it is.
   */
  customized(name: string, prefix: string, suffix: string): string {
    if (!this.graphql) return `${prefix}${name}${suffix}`;
    const words = [prefix, name, suffix].filter((w) => w !== '');
    return words.map((w, i) => (i === 0 ? w : upperFirst(w))).join('');
  }
}

export const HASURA_DEFAULT = new Naming('hasura-default');
