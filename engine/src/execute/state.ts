/**
 * The engine's live state: the metadata document, the database catalog, the resolved source, and
 * per-role schemas built on demand. A metadata change builds a new state (schemas and plans are
 * never patched in place), so requests in flight keep the state they started with.
 */
import type pg from 'pg';
import { introspectDatabase, type DbCatalog } from '../introspection/catalog.ts';
import { enumTableNames, type Metadata } from '../metadata/types.ts';
import { buildRoleSchema, type SchemaExtension } from '../schema/build.ts';
import { buildSourceInfo } from '../schema/build-source.ts';
import type { SourceInfo } from '../schema/source.ts';
import type { NamingSettings } from '../schema/naming-convention.ts';
import type { RoleSchema } from '../schema/types.ts';
import { LruCache } from '../lru-cache.ts';
import type { CachedOperation } from './plan-cache.ts';

export interface StateOptions {
  stringifyNumeric: boolean;
  /** HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS (SchemaOptions) */
  inferFunctionPermissions?: boolean;
  planCacheSize: number;
  extensions: SchemaExtension[];
  /**
   * Schema extensions made from each state's metadata and source (actions/: its custom types and
   * action fields), made when the state is built so what does not resolve is reported at once.
   */
  extensionsFor?: (metadata: Metadata, source: SourceInfo) => SchemaExtension[];
  /** how sources spell the names they generate (schema/naming-convention.ts) */
  naming?: NamingSettings;
  /** HASURA_GRAPHQL_ENABLE_ALLOWLIST: non-admin documents must be in the allow list (allowlist.ts) */
  allowlist?: boolean;
}

export class EngineState {
  private readonly schemas = new Map<string, RoleSchema>();
  readonly plans: LruCache<string, CachedOperation>;
  private readonly extensions: SchemaExtension[];

  constructor(
    readonly metadata: Metadata,
    readonly resourceVersion: number,
    readonly catalog: DbCatalog,
    readonly source: SourceInfo,
    readonly opts: StateOptions,
  ) {
    this.plans = new LruCache(opts.planCacheSize);
    this.extensions = [...opts.extensions, ...(opts.extensionsFor?.(metadata, source) ?? [])];
  }

  static async build(
    pool: pg.Pool,
    metadata: Metadata,
    resourceVersion: number,
    opts: StateOptions,
  ): Promise<EngineState> {
    const catalog = await introspectDatabase(pool, { tables: enumTableNames(metadata) });
    return EngineState.fromCatalog(metadata, resourceVersion, catalog, opts);
  }

  static fromCatalog(
    metadata: Metadata,
    resourceVersion: number,
    catalog: DbCatalog,
    opts: StateOptions,
  ): EngineState {
    return new EngineState(
      metadata,
      resourceVersion,
      catalog,
      buildSourceInfo(metadata, catalog, opts.naming),
      opts,
    );
  }

  /**
   * The schema of a role; `backendOnly` selects Hasura's Backend scenario, where backend-only
   * insert/update/delete permissions are usable too.
   */
  schemaFor(role: string, backendOnly = false, relay = false): RoleSchema {
    const key = `${role}${backendOnly ? '\u0000backend' : ''}${relay ? '\u0000relay' : ''}`;
    let s = this.schemas.get(key);
    if (!s) {
      s = buildRoleSchema(
        this.source,
        role,
        {
          stringifyNumeric: this.opts.stringifyNumeric,
          backendOnly,
          relay,
          ...(this.opts.inferFunctionPermissions === false
            ? { inferFunctionPermissions: false }
            : {}),
        },
        this.extensions,
      );
      this.schemas.set(key, s);
    }
    return s;
  }
}
