/**
 * The sources of the metadata (Hasura's `pg_add_source`, `pg_drop_source`, `pg_update_source`,
 * `rename_source`): each is `sources[i]` with its `configuration` (connection_info: the database
 * URL or `{from_env}`, pool settings) and `customization`. A change is checked like any other:
 * a source whose database cannot be read is refused with Hasura's reason, and the engine swaps in
 * the new state (a pool and a catalog per source) only when the request succeeds.
 */
import { bad, checkChange, success, type Args, type OpContext } from './context.ts';
import type { SourceMeta } from '../metadata/types.ts';

function nameArg(args: Args, key = 'name'): string {
  const n = args[key];
  if (typeof n !== 'string' || !n) throw bad('parse-failed', `key "${key}" not found`);
  return n;
}

function existing(ctx: OpContext, name: string): SourceMeta {
  const s = ctx.draft.sources.find((x) => x.name === name);
  if (!s) throw bad('not-exists', `source with name "${name}" does not exist`);
  return s;
}

const isObject = (x: unknown): x is Record<string, unknown> =>
  !!x && typeof x === 'object' && !Array.isArray(x);

export async function addSource(ctx: OpContext, args: Args): Promise<unknown> {
  const name = nameArg(args);
  if (!isObject(args.configuration)) throw bad('parse-failed', 'key "configuration" not found');
  const old = ctx.draft.sources.find((s) => s.name === name);
  if (old && args.replace_configuration !== true)
    throw bad('already-exists', `source with name "${name}" already exists`);
  const source: SourceMeta = old ?? { name, kind: 'postgres', tables: [], configuration: {} };
  source.configuration = args.configuration;
  if (isObject(args.customization)) source.customization = args.customization;
  else if (old) delete source.customization;
  if (!old) ctx.draft.sources.push(source);
  // a replaced configuration may name another database
  else ctx.catalogStale = true;
  await checkChange(ctx, (n) => n === `source ${name}`);
  return success;
}

export async function dropSource(ctx: OpContext, args: Args): Promise<unknown> {
  const name = nameArg(args);
  existing(ctx, name);
  // the source's tables, functions and their permissions and triggers go with it
  ctx.draft.sources = ctx.draft.sources.filter((s) => s.name !== name);
  await checkChange(ctx);
  return success;
}

export async function updateSource(ctx: OpContext, args: Args): Promise<unknown> {
  const name = nameArg(args);
  const source = existing(ctx, name);
  if (isObject(args.configuration)) {
    source.configuration = args.configuration;
    ctx.catalogStale = true;
  }
  if (isObject(args.customization)) source.customization = args.customization;
  await checkChange(ctx, (n) => n === `source ${name}`);
  return success;
}

export async function renameSource(ctx: OpContext, args: Args): Promise<unknown> {
  const name = nameArg(args);
  const to = nameArg(args, 'new_name');
  const source = existing(ctx, name);
  if (ctx.draft.sources.some((s) => s.name === to))
    throw bad('already-exists', `source with name "${to}" already exists`);
  source.name = to;
  // catalogs are kept by source name: read them again under the new one
  ctx.catalogStale = true;
  await checkChange(ctx);
  return success;
}
