/**
 * The source model the engine serves: the metadata resolved against the database catalog
 * (source.ts), then checked — insert/update/delete permissions and every filter
 * (permission-checks.ts), event triggers (events/validate.ts); then the permissions of inherited
 * roles are derived from the ones that hold (inherited-roles.ts). What fails a check is recorded as
 * an inconsistent object. The checks read the model, so they run here, after it is built.
 *
 * Every Postgres source of the metadata is built so, each against its own database's catalog; the
 * inconsistent objects of all of them are one list (Hasura reports them together), which every
 * source's model shares, so the served source's `inconsistencies` are the whole metadata's.
 */
import type { DbCatalog } from '../introspection/catalog.ts';
import type { Metadata } from '../metadata/types.ts';
import { validateEventTriggers } from '../events/validate.ts';
import { applyInheritedRoles } from './inherited-roles.ts';
import { validatePermissions } from './permission-checks.ts';
import { resolveSource, servedSourceName, type Inconsistency, type SourceInfo } from './source.ts';
import type { NamingSettings } from './naming-convention.ts';

export function buildSourceInfo(
  metadata: Metadata,
  catalog: DbCatalog,
  sourceName?: string,
  inconsistencies?: Inconsistency[],
  naming?: NamingSettings,
): SourceInfo {
  const info = resolveSource(metadata, catalog, sourceName, naming);
  if (inconsistencies) {
    inconsistencies.push(...info.inconsistencies);
    info.inconsistencies = inconsistencies;
  }
  validatePermissions(info);
  // after the checks: inherited roles combine only the permissions that hold
  applyInheritedRoles(info, metadata);
  validateEventTriggers(info);
  return info;
}

/** Every source of the metadata, resolved; `served` is the one named `default` (or the first). */
export interface SourcesInfo {
  served: SourceInfo;
  /** the sources that could be read, served first, in metadata order */
  all: Map<string, SourceInfo>;
}

/**
 * Build every source. A source whose database could not be read (`unreachable`: its reason) is
 * an inconsistent `source` object and serves nothing, as in Hasura.
 */
export function buildSourcesInfo(
  metadata: Metadata,
  catalogs: ReadonlyMap<string, DbCatalog>,
  unreachable: ReadonlyMap<string, string> = new Map(),
  naming?: NamingSettings,
): SourcesInfo {
  const inconsistencies: Inconsistency[] = [];
  const servedName = servedSourceName(metadata);
  const all = new Map<string, SourceInfo>();
  const order = [
    ...metadata.sources.filter((s) => s.name === servedName),
    ...metadata.sources.filter((s) => s.name !== servedName),
  ];
  for (const s of order) {
    const why = unreachable.get(s.name);
    const catalog = catalogs.get(s.name);
    if (why !== undefined || !catalog) {
      inconsistencies.push({
        type: 'source',
        name: `source ${s.name}`,
        reason: `Inconsistent object: ${why ?? 'the source could not be read'}`,
        definition: s.name,
      });
      continue;
    }
    all.set(s.name, buildSourceInfo(metadata, catalog, s.name, inconsistencies, naming));
  }
  let served = all.get(servedName);
  if (!served) {
    // the served source is unreachable (or there is none): an empty model, still carrying the list
    served = resolveSource({ ...metadata, sources: [] }, emptyCatalog(), servedName);
    served.inconsistencies = inconsistencies;
  }
  return { served, all };
}

export function emptyCatalog(): DbCatalog {
  return {
    tables: new Map(),
    functions: new Map(),
    enums: new Map(),
    extensions: new Set(),
    enumTableRows: new Map(),
  };
}
