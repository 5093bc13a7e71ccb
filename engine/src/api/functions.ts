/**
 * Function and computed-field operations of the metadata API (Hasura/RQL/DDL/Schema/Function.hs,
 * ComputedField.hs): track / untrack functions, function permissions, add / drop computed fields
 * (a drop is refused while permissions use the field, unless `cascade`).
 */
import {
  collectObjects,
  dependencyError,
  dependents,
  displayQn,
  removeObjects,
} from '../metadata/dependencies.ts';
import type { FunctionMeta } from '../metadata/types.ts';
import { normalizeName, sameName } from '../metadata/types.ts';
import {
  bad,
  catalogOf,
  checkChange,
  displayName,
  ensureArray,
  findTable,
  sourceOf,
  success,
  tableArg,
  type Args,
  type OpContext,
} from './context.ts';

function functionArg(args: Args): { schema: string; name: string } {
  if (args.function !== undefined) return normalizeName(args.function, 'function');
  return tableArg(args);
}

export async function trackFunction(ctx: OpContext, args: Args): Promise<unknown> {
  const src = sourceOf(ctx, args.source);
  const fq = functionArg(args);
  const list = (src.functions ??= []);
  if (list.some((f) => sameName(normalizeName(f.function, 'function'), fq)))
    throw bad('already-tracked', `function already tracked: "${displayName(fq)}"`);
  const entry: FunctionMeta = { function: fq };
  if (args.configuration && typeof args.configuration === 'object')
    entry.configuration = args.configuration as FunctionMeta['configuration'];
  if (args.comment !== undefined) entry.comment = args.comment as string;
  list.push(entry);
  await checkChange(ctx, (n) => n === `function ${displayName(fq)} in source ${src.name}`);
  return success;
}

export async function untrackFunction(ctx: OpContext, args: Args): Promise<unknown> {
  const src = sourceOf(ctx, args.source);
  const fq = functionArg(args);
  if (!(src.functions ?? []).some((f) => sameName(normalizeName(f.function, 'function'), fq)))
    throw bad('already-untracked', `function already untracked: "${displayName(fq)}"`);
  src.functions = (src.functions ?? []).filter(
    (f) => !sameName(normalizeName(f.function, 'function'), fq),
  );
  ctx.changed = true;
  return success;
}

export async function createFunctionPermission(ctx: OpContext, args: Args): Promise<unknown> {
  const src = sourceOf(ctx, args.source);
  const fq = normalizeName(args.function, 'function');
  const f = (src.functions ?? []).find((x) => sameName(normalizeName(x.function, 'function'), fq));
  if (!f) throw bad('not-exists', `function "${displayName(fq)}" is not tracked`);
  const role = String(args.role);
  if ((f.permissions ?? []).some((p) => p.role === role))
    throw bad(
      'already-exists',
      `permission of role "${role}" already exists for function "${displayName(fq)}"`,
    );
  (f.permissions ??= []).push({ role });
  ctx.changed = true;
  return success;
}

export async function dropFunctionPermission(ctx: OpContext, args: Args): Promise<unknown> {
  const src = sourceOf(ctx, args.source);
  const fq = normalizeName(args.function, 'function');
  const f = (src.functions ?? []).find((x) => sameName(normalizeName(x.function, 'function'), fq));
  const role = String(args.role);
  if (!f || !(f.permissions ?? []).some((p) => p.role === role))
    throw bad(
      'not-exists',
      `permission of role "${role}" does not exist for function "${displayName(fq)}"`,
    );
  f.permissions = (f.permissions ?? []).filter((p) => p.role !== role);
  ctx.changed = true;
  return success;
}

export async function addComputedField(ctx: OpContext, args: Args): Promise<unknown> {
  const t = findTable(ctx, args);
  const list = ensureArray<Args>(t, 'computed_fields');
  if (typeof args.name !== 'string') throw bad('parse-failed', 'key "name" not found');
  const name = args.name;
  if (list.some((c) => c.name === name))
    throw bad('already-exists', `computed field "${name}" already exists`);
  if (!args.definition || typeof args.definition !== 'object')
    throw bad('parse-failed', 'key "definition" not found');
  const def = { ...(args.definition as Args) };
  def.function = normalizeName(def.function, 'function');
  const entry: Args = { name, definition: def };
  if (args.comment !== undefined) entry.comment = args.comment;
  list.push(entry);
  const qn = normalizeName(t.table);
  await checkChange(ctx, (n) =>
    n.startsWith(`computed field ${name} of table ${qn.schema}.${qn.name} `),
  );
  return success;
}

export async function dropComputedField(ctx: OpContext, args: Args): Promise<unknown> {
  const t = findTable(ctx, args);
  const src = sourceOf(ctx, args.source);
  const name = String(args.name);
  if (!(t.computed_fields ?? []).some((c) => c.name === name))
    throw bad('not-exists', `computed field "${name}" does not exist`);
  const id = `computed field ${displayQn(normalizeName(t.table))}.${name}`;
  const objects = collectObjects(src, await catalogOf(ctx, src.name));
  const deps = dependents(objects, [], new Set([id]));
  if (deps.length && args.cascade !== true) throw dependencyError(deps, src.name);
  removeObjects(src, deps);
  t.computed_fields = (t.computed_fields ?? []).filter((c) => c.name !== name);
  ctx.changed = true;
  return success;
}
