/**
 * Managing metadata as a whole (Hasura/RQL/DDL/Metadata.hs): export (v1 and v2), replace (v1,
 * and v2 with `allow_inconsistent_metadata`), reload, clear, the inconsistent objects (get and
 * drop), and the catalog state the CLI and console keep (`get_catalog_state` /
 * `set_catalog_state`, stored in hdb_catalog.hdb_version).
 */
import { getCatalogState, setCatalogState } from '@streamsync/database';
import { dropInconsistentActions } from '../actions/definitions.ts';
import { jsonKind, QErr } from '../errors.ts';
import type { FunctionMeta, Metadata, TableMeta } from '../metadata/types.ts';
import { emptyMetadata, normalizeName } from '../metadata/types.ts';
import { parseApiLimits } from '../limits/index.ts';
import { isNamingConvention, NAMING_CONVENTION_ERROR } from '../schema/naming-convention.ts';
import { checkAllowlistEntries } from './collections.ts';
import { checkRoleCycles } from './inherited-roles.ts';
import { inheritedRolesOf, setInheritedRoles } from '../metadata/inherited-roles.ts';
import { allowlistOf } from '../metadata/collections.ts';
import {
  asInconsistentObject,
  bad,
  draftInfo,
  success,
  type Args,
  type OpContext,
} from './context.ts';

/** Cron triggers made with `include_in_metadata: false` live in the metadata but are not exported. */
const includedInMetadata = (t: unknown) =>
  (t as { include_in_metadata?: unknown }).include_in_metadata !== false;

export function exportMetadata(ctx: OpContext, version: number): unknown {
  let md: Metadata = ctx.draft;
  if (Array.isArray(md.cron_triggers) && !md.cron_triggers.every(includedInMetadata)) {
    md = { ...md, cron_triggers: md.cron_triggers.filter(includedInMetadata) };
    if (!(md.cron_triggers as unknown[]).length) delete md.cron_triggers;
  }
  if (version === 2) return { resource_version: ctx.engine.state.resourceVersion, metadata: md };
  return md;
}

/** Metadata as given to replace_metadata, checked for shape and brought to the v3 form. */
export function parseMetadata(md: unknown, path: Array<string | number>): Metadata {
  if (!md || typeof md !== 'object' || Array.isArray(md))
    throw bad('parse-failed', `expected Object, but encountered ${jsonKind(md)}`, path);
  const m = md as Record<string, unknown>;
  if (!Array.isArray(m.sources)) {
    // v2-style (version 2, flat `tables`): put it into the default source
    if (m.version === 3) throw bad('parse-failed', 'key "sources" not found', path);
    const fresh = emptyMetadata();
    const tables = Array.isArray(m.tables) ? (m.tables as TableMeta[]) : [];
    fresh.sources[0]!.tables = tables.map((t, i) => ({
      ...t,
      table: tableName(t.table, [...path, 'tables', i]),
    }));
    const functions = Array.isArray(m.functions) ? (m.functions as unknown[]) : [];
    if (functions.length) {
      fresh.sources[0]!.functions = functions.map((f) => {
        const o = (f ?? {}) as Record<string, unknown>;
        return 'function' in o
          ? ({ ...o, function: normalizeName(o.function, 'function') } as FunctionMeta)
          : { function: normalizeName(o, 'function') };
      });
    }
    // actions and custom types sit at the top level in both versions
    for (const key of ['actions', 'custom_types'])
      if (m[key] !== undefined && m[key] !== null) fresh[key] = m[key];
    return fresh;
  }
  return {
    ...(m as Metadata),
    version: 3,
    sources: m.sources.map((s, i) => {
      if (!s || typeof s !== 'object')
        throw bad('parse-failed', `expected Object, but encountered ${jsonKind(s)}`, [
          ...path,
          'sources',
          i,
        ]);
      const src = s as Record<string, unknown>;
      if (typeof src.name !== 'string')
        throw bad('parse-failed', 'key "name" not found', [...path, 'sources', i]);
      const convention = (src.customization as { naming_convention?: unknown } | undefined)
        ?.naming_convention;
      if (convention !== undefined && convention !== null && !isNamingConvention(convention))
        throw bad('parse-failed', NAMING_CONVENTION_ERROR, [
          ...path,
          'sources',
          i,
          'customization',
          'naming_convention',
        ]);
      const tables = (Array.isArray(src.tables) ? src.tables : []) as TableMeta[];
      const functions = Array.isArray(src.functions)
        ? (src.functions as FunctionMeta[])
        : undefined;
      return {
        ...src,
        name: src.name,
        kind: typeof src.kind === 'string' ? src.kind : 'postgres',
        configuration: (src.configuration as Record<string, unknown>) ?? {},
        tables: tables.map((t, j) => ({
          ...t,
          table: tableName(t?.table, [...path, 'sources', i, 'tables', j]),
        })),
        ...(functions
          ? {
              functions: functions.map((f) => ({
                ...f,
                function: normalizeName(f.function, 'function'),
              })),
            }
          : {}),
      };
    }),
  };
}

function tableName(x: unknown, path: Array<string | number>) {
  try {
    return normalizeName(x);
  } catch {
    throw bad('parse-failed', 'key "table" not found', path);
  }
}

export async function replaceMetadata(
  ctx: OpContext,
  version: number,
  args: Args,
): Promise<unknown> {
  const v2 = version === 2;
  const md = parseMetadata(v2 ? args.metadata : args, v2 ? ['metadata'] : []);
  // as Hasura does, cron triggers that are not part of exported metadata survive a replace
  const kept = (Array.isArray(ctx.draft.cron_triggers) ? ctx.draft.cron_triggers : []).filter(
    (t) =>
      !includedInMetadata(t) &&
      !(Array.isArray(md.cron_triggers) ? md.cron_triggers : []).some(
        (n) => (n as { name?: unknown }).name === (t as { name?: unknown }).name,
      ),
  );
  if (kept.length)
    md.cron_triggers = [...(Array.isArray(md.cron_triggers) ? md.cron_triggers : []), ...kept];
  checkAllowlistEntries(allowlistOf(md));
  checkRoleCycles(md);
  if (md.api_limits !== undefined)
    md.api_limits = parseApiLimits(md.api_limits, [...(v2 ? ['metadata'] : []), 'api_limits']);
  ctx.draft = md;
  // its sources may name other databases: read every catalog again
  ctx.catalogStale = true;
  ctx.engine.events?.scheduledChanged();
  ctx.changed = true;
  const info = await draftInfo(ctx);
  const inconsistent = info.inconsistencies.map(asInconsistentObject);
  const refused = info.inconsistencies.some((i) => !i.informational);
  if (refused && !(v2 && args.allow_inconsistent_metadata === true)) {
    throw new QErr(
      'unexpected',
      'cannot continue due to inconsistent metadata',
      400,
      [],
      inconsistent,
    );
  }
  if (!v2) return success;
  return { is_consistent: inconsistent.length === 0, inconsistent_objects: inconsistent };
}

export async function reloadMetadata(ctx: OpContext, args: Args): Promise<unknown> {
  if (args.recreate_event_triggers === true) ctx.recreateEventTriggers = true;
  const stored = await ctx.engine.store.load();
  ctx.draft = stored.metadata;
  ctx.catalogStale = true;
  ctx.reloadEnumRows = true;
  ctx.changed = true;
  const info = await draftInfo(ctx);
  const inc = info.inconsistencies.map(asInconsistentObject);
  return inc.length
    ? { is_consistent: false, message: 'success', inconsistent_objects: inc }
    : { is_consistent: true, message: 'success' };
}

export function clearMetadata(ctx: OpContext): unknown {
  const fresh = emptyMetadata();
  const old = ctx.draft.sources.find((s) => s.name === 'default');
  if (old) fresh.sources[0]!.configuration = old.configuration;
  ctx.draft = fresh;
  ctx.changed = true;
  return success;
}

export function getInconsistentMetadata(ctx: OpContext): unknown {
  const inc = ctx.engine.state.source.inconsistencies.map(asInconsistentObject);
  return { is_consistent: inc.length === 0, inconsistent_objects: inc };
}

/** Remove every inconsistent object from the metadata (by identity of its definition). */
export async function dropInconsistentMetadata(ctx: OpContext): Promise<unknown> {
  const info = await draftInfo(ctx);
  const gone = new Set<unknown>(info.inconsistencies.map((i) => i.definition));
  if (gone.size) {
    for (const src of ctx.draft.sources) {
      src.tables = src.tables.filter((t) => !gone.has(t));
      for (const t of src.tables) {
        for (const key of [
          'object_relationships',
          'array_relationships',
          'computed_fields',
          'select_permissions',
          'insert_permissions',
          'update_permissions',
          'delete_permissions',
        ]) {
          const list = t[key];
          if (Array.isArray(list)) t[key] = list.filter((x) => !gone.has(x));
        }
      }
      if (src.functions) src.functions = src.functions.filter((f) => !gone.has(f));
    }
    // inherited roles whose parents no permission names
    setInheritedRoles(
      ctx.draft,
      inheritedRolesOf(ctx.draft).filter((r) => !gone.has(r)),
    );
  }
  dropInconsistentActions(ctx.draft, await draftInfo(ctx));
  ctx.changed = true;
  return success;
}

export async function getCatalog(ctx: OpContext): Promise<unknown> {
  return getCatalogState(ctx.engine.metadataPool);
}

export async function setCatalog(ctx: OpContext, args: Args): Promise<unknown> {
  const t = args.type;
  if (t !== 'cli' && t !== 'console')
    throw bad('parse-failed', 'expected "cli" or "console" for key "type"', ['type']);
  await setCatalogState(ctx.engine.metadataPool, t, args.state ?? {});
  return success;
}
