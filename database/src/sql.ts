/**
 * The one SQL builder of StreamSync. Every package that talks to Postgres (the worker, the engine,
 * the stack, the benchmarks) builds its statements here.
 *
 * A statement is a tree of nodes, written with the `sql` template tag:
 *
 *     sql`SELECT ${sql.ident('ts')} FROM ${sql.ident('public', 'readings')} WHERE id = ${sql.value(7)}`
 *
 * and turned into text exactly once, by `compile()`, which yields `{ text, values }` for
 * `pg`'s `query(text, values)`. The rules that make it safe:
 *
 * - a value only ever becomes a `$n` parameter (`sql.value`), never text;
 * - an identifier only ever goes through `quoteIdent` (`sql.ident`), the single quoting helper;
 * - interpolating anything that is not a node (a string, a number, an object) throws, so a bare
 *   value can never slip into the text;
 * - raw text exists only as the literal parts of a template, or through `sql.keyword`, which accepts
 *   nothing but a fixed vocabulary of SQL keywords, operators and type names.
 */

const NODE = Symbol('streamsync.sql.node');

/** A parameter whose value is supplied when a cached compiled statement is executed. */
export interface Placeholder {
  readonly [NODE]: 'placeholder';
  readonly key: string;
}

type Node =
  | { readonly [NODE]: 'text'; readonly text: string }
  | { readonly [NODE]: 'ident'; readonly names: readonly string[] }
  | { readonly [NODE]: 'value'; readonly value: unknown; readonly cast: string | undefined }
  | Placeholder
  | { readonly [NODE]: 'query'; readonly nodes: readonly Node[] };

/** A composable fragment of SQL. Only this module can create one. */
export type SQL = Node;

export interface Compiled {
  text: string;
  values: unknown[];
  /** Parameter positions (0-based into `values`) still waiting for a value, by placeholder key. */
  placeholders: Array<{ index: number; key: string }>;
}

export class UnsafeSqlError extends Error {
  constructor(message: string) {
    super(`[sql] ${message}`);
    this.name = 'UnsafeSqlError';
  }
}

function isNode(x: unknown): x is Node {
  return typeof x === 'object' && x !== null && NODE in x;
}

/** Double any embedded quote and wrap: the only place an identifier becomes SQL text. */
export function quoteIdent(name: string): string {
  if (typeof name !== 'string' || name.length === 0) {
    throw new UnsafeSqlError(`an identifier must be a non-empty string, got ${describe(name)}`);
  }
  if (name.includes('\0')) throw new UnsafeSqlError('an identifier cannot contain a NUL byte');
  // Postgres truncates identifiers silently at 63 bytes; two names that differ only after that
  // would alias each other, so refuse instead of guessing.
  if (Buffer.byteLength(name, 'utf8') > 63) {
    throw new UnsafeSqlError(
      `identifier longer than 63 bytes: ${JSON.stringify(name.slice(0, 80))}`,
    );
  }
  return `"${name.replace(/"/g, '""')}"`;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'an array';
  if (typeof x === 'string')
    return `the string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x)}`;
  return `a ${typeof x}`;
}

/**
 * Tagged template: literal parts are trusted SQL text (they are in our source code), every
 * interpolation must be a node. Calling it as a plain function is refused.
 */
export function sql(strings: TemplateStringsArray, ...parts: unknown[]): SQL {
  if (!Array.isArray(strings) || !('raw' in strings)) {
    throw new UnsafeSqlError('sql must be used as a template tag: sql`…`, not sql(…)');
  }
  const nodes: Node[] = [];
  strings.forEach((text, i) => {
    if (text !== '') nodes.push({ [NODE]: 'text', text });
    if (i < parts.length) {
      const part = parts[i];
      if (!isNode(part)) {
        throw new UnsafeSqlError(
          `refusing to interpolate ${describe(part)} into SQL: wrap values in sql.value(…) and names in sql.ident(…)`,
        );
      }
      nodes.push(part);
    }
  });
  return { [NODE]: 'query', nodes };
}

/** A value, always sent as a parameter. `cast` (a type name from the allow-list) adds `::type`. */
sql.value = (value: unknown, cast?: string): SQL => {
  if (value === undefined) throw new UnsafeSqlError('sql.value(undefined): pass null for SQL NULL');
  if (cast !== undefined) assertTypeName(cast);
  return { [NODE]: 'value', value, cast };
};

/** A parameter filled in at execution time (see `bindPlaceholders`), for cached plans. */
sql.placeholder = (key: string, cast?: string): SQL => {
  if (cast !== undefined) {
    assertTypeName(cast);
    return {
      [NODE]: 'query',
      nodes: [
        { [NODE]: 'placeholder', key },
        { [NODE]: 'text', text: `::${cast}` },
      ],
    };
  }
  return { [NODE]: 'placeholder', key };
};

/** A possibly schema-qualified identifier: sql.ident('public', 'readings') → "public"."readings". */
sql.ident = (...names: string[]): SQL => {
  if (names.length === 0) throw new UnsafeSqlError('sql.ident() needs at least one name');
  for (const n of names) quoteIdent(n); // validate eagerly so the error points at the caller
  return { [NODE]: 'ident', names };
};

/** Join fragments with a separator given as a template-free keyword or punctuation (', ', ' AND '). */
sql.join = (fragments: readonly SQL[], separator: string): SQL => {
  assertSeparator(separator);
  const nodes: Node[] = [];
  fragments.forEach((f, i) => {
    if (!isNode(f))
      throw new UnsafeSqlError(`sql.join: element ${i} is ${describe(f)}, not an SQL fragment`);
    if (i > 0) nodes.push({ [NODE]: 'text', text: separator });
    nodes.push(f);
  });
  return { [NODE]: 'query', nodes };
};

// A GraphQL name ([_A-Za-z][_0-9A-Za-z]*) cannot contain a quote, a backslash or a comment
// marker, so it can stand in the text as a string literal.
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * A string that is a GraphQL name (a response key, a type name) inlined as a quoted literal, so
 * compiled statements stay readable and parameter lists short. Anything else becomes a parameter,
 * exactly as `sql.value` would.
 */
sql.literal = (name: string): SQL => {
  if (typeof name === 'string' && GRAPHQL_NAME.test(name))
    return { [NODE]: 'text', text: `'${name}'` };
  return sql.value(name);
};

/** The empty fragment. */
sql.empty = { [NODE]: 'query', nodes: [] } as SQL;

const KEYWORDS = new Set([
  'ASC',
  'DESC',
  'NULLS FIRST',
  'NULLS LAST',
  'AND',
  'OR',
  'NOT',
  'TRUE',
  'FALSE',
  'NULL',
  'IS NULL',
  'IS NOT NULL',
  '=',
  '<>',
  '!=',
  '>',
  '>=',
  '<',
  '<=',
  'LIKE',
  'NOT LIKE',
  'ILIKE',
  'NOT ILIKE',
  'SIMILAR TO',
  'NOT SIMILAR TO',
  '~',
  '!~',
  '~*',
  '!~*',
  '@>',
  '<@',
  '?',
  '?|',
  '?&',
  '&&',
  '#>',
  '#>>',
  '->',
  '->>',
  '||',
  '-',
  '#-',
  '+',
  '*',
  '/',
  'IN',
  'NOT IN',
  'ANY',
  'ALL',
  'DISTINCT',
  'DISTINCT ON',
  'LIMIT',
  'OFFSET',
  'ONLY',
  'LATERAL',
  '@@',
  '@?',
  'ST_Intersects',
  'ST_Contains',
  'ST_Within',
  'ST_Equals',
  'ST_Overlaps',
  'ST_Touches',
  'ST_Crosses',
  'ST_DWithin',
  'ST_3DDWithin',
  'ST_3DIntersects',
  'ST_Distance',
  '@',
  'avg',
  'max',
  'min',
  'sum',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'var_pop',
  'var_samp',
  'variance',
  'count',
]);

/**
 * A keyword or operator from a fixed vocabulary. This is how a translator picks `ASC`/`DESC` or a
 * comparison operator chosen by user input without ever emitting user text.
 */
sql.keyword = (word: string): SQL => {
  if (!KEYWORDS.has(word))
    throw new UnsafeSqlError(`${JSON.stringify(word)} is not an allowed SQL keyword`);
  return { [NODE]: 'text', text: word };
};

// A type name as used in casts: letters, digits, spaces, underscores, dots, quotes for quoted names,
// parentheses with digits (numeric(10,2)) and array brackets. No semicolons, no comment markers.
const TYPE_NAME =
  /^(?:"[^"\0]+"|[A-Za-z_][A-Za-z0-9_ ]*)(?:\.(?:"[^"\0]+"|[A-Za-z_][A-Za-z0-9_]*))?(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])*$/;

function assertTypeName(name: string): void {
  if (typeof name !== 'string' || !TYPE_NAME.test(name) || /--|\/\*/.test(name)) {
    throw new UnsafeSqlError(`${JSON.stringify(name)} is not a valid type name for a cast`);
  }
}

/** A type name for a cast, validated: sql`${x}::${sql.type('numeric(10,2)')}`. */
sql.type = (name: string): SQL => {
  assertTypeName(name);
  return { [NODE]: 'text', text: name };
};

function assertSeparator(sep: string): void {
  if (!/^[\s,]*(?:AND|OR|UNION ALL|UNION|\|\|)?[\s,]*$/.test(sep)) {
    throw new UnsafeSqlError(`${JSON.stringify(sep)} is not an allowed separator`);
  }
}

/** Turn a fragment into `{ text, values }`, numbering parameters from $1. */
export function compile(query: SQL): Compiled {
  if (!isNode(query))
    throw new UnsafeSqlError(`compile() needs an SQL fragment, got ${describe(query)}`);
  let text = '';
  const values: unknown[] = [];
  const placeholders: Compiled['placeholders'] = [];
  const walk = (node: Node): void => {
    switch (node[NODE]) {
      case 'text':
        text += node.text;
        return;
      case 'ident':
        text += node.names.map(quoteIdent).join('.');
        return;
      case 'value':
        values.push(node.value);
        text += `$${values.length}`;
        if (node.cast) text += `::${node.cast}`;
        return;
      case 'placeholder':
        placeholders.push({ index: values.length, key: node.key });
        values.push(null);
        text += `$${values.length}`;
        return;
      case 'query':
        for (const n of node.nodes) walk(n);
        return;
    }
  };
  walk(query);
  return { text, values, placeholders };
}

/** Fill a compiled statement's placeholders; a missing key throws rather than sending NULL. */
export function bindPlaceholders(compiled: Compiled, lookup: (key: string) => unknown): unknown[] {
  if (compiled.placeholders.length === 0) return compiled.values;
  const values = compiled.values.slice();
  for (const { index, key } of compiled.placeholders) {
    const v = lookup(key);
    if (v === undefined)
      throw new UnsafeSqlError(`no value bound for placeholder ${JSON.stringify(key)}`);
    values[index] = v;
  }
  return values;
}

export { isNode as isSql };
