/**
 * Read a Hasura CLI metadata directory (config v3) into the export_metadata JSON form. `!include`
 * — as a YAML tag or as the quoted string `"!include file.yaml"` the CLI writes — is resolved
 * relative to the including file; a cycle of includes is an error. Missing optional files are
 * empty, as the CLI treats them.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { QErr, renderPath } from '../errors.ts';
import { parseApiLimits } from './api-limits.ts';
import { ActionsSdlError, mergeActionsDir } from './actions-dir.ts';
import {
  normalizeName,
  type Metadata,
  type SourceMeta,
  type TableMeta,
  type FunctionMeta,
} from './types.ts';

const INCLUDE = Symbol('include');
interface IncludeMarker {
  [INCLUDE]: string;
}

const includeTag = {
  tag: '!include',
  resolve: (value: string): IncludeMarker => ({ [INCLUDE]: value }),
};

export class MetadataLoadError extends Error {}

function readYaml(file: string, stack: string[]): unknown {
  if (stack.includes(file))
    throw new MetadataLoadError(`cyclic !include: ${[...stack, file].join(' -> ')}`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new MetadataLoadError(`cannot read metadata file ${file}`);
  }
  const doc = YAML.parse(text, {
    customTags: [includeTag],
    schema: 'core',
    uniqueKeys: false,
  }) as unknown;
  return resolveIncludes(doc, path.dirname(file), [...stack, file]);
}

function resolveIncludes(v: unknown, dir: string, stack: string[]): unknown {
  if (typeof v === 'string') {
    const m = /^!include\s+(.+)$/.exec(v.trim());
    return m ? readYaml(path.resolve(dir, m[1]!.trim()), stack) : v;
  }
  if (Array.isArray(v)) return v.map((x) => resolveIncludes(x, dir, stack));
  if (v && typeof v === 'object') {
    if (INCLUDE in v)
      return readYaml(path.resolve(dir, (v as IncludeMarker)[INCLUDE].trim()), stack);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = resolveIncludes(x, dir, stack);
    return out;
  }
  return v;
}

function optional(dir: string, file: string, fallback: unknown): unknown {
  const p = path.join(dir, file);
  return fs.existsSync(p) ? (readYaml(p, []) ?? fallback) : fallback;
}

/** Top-level files other than databases, with the export_metadata key each maps to. */
const TOP_LEVEL: Array<[file: string, key: string, empty: unknown]> = [
  ['remote_schemas.yaml', 'remote_schemas', []],
  ['query_collections.yaml', 'query_collections', []],
  ['allow_list.yaml', 'allowlist', []],
  ['cron_triggers.yaml', 'cron_triggers', []],
  ['inherited_roles.yaml', 'inherited_roles', []],
  ['rest_endpoints.yaml', 'rest_endpoints', []],
  ['network.yaml', 'network', {}],
  ['api_limits.yaml', 'api_limits', {}],
  ['graphql_schema_introspection.yaml', 'graphql_schema_introspection', {}],
  ['backend_configs.yaml', 'backend_configs', {}],
  ['opentelemetry.yaml', 'opentelemetry', {}],
];

function isEmpty(v: unknown): boolean {
  if (v == null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

export function loadMetadataDir(dir: string): Metadata {
  const version = optional(dir, 'version.yaml', { version: 3 }) as { version?: number };
  if (version.version !== 3)
    throw new MetadataLoadError(
      `unsupported metadata version ${String(version.version)} (expected 3)`,
    );
  const dbs = (optional(dir, path.join('databases', 'databases.yaml'), []) ?? []) as Array<
    Record<string, unknown>
  >;
  const sources: SourceMeta[] = dbs.map((db) => {
    const tables = ((db.tables as TableMeta[] | null) ?? []).map((t) => ({
      ...t,
      table: normalizeName(t.table),
    }));
    const functions = ((db.functions as FunctionMeta[] | null) ?? []).map((f) => ({
      ...f,
      function: normalizeName(f.function, 'function'),
    }));
    const src: SourceMeta = {
      ...db,
      name: String(db.name),
      kind: String(db.kind ?? 'postgres'),
      tables,
      configuration: (db.configuration as Record<string, unknown>) ?? {},
    };
    if (functions.length) src.functions = functions;
    else delete src.functions;
    return src;
  });
  const metadata: Metadata = { version: 3, sources };
  // actions.yaml + actions.graphql, merged as the hasura CLI does
  const sdlPath = path.join(dir, 'actions.graphql');
  let actions;
  try {
    actions = mergeActionsDir(
      (optional(dir, 'actions.yaml', {}) ?? {}) as Record<string, unknown>,
      fs.existsSync(sdlPath) ? fs.readFileSync(sdlPath, 'utf8') : '',
    );
  } catch (e) {
    if (e instanceof ActionsSdlError) throw new MetadataLoadError(e.message);
    throw e;
  }
  if (actions.actions.length) metadata.actions = actions.actions;
  const ct = actions.custom_types as Record<string, unknown[]>;
  if (Object.values(ct).some((x) => Array.isArray(x) && x.length)) metadata.custom_types = ct;
  for (const [file, key, empty] of TOP_LEVEL) {
    const v = optional(dir, file, empty);
    if (!isEmpty(v)) metadata[key] = v;
  }
  if (metadata.api_limits !== undefined) {
    try {
      metadata.api_limits = parseApiLimits(metadata.api_limits);
    } catch (e) {
      const where = e instanceof QErr ? ` at ${renderPath(e.path)}` : '';
      throw new MetadataLoadError(`api_limits.yaml: ${(e as Error).message}${where}`);
    }
  }
  return metadata;
}
