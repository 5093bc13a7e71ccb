/**
 * The resolved source: metadata joined with the introspected database. Every tracked table gets
 * its GraphQL names, columns with their GraphQL scalars, relationships with their column mappings,
 * computed fields and permissions. Metadata objects that do not resolve (a table or column that
 * is gone) are reported as inconsistencies and left out, as Hasura does.
 */
import type {
  DbCatalog,
  PgColumn,
  PgEnumRow,
  PgFunction,
  PgTable,
  QualifiedName,
} from '../introspection/catalog.ts';
import { qualifiedKey } from '../introspection/catalog.ts';
import type {
  ArrayRelUsing,
  BoolExpJson,
  FunctionMeta,
  Metadata,
  ObjectRelUsing,
  SelectPermission,
  TableMeta,
} from '../metadata/types.ts';
import { normalizeName } from '../metadata/types.ts';
import { graphqlScalarFor } from './scalars.ts';
import {
  custom,
  fromSnake,
  HASURA_NAMING,
  Naming,
  sourceConvention,
  type Ident,
  type NamingSettings,
} from './naming-convention.ts';

export interface ColumnInfo {
  name: string;
  gqlName: string;
  pg: PgColumn;
  /** GraphQL scalar name (Int, String, timestamptz, _text, …) */
  scalar: string;
  /** the key of the enum table whose enum types the column (enum tables) */
  enumTable?: string;
  nullable: boolean;
  description: string | null;
}

export interface RelInfo {
  name: string;
  kind: 'object' | 'array';
  target: string; // table key
  /** [local column, remote column] */
  mapping: Array<[string, string]>;
  /** An object relationship through a non-null FK of this table is non-null in the schema. */
  nonNull: boolean;
  comment: string | null;
}

export interface ComputedFieldInfo {
  name: string;
  fn: PgFunction;
  tableArgIndex: number;
  sessionArgIndex: number | null;
  comment: string | null;
  explicitComment: boolean;
  returns:
    | { kind: 'scalar'; scalar: string; pgType: string }
    | { kind: 'table'; table: string; set: boolean };
}

export interface SelectPermInfo {
  columns: Set<string>;
  computedFields: Set<string>;
  filter: BoolExpJson;
  /**
   * An inherited role's columns and scalar computed fields that it may read on some of its rows
   * only: each with the condition (the OR of the filters of the parents that grant it) under
   * which its value is shown; on other rows it is null. Absent: readable on every row.
   */
  cellFilters?: Map<string, BoolExpJson>;
  limit: number | null;
  allowAggregations: boolean;
  queryRootFields: Set<string> | null;
  subscriptionRootFields: Set<string> | null;
}

export interface RootFieldNames {
  select: string;
  selectByPk: string;
  selectAggregate: string;
  selectStream: string;
  comments: {
    select?: string | null;
    selectByPk?: string | null;
    selectAggregate?: string | null;
    selectStream?: string | null;
  };
}

export interface TableInfo {
  key: string;
  /** the name of the source the table is in (every statement about it runs on that source) */
  source: string;
  qn: QualifiedName;
  pg: PgTable;
  meta: TableMeta;
  /**
   * The table's name as words: custom_name (one user-given word), or the words of <table> in
   * public, <schema>_<table> elsewhere; every name generated for the table starts from it.
   */
  ident: Ident;
  /** The source's naming convention (naming-convention.ts). */
  naming: Naming;
  /** The table's object type name: `ident` in the source's convention. */
  gqlName: string;
  columns: ColumnInfo[];
  columnsByName: Map<string, ColumnInfo>;
  objectRels: RelInfo[];
  arrayRels: RelInfo[];
  computedFields: ComputedFieldInfo[];
  selectPerms: Map<string, SelectPermInfo>;
  /** Raw permission entries of the other kinds, kept for mutations (issue 5). */
  otherPerms: Record<'insert' | 'update' | 'delete', Map<string, Record<string, unknown>>>;
  rootFields: RootFieldNames;
  description: string | null;
  /** the description was set (possibly to empty) in metadata */
  explicitDescription: boolean;
}

export interface FunctionInfo {
  key: string;
  /** the name of the source the function is in */
  source: string;
  qn: QualifiedName;
  fn: PgFunction;
  meta: FunctionMeta;
  gqlName: string;
  returnTable: string;
  sessionArgIndex: number | null;
  exposedAs: 'query' | 'mutation';
  rootFields: { fn: string; agg: string };
  description: string | null;
  /** roles granted explicitly (Hasura infers from the return table's select permission by default) */
  permissions: Set<string>;
}

export interface Inconsistency {
  type: string;
  name: string;
  reason: string;
  definition: unknown;
  /**
   * Reported, but no metadata change is refused for it (Hasura's ConflictingInheritedPermission:
   * it names no metadata object, the role just goes without the permission).
   */
  informational?: boolean;
}

/** The GraphQL enum of a valid enum table: `<table>_enum`, one value per row. */
export interface EnumTableType {
  name: string;
  table: string;
  /** `name` in the source's convention, `value` the row's key (what Postgres stores) */
  values: Array<{ name: string; description: string | null; value: string }>;
}

/**
 * A source's `customization` (Hasura's SourceCustomization): its root fields under a namespace
 * field and/or with a prefix and suffix, its type names with a prefix and suffix or mapped.
 */
export interface SourceCustomization {
  namespace: string | null;
  fieldPrefix: string;
  fieldSuffix: string;
  typePrefix: string;
  typeSuffix: string;
  typeMapping: Record<string, string>;
}

export interface SourceInfo {
  name: string;
  /** how the names the source generates are spelled (naming-convention.ts) */
  naming: Naming;
  customization: SourceCustomization;
  tables: Map<string, TableInfo>;
  /** GraphQL enum name → the enum table it is read from */
  enumTypes: Map<string, EnumTableType>;
  functions: Map<string, FunctionInfo>;
  catalog: DbCatalog;
  inconsistencies: Inconsistency[];
  roles: Set<string>;
}

/** The source served when no name is given: `default`, else the first (a metadata without it). */
export function servedSourceName(metadata: Metadata): string {
  return (
    (metadata.sources.find((s) => s.name === 'default') ?? metadata.sources[0])?.name ?? 'default'
  );
}

function customizationString(x: unknown): string {
  return typeof x === 'string' ? x : '';
}

export function sourceCustomization(c: unknown): SourceCustomization {
  const o = (c && typeof c === 'object' ? c : {}) as Record<string, unknown>;
  const rf = (o.root_fields && typeof o.root_fields === 'object' ? o.root_fields : {}) as Record<
    string,
    unknown
  >;
  const tn = (o.type_names && typeof o.type_names === 'object' ? o.type_names : {}) as Record<
    string,
    unknown
  >;
  const mapping = tn.mapping && typeof tn.mapping === 'object' ? tn.mapping : {};
  return {
    namespace: typeof rf.namespace === 'string' && rf.namespace ? rf.namespace : null,
    fieldPrefix: customizationString(rf.prefix),
    fieldSuffix: customizationString(rf.suffix),
    typePrefix: customizationString(tn.prefix),
    typeSuffix: customizationString(tn.suffix),
    typeMapping: mapping as Record<string, string>,
  };
}

function rootName(
  custom: unknown,
  fallback: string,
): { name: string; comment: string | null | undefined } {
  if (typeof custom === 'string' && custom) return { name: custom, comment: undefined };
  if (custom && typeof custom === 'object') {
    const c = custom as { name?: string | null; comment?: string | null };
    return { name: c.name || fallback, comment: c.comment === '' ? null : c.comment };
  }
  return { name: fallback, comment: undefined };
}

export function defaultTableGqlName(qn: QualifiedName): string {
  return qn.schema === 'public' ? qn.name : `${qn.schema}_${qn.name}`;
}

/** A table's or function's name as words (Hasura's getIdentifierQualifiedObject). */
export function qualifiedIdent(qn: QualifiedName, customName?: string | null): Ident {
  if (customName) return custom(customName);
  const words =
    qn.schema === 'public' ? fromSnake(qn.name) : [...fromSnake(qn.schema), ...fromSnake(qn.name)];
  return words.map((text) => ({ text, custom: false }));
}

function relMappingFromUsing(
  kind: 'object' | 'array',
  using: ObjectRelUsing | ArrayRelUsing,
  table: PgTable,
  catalog: DbCatalog,
): { target: QualifiedName; mapping: Array<[string, string]>; viaLocalFk: boolean } {
  if ('manual_configuration' in using) {
    const mc = using.manual_configuration;
    return {
      target: normalizeName(mc.remote_table),
      mapping: Object.entries(mc.column_mapping),
      viaLocalFk: false,
    };
  }
  const fk = (using as { foreign_key_constraint_on: unknown }).foreign_key_constraint_on;
  if (kind === 'object' && (typeof fk === 'string' || Array.isArray(fk))) {
    const cols = typeof fk === 'string' ? [fk] : (fk as string[]);
    const c = table.foreignKeys.find((f) => sameSet(Object.keys(f.columns), cols));
    if (!c) throw new Error(`no foreign key constraint exists on the given column(s)`);
    return { target: c.ref, mapping: Object.entries(c.columns), viaLocalFk: true };
  }
  const spec = fk as { table?: unknown; column?: unknown; columns?: unknown };
  if (kind === 'object' && !spec.table) {
    const cols = toArr(spec.columns ?? spec.column);
    const c = table.foreignKeys.find((f) => sameSet(Object.keys(f.columns), cols));
    if (!c) throw new Error(`no foreign key constraint exists on the given column(s)`);
    return { target: c.ref, mapping: Object.entries(c.columns), viaLocalFk: true };
  }
  const remote = normalizeName(spec.table);
  const remoteTable = catalog.tables.get(qualifiedKey(remote));
  if (!remoteTable) throw new Error(`table "${remote.name}" does not exist`);
  const cols = toArr(spec.columns ?? spec.column);
  const c = remoteTable.foreignKeys.find(
    (f) =>
      f.ref.schema === table.schema &&
      f.ref.name === table.name &&
      sameSet(Object.keys(f.columns), cols),
  );
  if (!c) throw new Error(`no foreign key constraint exists on the given column(s)`);
  // remote fk columns → our columns; mapping is local → remote
  return {
    target: remote,
    mapping: Object.entries(c.columns).map(([r, l]) => [l, r]),
    viaLocalFk: false,
  };
}

const toArr = (x: unknown): string[] =>
  Array.isArray(x) ? x.map(String) : typeof x === 'string' ? [x] : [];
const sameSet = (a: string[], b: string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

function emptyToNull(s: string | null | undefined): string | null {
  return s === undefined || s === null || s === '' ? null : s;
}

/**
 * The metadata resolved against the catalog, before its checks (those are in permission-checks.ts
 * and events/validate.ts, which read this model; build-source.ts runs both).
 */
export function resolveSource(
  metadata: Metadata,
  catalog: DbCatalog,
  sourceName: string = servedSourceName(metadata),
  namingSettings: NamingSettings = HASURA_NAMING,
): SourceInfo {
  const source = metadata.sources.find((s) => s.name === sourceName);
  const naming = new Naming(
    sourceConvention(source?.customization?.naming_convention, namingSettings),
  );
  const info: SourceInfo = {
    name: sourceName,
    naming,
    customization: sourceCustomization(source?.customization),
    tables: new Map(),
    enumTypes: new Map(),
    functions: new Map(),
    catalog,
    inconsistencies: [],
    roles: new Set(),
  };
  if (!source) return info;
  const srcName = info.name;

  // pass 1: tables and columns
  for (const tm of source.tables) {
    const qn = normalizeName(tm.table);
    const key = qualifiedKey(qn);
    const pg = catalog.tables.get(key);
    if (!pg) {
      info.inconsistencies.push({
        type: 'table',
        name: `table ${qn.schema}.${qn.name} in source ${srcName}`,
        reason: `Inconsistent object: no such table/view exists in source: "${qn.schema}.${qn.name}"`,
        definition: tm,
      });
      continue;
    }
    const cfg = tm.configuration ?? {};
    const ident = qualifiedIdent(qn, cfg.custom_name);
    const gqlName = naming.tableType(ident);
    const columnConfig = cfg.column_config ?? {};
    const legacyNames = cfg.custom_column_names ?? {};
    const columns: ColumnInfo[] = pg.columns.map((c) => {
      const cc = columnConfig[c.name];
      const comment = cc && 'comment' in cc ? emptyToNull(cc.comment) : c.comment;
      return {
        name: c.name,
        gqlName: cc?.custom_name || legacyNames[c.name] || naming.fieldName(c.name),
        pg: c,
        scalar: graphqlScalarFor(c),
        nullable: c.nullable,
        description: comment,
      };
    });
    const crf = cfg.custom_root_fields ?? {};
    const sel = rootName(crf.select, naming.tableField(ident));
    const pk = rootName(crf.select_by_pk, naming.tableField(ident, '', 'by_pk'));
    const agg = rootName(crf.select_aggregate, naming.tableField(ident, '', 'aggregate'));
    const stream = rootName(crf.select_stream, naming.tableField(ident, '', 'stream'));
    const tableComment = cfg.comment !== undefined ? emptyToNull(cfg.comment) : pg.comment;
    info.tables.set(key, {
      key,
      source: srcName,
      qn,
      pg,
      meta: tm,
      ident,
      naming,
      gqlName,
      columns,
      columnsByName: new Map(columns.map((c) => [c.name, c])),
      objectRels: [],
      arrayRels: [],
      computedFields: [],
      selectPerms: new Map(),
      otherPerms: { insert: new Map(), update: new Map(), delete: new Map() },
      rootFields: {
        select: sel.name,
        selectByPk: pk.name,
        selectAggregate: agg.name,
        selectStream: stream.name,
        comments: {
          select: sel.comment,
          selectByPk: pk.comment,
          selectAggregate: agg.comment,
          selectStream: stream.comment,
        },
      },
      description: tableComment,
      explicitDescription: cfg.comment !== undefined && cfg.comment !== null,
    });
  }

  resolveEnumTables(info, catalog);

  // pass 2: relationships, computed fields, permissions
  for (const t of info.tables.values()) {
    const tm = t.meta;
    for (const [kind, rels] of [
      ['object', tm.object_relationships ?? []],
      ['array', tm.array_relationships ?? []],
    ] as const) {
      for (const r of rels) {
        try {
          const { target, mapping, viaLocalFk } = relMappingFromUsing(kind, r.using, t.pg, catalog);
          const targetInfo = info.tables.get(qualifiedKey(target));
          if (!targetInfo) throw new Error(`table "${target.name}" is not tracked`);
          for (const [l, rc] of mapping) {
            if (!t.columnsByName.has(l)) throw new Error(`column "${l}" does not exist`);
            if (!targetInfo.columnsByName.has(rc)) throw new Error(`column "${rc}" does not exist`);
          }
          const nonNull =
            kind === 'object' &&
            viaLocalFk &&
            mapping.every(([l]) => !t.columnsByName.get(l)!.nullable);
          const rel: RelInfo = {
            name: r.name,
            kind,
            target: targetInfo.key,
            mapping,
            nonNull,
            comment: r.comment ?? null,
          };
          (kind === 'object' ? t.objectRels : t.arrayRels).push(rel);
        } catch (e) {
          info.inconsistencies.push({
            type: `${kind}_relation`,
            name: `${kind === 'object' ? 'object' : 'array'} relationship ${r.name} of table ${t.qn.schema}.${t.qn.name} in source ${srcName}`,
            reason: `Inconsistent object: in table "${t.qn.schema}.${t.qn.name}": in relationship "${r.name}": ${(e as Error).message}`,
            definition: r,
          });
        }
      }
    }
    for (const cf of tm.computed_fields ?? []) {
      try {
        t.computedFields.push(resolveComputedField(cf, t, info, catalog));
      } catch (e) {
        info.inconsistencies.push({
          type: 'computed_field',
          name: `computed field ${cf.name} of table ${t.qn.schema}.${t.qn.name} in source ${srcName}`,
          reason: `Inconsistent object: in table "${t.qn.schema}.${t.qn.name}": in computed field "${cf.name}": ${(e as Error).message}`,
          definition: cf,
        });
      }
    }
  }
  for (const t of info.tables.values()) {
    for (const p of t.meta.select_permissions ?? []) {
      info.roles.add(p.role);
      const perm: SelectPermission = p.permission;
      const cols = perm.columns === '*' ? t.columns.map((c) => c.name) : (perm.columns ?? []);
      const bad = cols.find((c) => !t.columnsByName.has(c));
      if (bad) {
        info.inconsistencies.push({
          type: 'select_permission',
          name: `select_permission ${p.role} in table ${t.qn.schema}.${t.qn.name} in source ${srcName}`,
          reason: `Inconsistent object: in table "${t.qn.schema}.${t.qn.name}": in permission for role "${p.role}": column "${bad}" does not exist`,
          definition: p,
        });
        continue;
      }
      t.selectPerms.set(p.role, {
        columns: new Set(cols),
        computedFields: new Set(
          (perm.computed_fields ?? []).filter((n) => t.computedFields.some((c) => c.name === n)),
        ),
        filter: perm.filter ?? {},
        limit: perm.limit ?? null,
        allowAggregations: perm.allow_aggregations ?? false,
        queryRootFields: perm.query_root_fields ? new Set(perm.query_root_fields) : null,
        subscriptionRootFields: perm.subscription_root_fields
          ? new Set(perm.subscription_root_fields)
          : null,
      });
    }
    for (const kind of ['insert', 'update', 'delete'] as const) {
      for (const p of t.meta[`${kind}_permissions`] ?? []) {
        info.roles.add(p.role);
        t.otherPerms[kind].set(p.role, p.permission);
      }
    }
  }

  for (const fm of source.functions ?? []) {
    const qn = normalizeName(fm.function, 'function');
    const key = qualifiedKey(qn);
    const candidates = catalog.functions.get(key) ?? [];
    // Hasura names functions of `public` unqualified
    const shown = qn.schema === 'public' ? qn.name : `${qn.schema}.${qn.name}`;
    const fail = (reason: string) =>
      info.inconsistencies.push({
        type: 'function',
        name: `function ${shown} in source ${srcName}`,
        reason: `Inconsistent object: in function "${shown}": ${reason}`,
        // Hasura's definition of a function object is its qualified name
        definition: { schema: qn.schema, name: qn.name },
      });
    if (candidates.length === 0) {
      fail(`no such function exists in source: "${qn.schema}.${qn.name}"`);
      continue;
    }
    if (candidates.length > 1) {
      fail('function is overloaded. Overloaded functions are not supported');
      continue;
    }
    const fn = candidates[0]!;
    const ret = info.tables.get(qualifiedKey(fn.returnType));
    // a function returning one row of a table (not SETOF) is tracked too: its field is one object
    if (!ret) {
      fail(
        `the function "${shown}" cannot be tracked because the function does not return a "SETOF" table`,
      );
      continue;
    }
    const cfg = fm.configuration ?? {};
    if (cfg.exposed_as === 'mutation' && fn.volatility !== 'VOLATILE') {
      fail(
        `the function "${shown}" cannot be tracked because the function was requested to be exposed as a mutation, but is not marked VOLATILE. Maybe the function was given the wrong volatility when it was defined?`,
      );
      continue;
    }
    const sessionArg = cfg.session_argument ?? null;
    const sessionArgIndex = sessionArg ? fn.args.findIndex((a) => a.name === sessionArg) : -1;
    const exposedAs = cfg.exposed_as ?? (fn.volatility === 'VOLATILE' ? 'mutation' : 'query');
    const gqlName = cfg.custom_name || naming.fieldName(defaultTableGqlName(qn));
    info.functions.set(key, {
      key,
      source: srcName,
      qn,
      fn,
      meta: fm,
      gqlName,
      returnTable: ret.key,
      sessionArgIndex: sessionArgIndex >= 0 ? sessionArgIndex : null,
      exposedAs,
      rootFields: {
        fn: cfg.custom_root_fields?.function || gqlName,
        agg:
          cfg.custom_root_fields?.function_aggregate ||
          (cfg.custom_name
            ? `${cfg.custom_name}_aggregate`
            : naming.fieldName(`${defaultTableGqlName(qn)}_aggregate`)),
      },
      description: fm.comment !== undefined && fm.comment !== null ? fm.comment : fn.comment,
      permissions: new Set((fm.permissions ?? []).map((p) => p.role)),
    });
  }
  return info;
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;
const TEXTUAL = new Set(['text', 'varchar']);
const sortedList = (names: string[]) => [...names].sort().join(', ');

/**
 * Hasura's integrity checks of an enum table (Hasura.RQL.DDL.Schema.Enum): a single-column text
 * primary key, at most one other column (the comment, textual), at least one row, every value a
 * GraphQL enum name. Each failure in Hasura's words.
 */
function enumTableProblems(pg: PgTable, rows: readonly PgEnumRow[] | undefined): string[] {
  const problems: string[] = [];
  const pkCols = pg.primaryKey?.columns ?? [];
  let key: PgColumn | undefined;
  if (pkCols.length === 0) problems.push('the table must have a primary key');
  else if (pkCols.length > 1)
    problems.push(`the table’s primary key must not span multiple columns (${sortedList(pkCols)})`);
  else {
    const c = pg.columns.find((x) => x.name === pkCols[0])!;
    if (c.type === 'text') key = c;
    else
      problems.push(
        `the table’s primary key ("${c.name}") must have type "text", not type "${c.formatted}"`,
      );
  }
  const others = pg.columns.filter((c) => c !== key);
  if (others.length === 1 && !TEXTUAL.has(others[0]!.type))
    problems.push(
      `the table’s comment column ("${others[0]!.name}") must have a textual type, not type "${others[0]!.formatted}"`,
    );
  if (others.length > 1)
    problems.push(
      `the table must have exactly one primary key and optionally one comment column, not ${others.length} columns (${sortedList(others.map((c) => c.name))})`,
    );
  if (problems.length || !rows) return problems;
  if (rows.length === 0) return ['the table must have at least one row'];
  const bad = rows.map((r) => r.value).filter((v) => !GRAPHQL_NAME.test(v));
  if (bad.length === 1) return [`the value "${bad[0]}" is not a valid GraphQL enum value name`];
  if (bad.length > 1) {
    const quoted = bad.map((v) => `"${v}"`);
    const list = `${quoted.slice(0, -1).join(', ')} and ${quoted.at(-1)}`;
    return [`the values ${list} are not valid GraphQL enum value names`];
  }
  return [];
}

/**
 * Enum tables (`is_enum`): a valid one gets its GraphQL enum, and every column whose foreign key
 * is that table's key is typed by it; an invalid one is an inconsistent table, left out as Hasura
 * does (so relationships to it are inconsistent too).
 */
function resolveEnumTables(info: SourceInfo, catalog: DbCatalog): void {
  const byTable = new Map<string, EnumTableType>();
  for (const t of [...info.tables.values()]) {
    if (t.meta.is_enum !== true) continue;
    const problems = enumTableProblems(t.pg, catalog.enumTableRows.get(t.key));
    if (problems.length) {
      const shown = t.qn.schema === 'public' ? t.qn.name : `${t.qn.schema}.${t.qn.name}`;
      const why =
        problems.length === 1
          ? `because ${problems[0]}`
          : `for the following reasons:\n${problems.map((p) => `  • ${p}\n`).join('')}`;
      info.inconsistencies.push({
        type: 'table',
        name: `table ${shown} in source ${info.name}`,
        reason: `Inconsistent object: the table "${shown}" cannot be used as an enum ${why}`,
        definition: { schema: t.qn.schema, name: t.qn.name },
      });
      info.tables.delete(t.key);
      continue;
    }
    const values = [...catalog.enumTableRows.get(t.key)!]
      .sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0))
      .map((r) => ({
        name: info.naming.enumValue(r.value),
        description: r.comment,
        value: r.value,
      }));
    // Hasura's mkEnumTableTypeName: a custom name is one user-given word before `enum`
    const type: EnumTableType = { name: t.naming.tableType(t.ident, 'enum'), table: t.key, values };
    byTable.set(t.key, type);
    info.enumTypes.set(type.name, type);
  }
  for (const t of info.tables.values()) {
    for (const fk of t.pg.foreignKeys) {
      const type = byTable.get(qualifiedKey(fk.ref));
      const cols = Object.keys(fk.columns);
      const col = cols.length === 1 ? t.columnsByName.get(cols[0]!) : undefined;
      if (type && col) {
        col.scalar = type.name;
        col.enumTable = type.table;
      }
    }
  }
}

function resolveComputedField(
  cf: NonNullable<TableMeta['computed_fields']>[number],
  t: TableInfo,
  info: SourceInfo,
  catalog: DbCatalog,
): ComputedFieldInfo {
  const fq = normalizeName(cf.definition.function, 'function');
  const candidates = catalog.functions.get(qualifiedKey(fq)) ?? [];
  if (candidates.length === 0)
    throw new Error(`no such function exists: "${fq.schema}.${fq.name}"`);
  if (candidates.length > 1)
    throw new Error('function is overloaded. Overloaded functions are not supported');
  const fn = candidates[0]!;
  const isRowArg = (a: PgFunction['args'][number]) =>
    a.type === t.pg.name && a.typeSchema === t.pg.schema;
  let tableArgIndex: number;
  if (cf.definition.table_argument) {
    tableArgIndex = fn.args.findIndex((a) => a.name === cf.definition.table_argument);
    if (tableArgIndex < 0)
      throw new Error(`table argument "${cf.definition.table_argument}" not found`);
  } else {
    tableArgIndex = fn.args.findIndex(isRowArg);
    if (tableArgIndex !== 0)
      throw new Error(
        `first argument of the function "${fq.schema}.${fq.name}" is not COMPOSITE type`,
      );
  }
  if (!isRowArg(fn.args[tableArgIndex]!)) {
    throw new Error(`the type of the table argument is not "${t.pg.schema}.${t.pg.name}"`);
  }
  let sessionArgIndex: number | null = null;
  if (cf.definition.session_argument) {
    sessionArgIndex = fn.args.findIndex((a) => a.name === cf.definition.session_argument);
    if (sessionArgIndex < 0)
      throw new Error(`session argument "${cf.definition.session_argument}" not found`);
  }
  const retTable = info.tables.get(qualifiedKey(fn.returnType));
  const returns: ComputedFieldInfo['returns'] = retTable
    ? { kind: 'table', table: retTable.key, set: fn.returnsSet }
    : {
        kind: 'scalar',
        scalar: graphqlScalarFor({ type: fn.returnType.name, category: 'base', elemType: null }),
        pgType: fn.returnType.name,
      };
  if (returns.kind === 'table' && !fn.returnsSet)
    throw new Error('function returning a single row of a table is not supported');
  if (fn.volatility === 'VOLATILE')
    throw new Error(
      `the function "${fq.schema}.${fq.name}" is of type VOLATILE; cannot be added as a computed field`,
    );
  return {
    name: cf.name,
    fn,
    tableArgIndex,
    sessionArgIndex,
    // a comment in metadata (even an empty one) wins over the function's own comment
    comment: cf.comment !== undefined && cf.comment !== null ? emptyToNull(cf.comment) : fn.comment,
    explicitComment: cf.comment !== undefined && cf.comment !== null,
    returns,
  };
}
