/**
 * Relationship operations of the metadata API (Hasura/RQL/DDL/Relationship.hs): create object /
 * array relationships (checked against the database), drop (refused while permissions use them,
 * unless `cascade`), rename and comment.
 */
import {
  collectObjects,
  dependencyError,
  dependents,
  displayQn,
  removeObjects,
} from '../metadata/dependencies.ts';
import { normalizeName } from '../metadata/types.ts';
import {
  bad,
  catalogOf,
  checkChange,
  displayName,
  ensureArray,
  findTable,
  sourceOf,
  success,
  type Args,
  type OpContext,
} from './context.ts';

type Rel = { name: string; using: unknown; comment?: unknown };

export async function createRelationship(
  ctx: OpContext,
  kind: 'object' | 'array',
  args: Args,
): Promise<unknown> {
  const t = findTable(ctx, args);
  const using = args.using as Record<string, unknown> | undefined;
  if (!using || typeof using !== 'object') throw bad('parse-failed', 'key "using" not found');
  if (kind === 'array' && 'foreign_key_constraint_on' in using) {
    const fk = using.foreign_key_constraint_on;
    if (!fk || typeof fk !== 'object' || Array.isArray(fk)) {
      throw bad('parse-failed', 'Expecting object { table, columns }.', [
        'using',
        'foreign_key_constraint_on',
      ]);
    }
  }
  if (typeof args.name !== 'string') throw bad('parse-failed', 'key "name" not found');
  const name = args.name;
  const qn = normalizeName(t.table);
  const taken = [...(t.object_relationships ?? []), ...(t.array_relationships ?? [])].some(
    (r) => r.name === name,
  );
  if (taken) {
    throw bad(
      'already-exists',
      `relationship "${name}" already exists on table "${displayName(qn)}"`,
    );
  }
  const rel: Rel = { name, using };
  if (args.comment !== undefined) rel.comment = args.comment;
  ensureArray<Rel>(t, kind === 'object' ? 'object_relationships' : 'array_relationships').push(rel);
  await checkChange(ctx, (n) =>
    n.includes(`relationship ${name} of table ${qn.schema}.${qn.name} `),
  );
  return success;
}

export async function dropRelationship(ctx: OpContext, args: Args): Promise<unknown> {
  const t = findTable(ctx, args);
  const src = sourceOf(ctx, args.source);
  const name = String(args.relationship ?? args.name);
  const qn = normalizeName(t.table);
  const exists = [...(t.object_relationships ?? []), ...(t.array_relationships ?? [])].some(
    (r) => r.name === name,
  );
  if (!exists) throw bad('not-exists', `relationship "${name}" does not exist`);
  const id = `relationship ${displayQn(qn)}.${name}`;
  const objects = collectObjects(src, await catalogOf(ctx, src.name));
  const deps = dependents(objects, [], new Set([id]));
  if (deps.length && args.cascade !== true) throw dependencyError(deps, src.name);
  removeObjects(src, deps);
  objects.find((o) => o.id === id)?.remove(src);
  ctx.changed = true;
  return success;
}

export async function renameRelationship(ctx: OpContext, args: Args): Promise<unknown> {
  const t = findTable(ctx, args);
  const rels = [...(t.object_relationships ?? []), ...(t.array_relationships ?? [])];
  const rel = rels.find((r) => r.name === args.name);
  if (!rel) throw bad('not-exists', `relationship "${String(args.name)}" does not exist`);
  const newName = String(args.new_name);
  if (rels.some((r) => r.name === newName))
    throw bad('already-exists', `relationship "${newName}" already exists`);
  rel.name = newName;
  await checkChange(ctx);
  return success;
}

export async function setRelationshipComment(ctx: OpContext, args: Args): Promise<unknown> {
  const t = findTable(ctx, args);
  const name = args.relationship ?? args.name;
  const rel = [...(t.object_relationships ?? []), ...(t.array_relationships ?? [])].find(
    (r) => r.name === name,
  );
  if (!rel) throw bad('not-exists', `relationship "${String(name)}" does not exist`);
  rel.comment = (args.comment as string | null | undefined) ?? null;
  ctx.changed = true;
  return success;
}
