/**
 * Inherited roles on the metadata API (Hasura's RQL/DDL/InheritedRoles.hs): `add_inherited_role`
 * (a role of that name is replaced) and `drop_inherited_role`. What an inherited role may do is
 * worked out when the source is resolved (schema/inherited-roles.ts); here the list is kept and
 * the metadata refused when its roles form a cycle, as Hasura refuses it.
 */
import { jsonKind, QErr } from '../errors.ts';
import {
  inheritedRolesOf,
  orderInheritedRoles,
  roleCyclesMessage,
  setInheritedRoles,
  type InheritedRole,
} from '../metadata/inherited-roles.ts';
import type { Metadata } from '../metadata/types.ts';
import { bad, checkChange, success, type Args, type OpContext } from './context.ts';

function roleName(args: Args): string {
  const v = args.role_name;
  if (v === undefined) throw bad('parse-failed', 'key "role_name" not found');
  if (typeof v !== 'string' || v === '')
    throw bad('parse-failed', `expected Text, but encountered ${jsonKind(v)}`, ['role_name']);
  return v;
}

/** Hasura's orderRoles: metadata whose inherited roles form a cycle is refused. */
export function checkRoleCycles(md: Metadata): void {
  const { cycles } = orderInheritedRoles(inheritedRolesOf(md));
  if (cycles.length) throw new QErr('cyclic-dependency', roleCyclesMessage(cycles), 400);
}

export async function addInheritedRole(ctx: OpContext, args: Args): Promise<unknown> {
  const name = roleName(args);
  const set = args.role_set;
  if (!Array.isArray(set) || set.some((r) => typeof r !== 'string'))
    throw bad('parse-failed', `expected Array, but encountered ${jsonKind(set)}`, ['role_set']);
  if (set.includes(name))
    throw bad('invalid-params', 'an inherited role name cannot be in the role combination');
  const role: InheritedRole = { role_name: name, role_set: [...new Set(set as string[])] };
  if (typeof args.comment === 'string') role.comment = args.comment;
  const list = inheritedRolesOf(ctx.draft);
  const at = list.findIndex((r) => r.role_name === name);
  if (at >= 0) list[at] = role;
  else list.push(role);
  setInheritedRoles(ctx.draft, list);
  checkRoleCycles(ctx.draft);
  await checkChange(ctx, (n) => n === `inherited_role ${name}`);
  return success;
}

export async function dropInheritedRole(ctx: OpContext, args: Args): Promise<unknown> {
  const name = roleName(args);
  const list = inheritedRolesOf(ctx.draft);
  if (!list.some((r) => r.role_name === name))
    throw bad('not-exists', `"${name}" inherited role doesn't exist`);
  setInheritedRoles(
    ctx.draft,
    list.filter((r) => r.role_name !== name),
  );
  await checkChange(ctx);
  return success;
}
