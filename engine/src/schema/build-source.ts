/**
 * The source model the engine serves: the metadata resolved against the database catalog
 * (source.ts), then checked — insert/update/delete permissions and every filter
 * (permission-checks.ts), event triggers (events/validate.ts); then the permissions of inherited
 * roles are derived from the ones that hold (inherited-roles.ts). What fails a check is recorded as
 * an inconsistent object. The checks read the model, so they run here, after it is built.
 */
import type { DbCatalog } from '../introspection/catalog.ts';
import type { Metadata } from '../metadata/types.ts';
import { validateEventTriggers } from '../events/validate.ts';
import { applyInheritedRoles } from './inherited-roles.ts';
import { validatePermissions } from './permission-checks.ts';
import { resolveSource, type SourceInfo } from './source.ts';
import type { NamingSettings } from './naming-convention.ts';

export function buildSourceInfo(
  metadata: Metadata,
  catalog: DbCatalog,
  naming?: NamingSettings,
): SourceInfo {
  const info = resolveSource(metadata, catalog, naming);
  validatePermissions(info);
  // after the checks: inherited roles combine only the permissions that hold
  applyInheritedRoles(info, metadata);
  validateEventTriggers(info);
  return info;
}
