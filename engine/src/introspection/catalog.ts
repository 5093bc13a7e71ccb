/**
 * What the engine knows about the database: one catalog query gives every table, view and
 * function outside the system schemas, with columns (type, nullability, default, comment),
 * primary keys, unique and foreign-key constraints, and function signatures.
 */
import type { Queryable } from '@streamsync/database';
import { query, sql } from '@streamsync/database';

export interface QualifiedName {
  schema: string;
  name: string;
}

export type TypeCategory =
  'base' | 'enum' | 'composite' | 'domain' | 'array' | 'range' | 'pseudo' | 'multirange';

export interface PgColumn {
  name: string;
  /** pg_type.typname, e.g. int4, text, _text, timestamptz. */
  type: string;
  typeSchema: string;
  /** format_type(), e.g. "numeric(20,8)", used for casts. */
  formatted: string;
  category: TypeCategory;
  /** For arrays, the element's typname. */
  elemType: string | null;
  nullable: boolean;
  hasDefault: boolean;
  isIdentity: boolean;
  isGenerated: boolean;
  comment: string | null;
  position: number;
}

export interface PgForeignKey {
  name: string;
  /** local column → remote column */
  columns: Record<string, string>;
  ref: QualifiedName;
}

export interface PgTable extends QualifiedName {
  kind: 'table' | 'partitioned' | 'view' | 'materialized' | 'foreign';
  comment: string | null;
  columns: PgColumn[];
  primaryKey: { name: string; columns: string[] } | null;
  uniques: Array<{ name: string; columns: string[] }>;
  foreignKeys: PgForeignKey[];
  /** Views: whether INSERT/UPDATE/DELETE are possible. */
  insertable: boolean;
  updatable: boolean;
  deletable: boolean;
}

export interface PgFunctionArg {
  name: string | null;
  type: string;
  typeSchema: string;
  formatted: string;
  hasDefault: boolean;
}

export interface PgFunction extends QualifiedName {
  oid: number;
  comment: string | null;
  volatility: 'VOLATILE' | 'STABLE' | 'IMMUTABLE';
  returnsSet: boolean;
  returnType: QualifiedName;
  /** pg_type.typtype of the return type: 'c' composite (table row) or 'b' base, … */
  returnTypeKind: string;
  args: PgFunctionArg[];
  /** Number of leading args without default. */
  description: string;
}

export interface DbCatalog {
  tables: Map<string, PgTable>;
  functions: Map<string, PgFunction[]>;
  /** typname → category, for scalar handling */
  enums: Map<string, string[]>;
  extensions: Set<string>;
  /**
   * The rows of the tables metadata marks `is_enum` (table key → rows), read with the metadata
   * build and kept until a reload or until the table stops being an enum, as Hasura does: a row
   * inserted later shows only after `reload_metadata`.
   */
  enumTableRows: Map<string, PgEnumRow[]>;
}

/** One row of an enum table: its key and the text of its one other column (the comment). */
export interface PgEnumRow {
  value: string;
  comment: string | null;
}

export const qualifiedKey = (q: QualifiedName): string => `${q.schema}.${q.name}`;

const TYPE_CATEGORY: Record<string, TypeCategory> = {
  b: 'base',
  e: 'enum',
  c: 'composite',
  d: 'domain',
  r: 'range',
  p: 'pseudo',
  m: 'multirange',
};

const CATALOG_QUERY = sql`
WITH rels AS (
  SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind,
         obj_description(c.oid, 'pg_class') AS comment,
         pg_relation_is_updatable(c.oid::regclass, false) AS upd
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE c.relkind IN ('r','p','v','m','f')
     AND n.nspname NOT IN ('pg_catalog','information_schema','hdb_catalog','pg_toast')
     AND n.nspname NOT LIKE 'pg_temp%' AND n.nspname NOT LIKE 'pg_toast_temp%'
     AND NOT c.relispartition
)
SELECT json_build_object(
  'tables', coalesce((SELECT json_agg(json_build_object(
      'schema', r.schema, 'name', r.name, 'relkind', r.relkind, 'comment', r.comment, 'upd', r.upd,
      'columns', coalesce((SELECT json_agg(json_build_object(
          'name', a.attname, 'type', t.typname, 'typeSchema', tn.nspname,
          'formatted', format_type(a.atttypid, a.atttypmod),
          'typtype', CASE WHEN t.typcategory = 'A' THEN 'a' ELSE t.typtype::text END,
          'elemType', et.typname,
          'nullable', NOT a.attnotnull, 'hasDefault', a.atthasdef OR a.attidentity <> '',
          'isIdentity', a.attidentity <> '', 'isGenerated', a.attgenerated <> '',
          'comment', col_description(r.oid, a.attnum), 'position', a.attnum) ORDER BY a.attnum)
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid JOIN pg_namespace tn ON tn.oid = t.typnamespace
        LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
       WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'),
      'constraints', coalesce((SELECT json_agg(json_build_object(
          'name', k.conname, 'type', k.contype,
          'columns', (SELECT json_agg(a.attname ORDER BY x.i) FROM unnest(k.conkey) WITH ORDINALITY x(n, i)
                        JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = x.n),
          'refColumns', (SELECT json_agg(a.attname ORDER BY x.i) FROM unnest(k.confkey) WITH ORDINALITY x(n, i)
                        JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = x.n),
          'refSchema', rn.nspname, 'refName', rc.relname) ORDER BY k.conname)
        FROM pg_constraint k LEFT JOIN pg_class rc ON rc.oid = k.confrelid
        LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
       WHERE k.conrelid = r.oid AND k.contype IN ('p','u','f')), '[]')
    )) FROM rels r), '[]'),
  'functions', coalesce((SELECT json_agg(json_build_object(
      'oid', p.oid, 'schema', n.nspname, 'name', p.proname, 'comment', obj_description(p.oid, 'pg_proc'),
      'volatility', p.provolatile, 'returnsSet', p.proretset,
      'returnSchema', rtn.nspname, 'returnName', rt.typname, 'returnTyptype', rt.typtype,
      'nargs', p.pronargs, 'ndefaults', p.pronargdefaults,
      'argNames', coalesce(to_json(p.proargnames), '[]'::json), 'argModes', to_json(p.proargmodes),
      'argTypes', (SELECT coalesce(json_agg(json_build_object('type', t.typname, 'typeSchema', tn.nspname,
                          'formatted', format_type(t.oid, NULL)) ORDER BY x.i), '[]')
                   FROM unnest(p.proargtypes) WITH ORDINALITY x(oid, i)
                   JOIN pg_type t ON t.oid = x.oid JOIN pg_namespace tn ON tn.oid = t.typnamespace),
      'description', pg_get_function_identity_arguments(p.oid)))
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    JOIN pg_type rt ON rt.oid = p.prorettype JOIN pg_namespace rtn ON rtn.oid = rt.typnamespace
   WHERE n.nspname NOT IN ('pg_catalog','information_schema','hdb_catalog') AND p.prokind = 'f'
     AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')), '[]'),
  'enums', coalesce((SELECT json_object_agg(t.typname, (SELECT json_agg(e.enumlabel ORDER BY e.enumsortorder)
                      FROM pg_enum e WHERE e.enumtypid = t.oid))
                     FROM pg_type t WHERE t.typtype = 'e'), '{}'),
  'extensions', coalesce((SELECT json_agg(extname) FROM pg_extension), '[]')
) AS catalog`;

interface RawConstraint {
  name: string;
  type: 'p' | 'u' | 'f';
  columns: string[];
  refColumns: string[] | null;
  refSchema: string | null;
  refName: string | null;
}

export interface RawCatalog {
  tables: Array<{
    schema: string;
    name: string;
    relkind: string;
    comment: string | null;
    upd: number;
    columns: Array<Omit<PgColumn, 'category'> & { typtype: string }>;
    constraints: RawConstraint[];
  }>;
  functions: Array<{
    oid: number;
    schema: string;
    name: string;
    comment: string | null;
    volatility: 'v' | 's' | 'i';
    returnsSet: boolean;
    returnSchema: string;
    returnName: string;
    returnTyptype: string;
    nargs: number;
    ndefaults: number;
    argNames: Array<string | null> | null;
    argModes: string[] | null;
    argTypes: Array<{ type: string; typeSchema: string; formatted: string }>;
    description: string;
  }>;
  enums: Record<string, string[]>;
  extensions: string[];
}

const KIND: Record<string, PgTable['kind']> = {
  r: 'table',
  p: 'partitioned',
  v: 'view',
  m: 'materialized',
  f: 'foreign',
};

/**
 * The catalog for a metadata build: with `enums`, the rows of its enum tables too, those in
 * `carried` (read by an earlier build) kept rather than read again.
 */
export async function introspectDatabase(
  db: Queryable,
  enums?: { tables: readonly QualifiedName[]; carried?: ReadonlyMap<string, PgEnumRow[]> },
): Promise<DbCatalog> {
  const catalog = readCatalog(await rawCatalog(db));
  if (enums) {
    catalog.enumTableRows = new Map(enums.carried);
    await readEnumTableRows(db, catalog, enums.tables);
  }
  return catalog;
}

/**
 * Make `catalog.enumTableRows` hold the rows of exactly `enumTables`: rows of tables no longer
 * enums are dropped, tables not read yet are read, one query each. Only a table whose primary
 * key is one column is read (with its one other column, if it has exactly one, as the comment);
 * whether it is a valid enum is the resolver's to say (schema/source.ts).
 */
export async function readEnumTableRows(
  db: Queryable,
  catalog: DbCatalog,
  enumTables: readonly QualifiedName[],
): Promise<void> {
  const keys = new Set(enumTables.map(qualifiedKey));
  for (const k of catalog.enumTableRows.keys()) if (!keys.has(k)) catalog.enumTableRows.delete(k);
  for (const qn of enumTables) {
    const key = qualifiedKey(qn);
    const t = catalog.tables.get(key);
    if (catalog.enumTableRows.has(key) || t?.primaryKey?.columns.length !== 1) continue;
    const pk = t.primaryKey.columns[0]!;
    const others = t.columns.filter((c) => c.name !== pk);
    const comment = others.length === 1 ? sql`${sql.ident(others[0]!.name)}::text` : sql`NULL`;
    const { rows } = await query<PgEnumRow>(
      db,
      sql`SELECT ${sql.ident(pk)}::text AS value, ${comment} AS comment FROM ${sql.ident(t.schema, t.name)}`,
    );
    catalog.enumTableRows.set(key, rows);
  }
}

/** The catalog query's answer as Postgres gives it (JSON; kept as a fixture by the SQL golden tests). */
export async function rawCatalog(db: Queryable): Promise<RawCatalog> {
  const { rows } = await query<{ catalog: RawCatalog }>(db, CATALOG_QUERY);
  return rows[0]!.catalog;
}

/** The catalog query's answer → the catalog. */
export function readCatalog(raw: RawCatalog): DbCatalog {
  const tables = new Map<string, PgTable>();
  for (const t of raw.tables) {
    const pk = t.constraints.find((c) => c.type === 'p');
    const table: PgTable = {
      schema: t.schema,
      name: t.name,
      kind: KIND[t.relkind] ?? 'table',
      comment: t.comment,
      columns: t.columns.map((c) => ({
        name: c.name,
        type: c.type,
        typeSchema: c.typeSchema,
        formatted: c.formatted,
        category: c.typtype === 'a' ? 'array' : (TYPE_CATEGORY[c.typtype] ?? 'base'),
        elemType: c.elemType,
        nullable: c.nullable,
        hasDefault: c.hasDefault,
        isIdentity: c.isIdentity,
        isGenerated: c.isGenerated,
        comment: c.comment,
        position: c.position,
      })),
      primaryKey: pk ? { name: pk.name, columns: pk.columns } : null,
      uniques: t.constraints
        .filter((c) => c.type === 'u')
        .map((c) => ({ name: c.name, columns: c.columns })),
      foreignKeys: t.constraints
        .filter((c) => c.type === 'f')
        .map((c) => ({
          name: c.name,
          columns: Object.fromEntries(c.columns.map((col, i) => [col, c.refColumns![i]!])),
          ref: { schema: c.refSchema!, name: c.refName! },
        })),
      // pg_relation_is_updatable bits: 8 = INSERT, 4 = UPDATE, 16 = DELETE
      insertable: (t.upd & 8) !== 0,
      updatable: (t.upd & 4) !== 0,
      deletable: (t.upd & 16) !== 0,
    };
    tables.set(qualifiedKey(table), table);
  }
  const functions = new Map<string, PgFunction[]>();
  for (const f of raw.functions) {
    const modes = f.argModes;
    // only IN arguments are part of the call signature
    const names = f.argNames ?? [];
    const inNames = modes
      ? names.filter((_, i) => modes[i] === 'i' || modes[i] === 'b' || modes[i] === 'v')
      : names;
    const fn: PgFunction = {
      oid: f.oid,
      schema: f.schema,
      name: f.name,
      comment: f.comment,
      volatility: f.volatility === 'v' ? 'VOLATILE' : f.volatility === 's' ? 'STABLE' : 'IMMUTABLE',
      returnsSet: f.returnsSet,
      returnType: { schema: f.returnSchema, name: f.returnName },
      returnTypeKind: f.returnTyptype,
      args: f.argTypes.map((a, i) => ({
        name: inNames[i] || null,
        type: a.type,
        typeSchema: a.typeSchema,
        formatted: a.formatted,
        hasDefault: i >= f.nargs - f.ndefaults,
      })),
      description: f.description,
    };
    const key = qualifiedKey(fn);
    const list = functions.get(key) ?? [];
    list.push(fn);
    functions.set(key, list);
  }
  return {
    tables,
    functions,
    enums: new Map(Object.entries(raw.enums)),
    extensions: new Set(raw.extensions),
    enumTableRows: new Map(),
  };
}
