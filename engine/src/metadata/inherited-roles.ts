/**
 * Inherited roles as metadata holds them (`inherited_roles`: `{role_name, role_set}`, Hasura's
 * inherited_roles.yaml) and the order they are resolved in: every parent before the roles built
 * from it, since a parent may itself be inherited. Roles that form a cycle cannot be resolved;
 * Hasura refuses such metadata with "found cycle(s) in roles: [...]" (its orderRoles).
 */
import type { Metadata } from './types.ts';

export interface InheritedRole {
  role_name: string;
  role_set: string[];
  comment?: string | null;
}

export function inheritedRolesOf(md: Metadata): InheritedRole[] {
  const list = md.inherited_roles;
  if (!Array.isArray(list)) return [];
  return (list as unknown[]).filter(
    (r): r is InheritedRole =>
      !!r &&
      typeof r === 'object' &&
      typeof (r as InheritedRole).role_name === 'string' &&
      Array.isArray((r as InheritedRole).role_set),
  );
}

/** Set the list (Hasura exports no key when it is empty). */
export function setInheritedRoles(md: Metadata, roles: InheritedRole[]): void {
  if (roles.length) md.inherited_roles = roles;
  else delete md.inherited_roles;
}

/**
 * The inherited roles with each one after the inherited roles it is built from, and the cycles
 * (each as the path of names that returns to its start). Roles on a cycle are left out of the
 * order, and so are the roles built from them.
 */
export function orderInheritedRoles(roles: InheritedRole[]): {
  ordered: InheritedRole[];
  cycles: string[][];
} {
  const byName = new Map(roles.map((r) => [r.role_name, r]));
  const ordered: InheritedRole[] = [];
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done' | 'broken'>();
  const stack: string[] = [];
  // depth-first over the parents; a parent met again while it is still on the stack closes a cycle
  const visit = (name: string): boolean => {
    const s = state.get(name);
    if (s === 'done') return true;
    if (s === 'broken') return false;
    if (s === 'visiting') {
      const cycle = stack.slice(stack.indexOf(name));
      cycles.push([...cycle, name]);
      return false;
    }
    const role = byName.get(name)!;
    state.set(name, 'visiting');
    stack.push(name);
    let ok = true;
    for (const p of role.role_set) if (byName.has(p) && !visit(p)) ok = false;
    stack.pop();
    state.set(name, ok ? 'done' : 'broken');
    if (ok) ordered.push(role);
    return ok;
  };
  // start from the names in sorted order so that a cycle is reported the same way every time
  for (const name of [...byName.keys()].sort()) visit(name);
  return { ordered, cycles };
}

/** Hasura's message for roles that form cycles (each cycle as a JSON list of names). */
export function roleCyclesMessage(cycles: string[][]): string {
  return `found cycle(s) in roles: ${cycles.map((c) => JSON.stringify(c)).join(', ')}`;
}

/**
 * A permission that is either granted or not (actions, functions): an inherited role without its
 * own grant has it when any of its parents has it (Hasura's mkBooleanPermissionMap).
 */
export function inheritBooleanPermission(granted: Set<string>, ordered: InheritedRole[]): void {
  for (const r of ordered) {
    if (!granted.has(r.role_name) && r.role_set.some((p) => granted.has(p)))
      granted.add(r.role_name);
  }
}
