/**
 * The metadata API (`/v1/metadata`), the legacy query API (`/v1/query`) and the schema API
 * (`/v2/query`): the operations the conformance setups, the hasura CLI and admins use. Every
 * change works on a copy of the metadata document; after the whole request (a `bulk` is one
 * request) the result is checked against the database, stored in hdb_catalog and swapped in.
 */
import { getCatalogState, query, setCatalogState, sql, type SQL } from '@streamsync/database';
import { QErr } from '../errors.ts';
import { introspectDatabase, qualifiedKey } from '../introspection/catalog.ts';
import type { FunctionMeta, Metadata, SourceMeta, TableMeta } from '../metadata/types.ts';
import { emptyMetadata, normalizeName, sameName } from '../metadata/types.ts';
import { buildSourceInfo } from '../schema/source.ts';
import { runSql, type RunSqlArgs } from './run-sql.ts';
import type { Engine } from '../server.ts';

export type Endpoint = 'v1/metadata' | 'v1/query' | 'v2/query';

interface OpContext {
  engine: Engine;
  draft: Metadata;
  changed: boolean;
  /** the catalog must be re-read before validating (after run_sql) */
  dbChanged: boolean;
}

type Args = Record<string, unknown>;

const bad = (code: QErr['code'], message: string, path: Array<string | number> = []) =>
  new QErr(code, message, 400, path);

function source(ctx: OpContext, name?: unknown): SourceMeta {
  const n = typeof name === 'string' ? name : 'default';
  const s = ctx.draft.sources.find((x) => x.name === n);
  if (!s) throw bad('not-exists', `source with name "${n}" does not exist`);
  return s;
}

function tableArg(args: Args): { schema: string; name: string } {
  if (args.table !== undefined) return normalizeName(args.table);
  if (typeof args.name === 'string')
    return { schema: typeof args.schema === 'string' ? args.schema : 'public', name: args.name };
  throw bad('parse-failed', 'key "table" not found', ['args']);
}

function findTable(ctx: OpContext, args: Args): TableMeta {
  const qn = tableArg(args);
  const src = source(ctx, args.source);
  const t = src.tables.find((x) => sameName(x.table, qn));
  if (!t) throw bad('not-exists', `table "${displayName(qn)}" does not exist`, ['args', 'table']);
  return t;
}

const displayName = (qn: { schema: string; name: string }) =>
  qn.schema === 'public' ? qn.name : `${qn.schema}.${qn.name}`;

function ensureArray<T>(t: TableMeta, key: string): T[] {
  if (!Array.isArray(t[key])) t[key] = [];
  return t[key] as T[];
}

const success = { message: 'success' };

/** Strip the type prefix the metadata API uses for Postgres sources. */
function opName(type: string): string {
  return type.startsWith('pg_') ? type.slice(3) : type;
}

export async function runApiRequest(
  engine: Engine,
  endpoint: Endpoint,
  body: unknown,
): Promise<unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw bad('parse-failed', 'expected an object', []);
  const ctx: OpContext = {
    engine,
    draft: structuredClone(engine.state.metadata),
    changed: false,
    dbChanged: false,
  };
  const result = await runOp(ctx, endpoint, body as Args, []);
  if (ctx.changed || ctx.dbChanged) await commit(ctx);
  return result;
}

async function runOp(
  ctx: OpContext,
  endpoint: Endpoint,
  body: Args,
  path: Array<string | number>,
): Promise<unknown> {
  const type = body.type;
  if (typeof type !== 'string') throw bad('parse-failed', `key "type" not found`, path);
  // `track_table: {args: "author"}` names the table directly
  const args = (typeof body.args === 'string' ? { table: body.args } : (body.args ?? {})) as Args;
  const at = (e: unknown) => {
    if (e instanceof QErr) e.path = e.path.length ? [...path, ...e.path] : [...path, 'args'];
    throw e;
  };
  if (type === 'bulk' || type === 'concurrent_bulk') {
    if (!Array.isArray(body.args))
      throw bad('parse-failed', 'expected an array of queries', [...path, 'args']);
    const out: unknown[] = [];
    for (let i = 0; i < body.args.length; i++) {
      out.push(await runOp(ctx, endpoint, body.args[i] as Args, [...path, 'args', i]));
    }
    return out;
  }
  if (
    endpoint === 'v2/query' &&
    !['run_sql', 'bulk', 'select', 'insert', 'update', 'delete', 'count'].includes(opName(type))
  ) {
    throw bad('parse-failed', `unknown query type: ${type}`, path);
  }
  try {
    return await dispatch(ctx, opName(type), args, body);
  } catch (e) {
    return at(e);
  }
}

async function dispatch(ctx: OpContext, type: string, args: Args, body: Args): Promise<unknown> {
  const engine = ctx.engine;
  switch (type) {
    case 'run_sql': {
      const r = await runSql(engine.pool, args as unknown as RunSqlArgs);
      ctx.dbChanged = true;
      return r;
    }
    case 'export_metadata': {
      const md = ctx.draft;
      if (body.version === 2)
        return { resource_version: engine.state.resourceVersion, metadata: md };
      return md;
    }
    case 'replace_metadata': {
      const isV2 =
        body.version === 2 || (args.metadata !== undefined && args.version === undefined);
      const md = (isV2 ? args.metadata : args) as Metadata;
      ctx.draft = normalizeMetadata(md);
      ctx.changed = true;
      if (isV2) {
        const catalog = await introspectDatabase(engine.pool);
        const info = buildSourceInfo(ctx.draft, catalog);
        const inconsistent = info.inconsistencies.map((i) => ({
          definition: i.definition,
          name: i.name,
          reason: i.reason,
          type: i.type,
        }));
        if (inconsistent.length && args.allow_inconsistent_metadata !== true) {
          throw new QErr(
            'unexpected',
            'cannot continue due to inconsistent metadata',
            400,
            [],
            inconsistent,
          );
        }
        return { is_consistent: inconsistent.length === 0, inconsistent_objects: inconsistent };
      }
      return success;
    }
    case 'clear_metadata': {
      const fresh = emptyMetadata();
      const old = ctx.draft.sources.find((s) => s.name === 'default');
      if (old) fresh.sources[0]!.configuration = old.configuration;
      ctx.draft = fresh;
      ctx.changed = true;
      return success;
    }
    case 'reload_metadata': {
      ctx.dbChanged = true;
      const inc = engine.state.source.inconsistencies;
      return inc.length
        ? { is_consistent: false, message: 'success', inconsistent_objects: inc }
        : { is_consistent: true, message: 'success' };
    }
    case 'get_inconsistent_metadata': {
      const inc = engine.state.source.inconsistencies.map((i) => ({
        definition: i.definition,
        name: i.name,
        reason: i.reason,
        type: i.type,
      }));
      return { is_consistent: inc.length === 0, inconsistent_objects: inc };
    }
    case 'drop_inconsistent_metadata':
      ctx.dbChanged = true;
      return success;
    case 'get_catalog_state':
      return getCatalogState(engine.metadataPool);
    case 'set_catalog_state': {
      const t = args.type;
      if (t !== 'cli' && t !== 'console')
        throw bad('parse-failed', 'expected "cli" or "console" for key "type"', ['args', 'type']);
      await setCatalogState(engine.metadataPool, t, args.state ?? {});
      return success;
    }
    case 'track_table':
    case 'add_existing_table_or_view': {
      const qn = tableArg(args);
      const src = source(ctx, args.source);
      if (src.tables.some((t) => sameName(t.table, qn))) {
        throw bad('already-tracked', `view/table already tracked: "${displayName(qn)}"`);
      }
      const catalog = await introspectDatabase(engine.pool);
      if (!catalog.tables.has(qualifiedKey(qn)))
        throw bad('not-exists', `no such table/view exists in source: "${displayName(qn)}"`);
      const entry: TableMeta = { table: qn };
      if (args.configuration)
        entry.configuration = args.configuration as TableMeta['configuration'];
      if (args.is_enum) entry.is_enum = true;
      src.tables.push(entry);
      ctx.changed = true;
      return success;
    }
    case 'untrack_table': {
      const t = findTable(ctx, args);
      const src = source(ctx, args.source);
      src.tables = src.tables.filter((x) => x !== t);
      dropDependents(src, t.table);
      ctx.changed = true;
      return success;
    }
    case 'set_table_customization': {
      const t = findTable(ctx, args);
      t.configuration = (args.configuration ?? {}) as TableMeta['configuration'];
      ctx.changed = true;
      return success;
    }
    case 'set_table_custom_fields': {
      const t = findTable(ctx, args);
      t.configuration = {
        ...(t.configuration ?? {}),
        custom_root_fields: (args.custom_root_fields ?? {}) as Record<string, string>,
        custom_column_names: (args.custom_column_names ?? {}) as Record<string, string>,
      };
      ctx.changed = true;
      return success;
    }
    case 'set_table_is_enum': {
      const t = findTable(ctx, args);
      t.is_enum = args.is_enum === true;
      ctx.changed = true;
      return success;
    }
    case 'create_object_relationship':
    case 'create_array_relationship': {
      const t = findTable(ctx, args);
      const kind = type === 'create_object_relationship' ? 'object' : 'array';
      const using = args.using as Record<string, unknown> | undefined;
      if (!using || typeof using !== 'object')
        throw bad('parse-failed', 'key "using" not found', ['args']);
      if (kind === 'array' && 'foreign_key_constraint_on' in using) {
        const fk = using.foreign_key_constraint_on;
        if (!fk || typeof fk !== 'object' || Array.isArray(fk)) {
          throw bad('parse-failed', 'Expecting object { table, columns }.', [
            'args',
            'using',
            'foreign_key_constraint_on',
          ]);
        }
      }
      const name = String(args.name);
      if (
        [...(t.object_relationships ?? []), ...(t.array_relationships ?? [])].some(
          (r) => r.name === name,
        )
      ) {
        throw bad(
          'already-exists',
          `relationship "${name}" already exists on table "${displayName(t.table)}"`,
        );
      }
      const rel: Args = { name, using };
      if (args.comment !== undefined) rel.comment = args.comment;
      ensureArray<Args>(t, kind === 'object' ? 'object_relationships' : 'array_relationships').push(
        rel,
      );
      ctx.changed = true;
      await validateObject(ctx, (i) =>
        i.name.includes(`relationship ${name} of table ${t.table.schema}.${t.table.name} `),
      );
      return success;
    }
    case 'drop_relationship': {
      const t = findTable(ctx, args);
      const name = String(args.relationship ?? args.name);
      const before = (t.object_relationships?.length ?? 0) + (t.array_relationships?.length ?? 0);
      if (t.object_relationships)
        t.object_relationships = t.object_relationships.filter((r) => r.name !== name);
      if (t.array_relationships)
        t.array_relationships = t.array_relationships.filter((r) => r.name !== name);
      if (before === (t.object_relationships?.length ?? 0) + (t.array_relationships?.length ?? 0)) {
        throw bad('not-exists', `relationship "${name}" does not exist`);
      }
      ctx.changed = true;
      return success;
    }
    case 'rename_relationship': {
      const t = findTable(ctx, args);
      for (const r of [...(t.object_relationships ?? []), ...(t.array_relationships ?? [])]) {
        if (r.name === args.name) r.name = String(args.new_name);
      }
      ctx.changed = true;
      return success;
    }
    case 'set_relationship_comment': {
      const t = findTable(ctx, args);
      for (const r of [...(t.object_relationships ?? []), ...(t.array_relationships ?? [])]) {
        if (r.name === args.relationship) r.comment = (args.comment as string | null) ?? null;
      }
      ctx.changed = true;
      return success;
    }
    case 'create_select_permission':
    case 'create_insert_permission':
    case 'create_update_permission':
    case 'create_delete_permission': {
      const kind = type.slice('create_'.length, -'_permission'.length);
      const t = findTable(ctx, args);
      const role = String(args.role);
      const list = ensureArray<{ role: string; permission: unknown; comment?: unknown }>(
        t,
        `${kind}_permissions`,
      );
      if (list.some((p) => p.role === role)) {
        throw bad(
          'already-exists',
          `${kind} permission already defined on table "${displayName(t.table)}" with role "${role}"`,
        );
      }
      const entry: { role: string; permission: unknown; comment?: unknown } = {
        role,
        permission: args.permission ?? {},
      };
      if (args.comment !== undefined) entry.comment = args.comment;
      list.push(entry);
      ctx.changed = true;
      if (kind === 'select')
        await validateObject(
          ctx,
          (i) =>
            i.name ===
            `permission ${t.table.schema}.${t.table.name}.${role}.select in source default`,
        );
      return success;
    }
    case 'drop_select_permission':
    case 'drop_insert_permission':
    case 'drop_update_permission':
    case 'drop_delete_permission': {
      const kind = type.slice('drop_'.length, -'_permission'.length);
      const t = findTable(ctx, args);
      const key = `${kind}_permissions`;
      const list = (t[key] as Array<{ role: string }> | undefined) ?? [];
      if (!list.some((p) => p.role === args.role)) {
        throw bad(
          'not-exists',
          `permission of type "${kind}" for role "${String(args.role)}" does not exist on table "${displayName(t.table)}"`,
        );
      }
      t[key] = list.filter((p) => p.role !== args.role);
      ctx.changed = true;
      return success;
    }
    case 'add_computed_field': {
      const t = findTable(ctx, args);
      const list = ensureArray<Args>(t, 'computed_fields');
      const name = String(args.name);
      if (list.some((c) => c.name === name))
        throw bad('already-exists', `computed field "${name}" already exists`);
      const def = { ...(args.definition as Args) };
      def.function = normalizeName(def.function, 'function');
      const entry: Args = { name, definition: def };
      if (args.comment !== undefined) entry.comment = args.comment;
      list.push(entry);
      ctx.changed = true;
      await validateObject(ctx, (i) =>
        i.name.startsWith(`computed field ${name} of table ${t.table.schema}.${t.table.name} `),
      );
      return success;
    }
    case 'drop_computed_field': {
      const t = findTable(ctx, args);
      t.computed_fields = (t.computed_fields ?? []).filter((c) => c.name !== args.name);
      ctx.changed = true;
      return success;
    }
    case 'track_function':
    case 'add_function': {
      const src = source(ctx, args.source);
      const fq =
        args.function !== undefined ? normalizeName(args.function, 'function') : tableArg(args);
      const list = (src.functions ??= []);
      if (list.some((f) => sameName(f.function, fq)))
        throw bad('already-tracked', `function already tracked: "${displayName(fq)}"`);
      const entry: FunctionMeta = { function: fq };
      if (args.configuration)
        entry.configuration = args.configuration as FunctionMeta['configuration'];
      if (args.comment !== undefined) entry.comment = args.comment as string;
      list.push(entry);
      ctx.changed = true;
      await validateObject(
        ctx,
        (i) => i.name === `function ${fq.schema}.${fq.name} in source default`,
      );
      return success;
    }
    case 'untrack_function': {
      const src = source(ctx, args.source);
      const fq =
        args.function !== undefined ? normalizeName(args.function, 'function') : tableArg(args);
      src.functions = (src.functions ?? []).filter((f) => !sameName(f.function, fq));
      ctx.changed = true;
      return success;
    }
    case 'create_function_permission': {
      const src = source(ctx, args.source);
      const fq = normalizeName(args.function, 'function');
      const f = (src.functions ?? []).find((x) => sameName(x.function, fq));
      if (!f) throw bad('not-exists', `function "${displayName(fq)}" is not tracked`);
      (f.permissions ??= []).push({ role: String(args.role) });
      ctx.changed = true;
      return success;
    }
    case 'insert':
      return v1Insert(ctx, args);
    case 'add_source':
    case 'update_source':
      return success;
    default:
      throw bad('not-supported', `unsupported operation: ${type}`);
  }
}

function normalizeMetadata(md: Metadata): Metadata {
  if (!md || typeof md !== 'object' || !Array.isArray(md.sources)) {
    // v2-style (version 2, flat `tables`) metadata: put it into the default source
    const legacy = md as unknown as { tables?: TableMeta[]; functions?: FunctionMeta[] };
    const fresh = emptyMetadata();
    fresh.sources[0]!.tables = (legacy?.tables ?? []).map((t) => ({
      ...t,
      table: normalizeName(t.table),
    }));
    return fresh;
  }
  return {
    ...md,
    version: 3,
    sources: md.sources.map((s) => ({
      ...s,
      tables: (s.tables ?? []).map((t) => ({ ...t, table: normalizeName(t.table) })),
      ...(s.functions
        ? {
            functions: s.functions.map((f) => ({
              ...f,
              function: normalizeName(f.function, 'function'),
            })),
          }
        : {}),
    })),
  };
}

/** Remove everything in a source that refers to a table that is no longer tracked. */
function dropDependents(src: SourceMeta, qn: { schema: string; name: string }): void {
  const points = (using: unknown): boolean => {
    const u = using as Record<string, unknown>;
    const mc = u.manual_configuration as { remote_table?: unknown } | undefined;
    if (mc?.remote_table) return sameName(normalizeName(mc.remote_table), qn);
    const fk = u.foreign_key_constraint_on as { table?: unknown } | undefined;
    if (fk && typeof fk === 'object' && !Array.isArray(fk) && fk.table)
      return sameName(normalizeName(fk.table), qn);
    return false;
  };
  for (const t of src.tables) {
    if (t.object_relationships)
      t.object_relationships = t.object_relationships.filter((r) => !points(r.using));
    if (t.array_relationships)
      t.array_relationships = t.array_relationships.filter((r) => !points(r.using));
  }
}

async function validateObject(
  ctx: OpContext,
  isMine: (i: { name: string; reason: string }) => boolean,
): Promise<void> {
  const catalog = await introspectDatabase(ctx.engine.pool);
  const info = buildSourceInfo(ctx.draft, catalog);
  const mine = info.inconsistencies.find(isMine);
  if (mine) throw bad('constraint-error', mine.reason.replace(/^Inconsistent object: /, ''));
}

/**
 * After SQL ran or metadata changed: drop what no longer resolves (tables, relationships,
 * computed fields, permissions, functions whose database objects are gone), as Hasura does after
 * run_sql, then store and swap in the new state.
 */
async function commit(ctx: OpContext): Promise<void> {
  const engine = ctx.engine;
  const catalog = await introspectDatabase(engine.pool);
  if (ctx.dbChanged) purgeDropped(ctx.draft, catalog);
  await engine.applyMetadata(ctx.draft, catalog, ctx.changed || ctx.dbChanged);
}

function purgeDropped(md: Metadata, catalog: Awaited<ReturnType<typeof introspectDatabase>>): void {
  for (const src of md.sources) {
    const gone = src.tables.filter(
      (t) => !catalog.tables.has(qualifiedKey(normalizeName(t.table))),
    );
    src.tables = src.tables.filter((t) => !gone.includes(t));
    for (const g of gone) dropDependents(src, normalizeName(g.table));
    if (src.functions)
      src.functions = src.functions.filter((f) =>
        catalog.functions.has(qualifiedKey(normalizeName(f.function, 'function'))),
      );
    for (const t of src.tables) {
      const pg = catalog.tables.get(qualifiedKey(normalizeName(t.table)))!;
      const cols = new Set(pg.columns.map((c) => c.name));
      if (t.computed_fields) {
        t.computed_fields = t.computed_fields.filter((c) =>
          catalog.functions.has(qualifiedKey(normalizeName(c.definition.function, 'function'))),
        );
      }
      for (const key of [
        'select_permissions',
        'insert_permissions',
        'update_permissions',
        'delete_permissions',
      ] as const) {
        const list = t[key] as Array<{ permission: { columns?: unknown } }> | undefined;
        if (!list) continue;
        t[key] = list.filter(
          (p) =>
            !Array.isArray(p.permission.columns) ||
            (p.permission.columns as string[]).every((c) => cols.has(c)),
        ) as never;
      }
    }
  }
}

/** The v1 DML `insert` the conformance values_setup files use. */
async function v1Insert(ctx: OpContext, args: Args): Promise<unknown> {
  const qn = tableArg(args);
  const catalog = ctx.engine.state.catalog.tables.has(qualifiedKey(qn))
    ? ctx.engine.state.catalog
    : await introspectDatabase(ctx.engine.pool);
  const table = catalog.tables.get(qualifiedKey(qn));
  if (!table) throw bad('not-exists', `table "${displayName(qn)}" does not exist`);
  const objects = (Array.isArray(args.objects) ? args.objects : []) as Array<
    Record<string, unknown>
  >;
  let affected = 0;
  for (const obj of objects) {
    const cols = Object.keys(obj);
    for (const c of cols)
      if (!table.columns.some((x) => x.name === c))
        throw bad('not-exists', `column "${c}" does not exist`);
    const vals: SQL[] = cols.map((c) => {
      const col = table.columns.find((x) => x.name === c)!;
      const v = obj[c];
      const value = v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v);
      return sql`${sql.value(value)}::${sql.type(castable(col.formatted))}`;
    });
    const stmt = cols.length
      ? sql`INSERT INTO ${sql.ident(qn.schema, qn.name)} (${sql.join(
          cols.map((c) => sql.ident(c)),
          ', ',
        )}) VALUES (${sql.join(vals, ', ')})`
      : sql`INSERT INTO ${sql.ident(qn.schema, qn.name)} DEFAULT VALUES`;
    try {
      const r = await query(ctx.engine.pool, stmt);
      affected += r.rowCount ?? 0;
    } catch (e) {
      const err = e as { code?: string; message?: string };
      throw new QErr(
        err.code?.startsWith('23') ? 'constraint-violation' : 'postgres-error',
        err.message ?? 'insert failed',
        400,
      );
    }
  }
  return { affected_rows: affected };
}

function castable(t: string): string {
  return t.replace(/\(\d+(?:,\s*\d+)?\)/g, '');
}
