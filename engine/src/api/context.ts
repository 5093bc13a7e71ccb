/**
 * What every metadata/query API operation works with: the parts of the running engine it uses
 * (ApiRuntime, provided by server.ts), a draft of the metadata that
 * the request changes (stored only if the whole request succeeds), the database catalog as the
 * request sees it, and Hasura's helpers for arguments, names and errors.
 */
import type pg from 'pg';
import type { PoolClient } from 'pg';
import { QErr } from '../errors.ts';
import { introspectDatabase, readEnumTableRows, type DbCatalog } from '../introspection/catalog.ts';
import { resolveActions } from '../actions/definitions.ts';
import type { Metadata, SourceMeta, TableMeta } from '../metadata/types.ts';
import { enumTableNames, normalizeName, sameName } from '../metadata/types.ts';
import { buildSourceInfo } from '../schema/build-source.ts';
import { buildRoleSchema } from '../schema/build.ts';
import { collectionInconsistencies } from '../schema/validate-document.ts';
import { collectionsOf } from '../metadata/collections.ts';
import type { Inconsistency, SourceInfo } from '../schema/source.ts';
import type { EngineState } from '../execute/state.ts';
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
  /** Store (when `persist`) and swap in new metadata, checked against `catalog`. */
  applyMetadata(metadata: Metadata, catalog?: DbCatalog, persist?: boolean): Promise<void>;
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
  /** the catalog the request sees (re-read after DDL) */
  catalog: DbCatalog;
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

/** The catalog as this request sees it (re-read once after run_sql changed the database). */
export async function catalogOf(ctx: OpContext): Promise<DbCatalog> {
  if (ctx.catalogStale) {
    // enum tables keep the rows read by the last build, unless this request reloads them
    const carried = ctx.reloadEnumRows ? undefined : ctx.engine.state.catalog.enumTableRows;
    ctx.catalog = await introspectDatabase(ctx.engine.pool, {
      tables: enumTableNames(ctx.draft),
      carried,
    });
    ctx.catalogStale = false;
  }
  // the draft may have marked another table is_enum since the catalog was read
  await readEnumTableRows(ctx.engine.pool, ctx.catalog, enumTableNames(ctx.draft));
  return ctx.catalog;
}

export async function draftInfo(ctx: OpContext): Promise<SourceInfo> {
  const info = buildSourceInfo(ctx.draft, await catalogOf(ctx));
  // actions that do not resolve are inconsistent objects of the draft too
  resolveActions(ctx.draft, info);
  return info;
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
  const before = new Set(ctx.engine.state.source.inconsistencies.map((i) => i.name));
  const info = await draftInfo(ctx);
  const fresh = info.inconsistencies.filter((i) => !before.has(i.name) && !i.informational);
  fresh.push(...newStoredQueryProblems(ctx, info));
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
function newStoredQueryProblems(ctx: OpContext, info: SourceInfo): Inconsistency[] {
  if (!collectionsOf(ctx.draft).length) return [];
  const state = ctx.engine.state;
  const before = new Set(
    collectionInconsistencies(state.metadata, state.schemaFor('admin')).map((i) => i.name),
  );
  const schemaOpts = { stringifyNumeric: state.opts.stringifyNumeric, backendOnly: false };
  const admin = buildRoleSchema(info, 'admin', schemaOpts, state.opts.extensions);
  return collectionInconsistencies(ctx.draft, admin).filter((i) => !before.has(i.name));
}

/** After a change that removes schema (untrack_table): collection queries must still hold. */
export async function checkStoredQueries(ctx: OpContext): Promise<void> {
  ctx.changed = true;
  const fresh = newStoredQueryProblems(ctx, await draftInfo(ctx));
  if (fresh.length)
    throw new QErr(
      'unexpected',
      'cannot continue due to newly found inconsistent metadata',
      500,
      [],
      fresh.map(asInconsistentObject),
    );
}
