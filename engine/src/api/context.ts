/**
 * What every metadata/query API operation works with: the parts of the running engine it uses
 * (ApiRuntime, provided by server.ts), a draft of the metadata that
 * the request changes (stored only if the whole request succeeds), the database catalog as the
 * request sees it, and Hasura's helpers for arguments, names and errors.
 */
import type pg from 'pg';
import type { PoolClient } from 'pg';
import { QErr } from '../errors.ts';
import { readEnumTableRows, type DbCatalog } from '../introspection/catalog.ts';
import { resolveActions } from '../actions/definitions.ts';
import type { Metadata, SourceMeta, TableMeta } from '../metadata/types.ts';
import { enumTableNames, normalizeName, sameName } from '../metadata/types.ts';
import { buildSourcesInfo, emptyCatalog, type SourcesInfo } from '../schema/build-source.ts';
import { buildRoleSchema } from '../schema/build.ts';
import { servedSourceName } from '../schema/source.ts';
import type { SourcePools } from '../sources/source-pools.ts';
import { collectionInconsistencies } from '../schema/validate-document.ts';
import { collectionsOf } from '../metadata/collections.ts';
import type { Inconsistency, SourceInfo } from '../schema/source.ts';
import { introspectSources, type EngineState, type SourceCatalogs } from '../execute/state.ts';
import type { EventsService } from '../events/service.ts';
import type { MetadataStore } from '../metadata/store.ts';
import type { EventsConfig } from '../events/config.ts';

export type Endpoint = 'v1/metadata' | 'v1/query' | 'v2/query';

export type Args = Record<string, unknown>;

/**
 * What the metadata/query API needs of the running engine. server.ts's Engine provides it; the
 * API never sees the transports, the subscriptions or the metrics.
 */
export interface ApiRuntime {
  /** the `default` source */
  readonly pool: pg.Pool;
  /** every source's pool */
  readonly sourcePools: Pick<SourcePools, 'ensure' | 'get' | 'poolOf'>;
  /** where hdb_catalog lives */
  readonly metadataPool: pg.Pool;
  readonly store: Pick<MetadataStore, 'load'>;
  /** the state in force (replaced, never patched, by a metadata change) */
  readonly state: EngineState;
  readonly config: {
    env: NodeJS.ProcessEnv;
    events: Pick<EventsConfig, 'lockLeaseSeconds'>;
    /** v1 DML answers big numbers as strings too (`--stringify-numeric-types`) */
    stringifyNumericTypes: boolean;
  };
  readonly events: Pick<EventsService, 'syncSql' | 'scheduledChanged'> | null;
  /** actions/: drop_action's `clear_data` deletes the action's stored async calls */
  readonly actions: { clearLog(action: string): Promise<void> };
  /** Store (when `persist`) and swap in new metadata, checked against the sources' `catalogs`. */
  applyMetadata(metadata: Metadata, catalogs?: SourceCatalogs, persist?: boolean): Promise<void>;
}

/** Who sent a query or metadata request: v1 DML runs with the role's permissions. */
export interface ApiSession {
  variables: Record<string, string>;
  role?: string;
  /** false: a role other than admin (only DML is allowed; permissions apply) */
  isAdmin?: boolean;
  /** backend-only insert/update/delete permissions apply (a trusted request asked for them) */
  backendOnlyPermissions?: boolean;
}

export interface OpContext {
  engine: ApiRuntime;
  endpoint: Endpoint;
  draft: Metadata;
  /** the draft differs from what is stored */
  changed: boolean;
  /** every source's catalog as the request sees them (re-read after DDL) */
  catalogs: SourceCatalogs;
  catalogStale: boolean;
  /** The caller's session (what `hasura.user` records for event triggers). */
  session?: ApiSession;
  /** reload_metadata: the enum tables' rows are read again, not carried from the served state. */
  reloadEnumRows?: boolean;
  /** reload_metadata asked for every event trigger's SQL to be written again. */
  recreateEventTriggers?: boolean;
}

/** Set `hasura.user` for the transaction, as Hasura does before every write it runs. */
export async function setSessionVariables(client: PoolClient, ctx: OpContext): Promise<void> {
  const vars = ctx.session?.variables ?? { 'x-hasura-role': 'admin' };
  await client.query('SELECT set_config($1, $2, true)', ['hasura.user', JSON.stringify(vars)]);
}

export const bad = (code: QErr['code'], message: string, path: Array<string | number> = []) =>
  new QErr(code, message, 400, path);

export const success = { message: 'success' };

/** `public.author` → `author`, `other.t` → `other.t`: Hasura's rendering of a table name. */
export const displayName = (qn: { schema: string; name: string }) =>
  qn.schema === 'public' ? qn.name : `${qn.schema}.${qn.name}`;

export function sourceOf(ctx: OpContext, name?: unknown): SourceMeta {
  const n = typeof name === 'string' ? name : 'default';
  const s = ctx.draft.sources.find((x) => x.name === n);
  if (!s) throw bad('not-exists', `source with name "${n}" does not exist`);
  return s;
}

export function tableArg(args: Args): { schema: string; name: string } {
  if (args.table !== undefined) {
    try {
      return normalizeName(args.table);
    } catch {
      throw bad('parse-failed', 'expecting a string or an object with "name" for a table', [
        'table',
      ]);
    }
  }
  if (typeof args.name === 'string')
    return { schema: typeof args.schema === 'string' ? args.schema : 'public', name: args.name };
  throw bad('parse-failed', 'key "table" not found');
}

export function findTable(ctx: OpContext, args: Args): TableMeta {
  const qn = tableArg(args);
  const src = sourceOf(ctx, args.source);
  const t = src.tables.find((x) => sameName(normalizeName(x.table), qn));
  if (!t) throw bad('not-exists', `table "${displayName(qn)}" does not exist`, ['table']);
  return t;
}

export function ensureArray<T>(t: TableMeta, key: string): T[] {
  if (!Array.isArray(t[key])) t[key] = [];
  return t[key] as T[];
}

/**
 * The catalogs of the draft's sources as this request sees them: re-read once after run_sql
 * changed a database, and read for a source the draft added since.
 */
export async function catalogsOf(ctx: OpContext): Promise<SourceCatalogs> {
  const pools = ctx.engine.sourcePools;
  const known = (n: string) => ctx.catalogs.catalogs.has(n) || ctx.catalogs.unreachable.has(n);
  const missing = ctx.draft.sources.filter((s) => !known(s.name));
  if (ctx.catalogStale || missing.length) {
    pools.ensure(ctx.draft.sources);
    // enum tables keep the rows read by the last build, unless this request reloads them
    const carried = ctx.reloadEnumRows ? undefined : ctx.engine.state.catalogs.catalogs;
    const read = ctx.catalogStale ? ctx.draft : { ...ctx.draft, sources: missing };
    const fresh = await introspectSources(read, pools.poolOf, carried);
    if (ctx.catalogStale) ctx.catalogs = fresh;
    else
      ctx.catalogs = {
        catalogs: new Map([...ctx.catalogs.catalogs, ...fresh.catalogs]),
        unreachable: new Map([...ctx.catalogs.unreachable, ...fresh.unreachable]),
      };
    ctx.catalogStale = false;
  }
  // the draft may have marked another table is_enum since the catalog was read
  for (const s of ctx.draft.sources) {
    const catalog = ctx.catalogs.catalogs.get(s.name);
    const pool = pools.get(s.name);
    if (catalog && pool) await readEnumTableRows(pool, catalog, enumTableNames(ctx.draft, s.name));
  }
  return ctx.catalogs;
}

/** A source's catalog as this request sees it (the served source's by default). */
export async function catalogOf(ctx: OpContext, source?: string): Promise<DbCatalog> {
  const catalogs = await catalogsOf(ctx);
  return catalogs.catalogs.get(source ?? servedSourceName(ctx.draft)) ?? emptyCatalog();
}

/** The pool of a source the draft names. */
export function poolOf(ctx: OpContext, source: string): pg.Pool {
  ctx.engine.sourcePools.ensure(ctx.draft.sources);
  const pool = ctx.engine.sourcePools.poolOf(source);
  if (typeof pool === 'string') throw new QErr('unexpected', pool, 500);
  return pool;
}

/** Every source of the draft, resolved and checked; actions' problems are the draft's too. */
export async function draftSources(ctx: OpContext): Promise<SourcesInfo> {
  const { catalogs, unreachable } = await catalogsOf(ctx);
  const sources = buildSourcesInfo(ctx.draft, catalogs, unreachable, ctx.engine.state.opts.naming);
  // actions that do not resolve are inconsistent objects of the draft too
  resolveActions(ctx.draft, sources.served);
  return sources;
}

/** The served source of the draft (its `inconsistencies` are every source's). */
export async function draftInfo(ctx: OpContext): Promise<SourceInfo> {
  return (await draftSources(ctx)).served;
}

export const asInconsistentObject = (i: Inconsistency) =>
  i.informational
    ? // Hasura's ConflictingInheritedPermission names the entity, not a metadata definition
      { entity: i.definition, name: i.name, reason: i.reason, type: i.type }
    : { definition: i.definition, name: i.name, reason: i.reason, type: i.type };

/**
 * After a change to the draft: an object that became inconsistent is refused with its own reason
 * (Hasura's buildSchemaCacheFor: 400 invalid-configuration); any other newly inconsistent object
 * with "cannot continue due to newly found inconsistent metadata".
 */
export async function checkChange(
  ctx: OpContext,
  objectName?: (name: string) => boolean,
): Promise<void> {
  ctx.changed = true;
  const before = new Set(ctx.engine.state.inconsistencies.map((i) => i.name));
  const sources = await draftSources(ctx);
  const info = sources.served;
  const fresh = info.inconsistencies.filter((i) => !before.has(i.name) && !i.informational);
  fresh.push(...newStoredQueryProblems(ctx, sources));
  if (!fresh.length) return;
  const mine = objectName ? fresh.filter((i) => objectName(i.name)) : [];
  if (mine.length) {
    throw new QErr(
      'invalid-configuration',
      mine.map((i) => i.reason).join(', '),
      400,
      [],
      mine.map(asInconsistentObject),
    );
  }
  // Hasura's withNewInconsistentObjsCheck: a 500
  throw new QErr(
    'unexpected',
    'cannot continue due to newly found inconsistent metadata',
    500,
    [],
    fresh.map(asInconsistentObject),
  );
}

/**
 * The collection queries that the draft's admin schema no longer serves and the one in force did
 * (checked only when there are collections: it builds the draft's admin schema).
 */
function newStoredQueryProblems(ctx: OpContext, sources: SourcesInfo): Inconsistency[] {
  if (!collectionsOf(ctx.draft).length) return [];
  const state = ctx.engine.state;
  const before = new Set(
    collectionInconsistencies(state.metadata, state.schemaFor('admin')).map((i) => i.name),
  );
  const schemaOpts = { stringifyNumeric: state.opts.stringifyNumeric, backendOnly: false };
  const admin = buildRoleSchema(
    [...sources.all.values()],
    'admin',
    schemaOpts,
    state.opts.extensions,
    [],
    sources.served,
  );
  return collectionInconsistencies(ctx.draft, admin).filter((i) => !before.has(i.name));
}

/** After a change that removes schema (untrack_table): collection queries must still hold. */
export async function checkStoredQueries(ctx: OpContext): Promise<void> {
  ctx.changed = true;
  const fresh = newStoredQueryProblems(ctx, await draftSources(ctx));
  if (fresh.length)
    throw new QErr(
      'unexpected',
      'cannot continue due to newly found inconsistent metadata',
      500,
      [],
      fresh.map(asInconsistentObject),
    );
}
