/**
 * The engine's live state: the metadata document, each source's database catalog and resolved
 * model, and per-role schemas built on demand. A metadata change builds a new state (schemas and
 * plans are never patched in place), so requests in flight keep the state they started with.
 */
import type pg from 'pg';
import { introspectDatabase, type DbCatalog } from '../introspection/catalog.ts';
import { enumTableNames, type Metadata } from '../metadata/types.ts';
import { buildRoleSchema, type SchemaExtension } from '../schema/build.ts';
import { buildSourcesInfo } from '../schema/build-source.ts';
import type { Inconsistency, SourceInfo } from '../schema/source.ts';
import type { RoleSchema } from '../schema/types.ts';
import type { NamingSettings } from '../schema/naming-convention.ts';
import { LruCache } from '../lru-cache.ts';
import type { CachedOperation } from './plan-cache.ts';

export interface StateOptions {
  stringifyNumeric: boolean;
  /** HASURA_GRAPHQL_INFER_FUNCTION_PERMISSIONS (SchemaOptions) */
  inferFunctionPermissions?: boolean;
  planCacheSize: number;
  /** what each source adds to a role's schema (its mutations, its streams) */
  extensions: SchemaExtension[];
  /**
   * Schema extensions made from each state's metadata and source (actions/: its custom types and
   * action fields), made when the state is built so what does not resolve is reported at once;
   * added once, after every source's part.
   */
  extensionsFor?: (metadata: Metadata, source: SourceInfo) => SchemaExtension[];
  /** how sources spell the names they generate (schema/naming-convention.ts) */
  naming?: NamingSettings;
  /** HASURA_GRAPHQL_ENABLE_ALLOWLIST: non-admin documents must be in the allow list (allowlist.ts) */
  allowlist?: boolean;
}

/** Each source's catalog, and why the sources that could not be read were not. */
export interface SourceCatalogs {
  catalogs: Map<string, DbCatalog>;
  unreachable: Map<string, string>;
}

/**
 * Read the catalog of every source of `metadata` (with its enum tables' rows; those in `carried`
 * are kept). `poolOf` gives a source's pool, or why it has none.
 */
export async function introspectSources(
  metadata: Metadata,
  poolOf: (source: string) => pg.Pool | string,
  carried?: ReadonlyMap<string, DbCatalog>,
): Promise<SourceCatalogs> {
  const catalogs = new Map<string, DbCatalog>();
  const unreachable = new Map<string, string>();
  await Promise.all(
    metadata.sources.map(async (s) => {
      const pool = poolOf(s.name);
      if (typeof pool === 'string') {
        unreachable.set(s.name, pool);
        return;
      }
      try {
        catalogs.set(
          s.name,
          await introspectDatabase(pool, {
            tables: enumTableNames(metadata, s.name),
            carried: carried?.get(s.name)?.enumTableRows,
          }),
        );
      } catch (e) {
        unreachable.set(s.name, (e as Error).message);
      }
    }),
  );
  return { catalogs, unreachable };
}

export class EngineState {
  private readonly schemas = new Map<string, RoleSchema>();
  readonly plans: LruCache<string, CachedOperation>;
  private readonly globalExtensions: SchemaExtension[];
  /** the served source (`default`, else the first) */
  readonly source: SourceInfo;
  /** every source that could be read, the served one first */
  readonly sources: Map<string, SourceInfo>;

  constructor(
    readonly metadata: Metadata,
    readonly resourceVersion: number,
    readonly catalogs: SourceCatalogs,
    opts: StateOptions,
  ) {
    this.opts = opts;
    const built = buildSourcesInfo(metadata, catalogs.catalogs, catalogs.unreachable, opts.naming);
    this.source = built.served;
    this.sources = built.all;
    this.plans = new LruCache(opts.planCacheSize);
    this.globalExtensions = opts.extensionsFor?.(metadata, this.source) ?? [];
  }

  readonly opts: StateOptions;

  /** the served source's catalog */
  get catalog(): DbCatalog {
    return this.source.catalog;
  }

  /** every inconsistent object of the metadata, whichever source it is in */
  get inconsistencies(): Inconsistency[] {
    return this.source.inconsistencies;
  }

  static async build(
    poolOf: (source: string) => pg.Pool | string,
    metadata: Metadata,
    resourceVersion: number,
    opts: StateOptions,
  ): Promise<EngineState> {
    const catalogs = await introspectSources(metadata, poolOf);
    return new EngineState(metadata, resourceVersion, catalogs, opts);
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
        [...this.sources.values()],
        role,
        {
          stringifyNumeric: this.opts.stringifyNumeric,
          backendOnly,
          relay,
          ...(this.opts.inferFunctionPermissions === false
            ? { inferFunctionPermissions: false }
            : {}),
        },
        this.opts.extensions,
        this.globalExtensions,
        this.source,
      );
      this.schemas.set(key, s);
    }
    return s;
  }
}
