/**
 * Permission operations of the metadata API (Hasura/RQL/DDL/Permission.hs): create (validated
 * against the table: columns, presets, filter and check keys — a bad one is Hasura's 400
 * invalid-configuration with the inconsistency), drop, comment.
 */
import { normalizeName } from '../metadata/types.ts';
import {
  bad,
  checkChange,
  displayName,
  ensureArray,
  findTable,
  success,
  type Args,
  type OpContext,
} from './context.ts';

export type PermKind = 'select' | 'insert' | 'update' | 'delete';

interface PermEntry {
  role: string;
  permission: unknown;
  comment?: unknown;
}

export async function createPermission(
  ctx: OpContext,
  kind: PermKind,
  args: Args,
): Promise<unknown> {
  const t = findTable(ctx, args);
  if (typeof args.role !== 'string') throw bad('parse-failed', 'key "role" not found');
  const role = args.role;
  if (
    args.permission === undefined ||
    args.permission === null ||
    typeof args.permission !== 'object'
  )
    throw bad('parse-failed', 'key "permission" not found');
  const qn = normalizeName(t.table);
  const list = ensureArray<PermEntry>(t, `${kind}_permissions`);
  if (list.some((p) => p.role === role)) {
    throw bad(
      'already-exists',
      `${kind} permission already defined on table "${displayName(qn)}" with role "${role}"`,
    );
  }
  const entry: PermEntry = { role, permission: args.permission };
  if (args.comment !== undefined) entry.comment = args.comment;
  list.push(entry);
  await checkChange(
    ctx,
    (n) => n === `${kind}_permission ${role} in table ${qn.schema}.${qn.name} in source default`,
  );
  return success;
}

export async function dropPermission(ctx: OpContext, kind: PermKind, args: Args): Promise<unknown> {
  const t = findTable(ctx, args);
  const key = `${kind}_permissions`;
  const list = (t[key] as PermEntry[] | undefined) ?? [];
  if (!list.some((p) => p.role === args.role)) {
    throw bad(
      'not-exists',
      `permission of type "${kind}" for role "${String(args.role)}" does not exist on table "${displayName(normalizeName(t.table))}"`,
    );
  }
  t[key] = list.filter((p) => p.role !== args.role);
  ctx.changed = true;
  return success;
}

export async function setPermissionComment(ctx: OpContext, args: Args): Promise<unknown> {
  const t = findTable(ctx, args);
  const kind = String(args.type);
  if (!['select', 'insert', 'update', 'delete'].includes(kind))
    throw bad('parse-failed', 'expected one of "select", "insert", "update", "delete" for "type"', [
      'type',
    ]);
  const list = (t[`${kind}_permissions`] as PermEntry[] | undefined) ?? [];
  const p = list.find((x) => x.role === args.role);
  if (!p) {
    throw bad(
      'not-exists',
      `permission of type "${kind}" for role "${String(args.role)}" does not exist on table "${displayName(normalizeName(t.table))}"`,
    );
  }
  p.comment = (args.comment as string | null | undefined) ?? null;
  ctx.changed = true;
  return success;
}
