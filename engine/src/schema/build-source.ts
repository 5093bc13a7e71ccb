/**
 * The source model the engine serves: the metadata resolved against the database catalog
 * (source.ts), then checked — insert/update/delete permissions and every filter
 * (permission-checks.ts), event triggers (events/validate.ts). What fails a check is recorded as
 * an inconsistent object. The checks read the model, so they run here, after it is built.
 */
import type { DbCatalog } from '../introspection/catalog.ts';
import type { Metadata } from '../metadata/types.ts';
import { validateEventTriggers } from '../events/validate.ts';
import { validatePermissions } from './permission-checks.ts';
import { resolveSource, type SourceInfo } from './source.ts';

export function buildSourceInfo(metadata: Metadata, catalog: DbCatalog): SourceInfo {
  const info = resolveSource(metadata, catalog);
  validatePermissions(info);
  validateEventTriggers(info);
  return info;
}
