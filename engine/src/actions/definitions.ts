/**
 * Actions and custom types as Hasura's metadata states them (`actions`, `custom_types`), resolved
 * against the source: type strings parsed (`[UserInput!]!`), names checked (built-in GraphQL
 * scalars, custom scalars and enums, input objects, objects, and the Postgres scalars Hasura lets
 * actions reuse), relationships from output objects to tracked tables resolved to their tables and
 * columns. What does not resolve is an inconsistent object, as Hasura reports it, and is left out
 * of the schema.
 */
import { qualifiedKey } from '../introspection/catalog.ts';
import {
  inheritBooleanPermission,
  inheritedRolesOf,
  orderInheritedRoles,
} from '../metadata/inherited-roles.ts';
import { normalizeName, type Metadata, type QualifiedName } from '../metadata/types.ts';
import type { Inconsistency, SourceInfo, TableInfo } from '../schema/source.ts';
import { list, named, nonNull, type TypeRef } from '../schema/types.ts';
import type { HeaderConf } from '../webhook/env-template.ts';

export interface ArgumentMeta {
  name: string;
  type: string;
  description?: string | null;
}

export interface ActionDefinitionMeta {
  type?: 'mutation' | 'query';
  kind?: 'synchronous' | 'asynchronous';
  arguments?: ArgumentMeta[] | null;
  output_type: string;
  handler: string;
  headers?: HeaderConf[];
  forward_client_headers?: boolean;
  timeout?: number;
  request_transform?: Record<string, unknown>;
  response_transform?: Record<string, unknown>;
}

export interface ActionMeta {
  name: string;
  definition: ActionDefinitionMeta;
  comment?: string | null;
  permissions?: Array<{ role: string; comment?: string | null }>;
}

export interface CustomFieldMeta {
  name: string;
  type: string;
  description?: string | null;
}

export interface CustomRelationshipMeta {
  name: string;
  type: 'object' | 'array';
  remote_table: QualifiedName | string;
  field_mapping: Record<string, string>;
  source?: string;
}

export interface CustomTypesMeta {
  input_objects?: Array<{ name: string; description?: string | null; fields: CustomFieldMeta[] }>;
  objects?: Array<{
    name: string;
    description?: string | null;
    fields: CustomFieldMeta[];
    relationships?: CustomRelationshipMeta[];
  }>;
  scalars?: Array<{ name: string; description?: string | null }>;
  enums?: Array<{
    name: string;
    description?: string | null;
    values: Array<{ value: string; description?: string | null; is_deprecated?: boolean }>;
  }>;
}

/** Hasura's default webhook timeout for actions, in seconds. */
export const DEFAULT_ACTION_TIMEOUT_S = 30;

export const GRAPHQL_SCALARS = new Set(['Int', 'Float', 'String', 'Boolean', 'ID']);

/**
 * Postgres scalars an action may use by name (Hasura: "reuse of Postgres scalars"): those the
 * engine's schema names after their Postgres type.
 */
export const PG_SCALARS = new Set([
  'json',
  'jsonb',
  'uuid',
  'bigint',
  'smallint',
  'numeric',
  'float8',
  'timestamptz',
  'timestamp',
  'date',
  'time',
  'timetz',
  'interval',
  'bpchar',
  'bytea',
  'citext',
  'inet',
  'ltree',
  'money',
  'oid',
  'geography',
  'geometry',
]);

export interface ResolvedRelationship {
  name: string;
  kind: 'object' | 'array';
  table: TableInfo;
  /** [field of the output object, column of the table] */
  mapping: Array<[string, string]>;
}

export interface ResolvedObject {
  name: string;
  description: string | null;
  fields: Array<{ name: string; type: TypeRef; description: string | null }>;
  relationships: ResolvedRelationship[];
}

export interface ResolvedInput {
  name: string;
  description: string | null;
  fields: Array<{ name: string; type: TypeRef; description: string | null }>;
}

export interface ResolvedAction {
  name: string;
  meta: ActionMeta;
  root: 'query' | 'mutation';
  async: boolean;
  args: Array<{ name: string; type: TypeRef; description: string | null }>;
  output: TypeRef;
  comment: string | null;
  /** roles with an action permission (admin always may) */
  roles: Set<string>;
  timeoutMs: number;
}

export interface ActionsInfo {
  actions: Map<string, ResolvedAction>;
  objects: Map<string, ResolvedObject>;
  inputs: Map<string, ResolvedInput>;
  scalars: Map<string, string | null>;
  enums: Map<string, NonNullable<CustomTypesMeta['enums']>[number]>;
}

export class TypeStringError extends Error {}

const resolved = new WeakMap<SourceInfo, ActionsInfo>();

/**
 * The actions of an engine state (its metadata and resolved source), resolved once per state:
 * what does not resolve is added to the source's inconsistent objects then.
 */
export function stateActions(state: { metadata: Metadata; source: SourceInfo }): ActionsInfo {
  let a = resolved.get(state.source);
  if (!a) {
    a = resolveActions(state.metadata, state.source);
    resolved.set(state.source, a);
  }
  return a;
}

/** `[[Foo!]]!` → a TypeRef. */
export function parseTypeString(text: string): TypeRef {
  const s = text.trim();
  const at = { i: 0 };
  const t = parseAt(s, at);
  if (at.i !== s.length) throw new TypeStringError(`invalid type: ${JSON.stringify(text)}`);
  return t;
}

function parseAt(s: string, at: { i: number }): TypeRef {
  let t: TypeRef;
  if (s[at.i] === '[') {
    at.i++;
    const inner = parseAt(s, at);
    if (s[at.i] !== ']') throw new TypeStringError(`invalid type: ${JSON.stringify(s)}`);
    at.i++;
    t = list(inner);
  } else {
    const m = /^[_A-Za-z][_0-9A-Za-z]*/.exec(s.slice(at.i));
    if (!m) throw new TypeStringError(`invalid type: ${JSON.stringify(s)}`);
    at.i += m[0].length;
    t = named(m[0]);
  }
  if (s[at.i] === '!') {
    at.i++;
    t = nonNull(t);
  }
  return t;
}

export function customTypesOf(md: Metadata): CustomTypesMeta {
  return (md.custom_types as CustomTypesMeta | undefined) ?? {};
}

export function actionsOf(md: Metadata): ActionMeta[] {
  return Array.isArray(md.actions) ? (md.actions as ActionMeta[]) : [];
}

export const baseName = (t: TypeRef): string => (t.kind === 'NAMED' ? t.name : baseName(t.of));

/** The action definition in the expanded form Hasura shows in inconsistent-object reports. */
export function expandedDefinition(a: ActionMeta): Record<string, unknown> {
  const d = a.definition;
  const root = d.type ?? 'mutation';
  return {
    comment: a.comment ?? null,
    definition: {
      arguments: (d.arguments ?? []).map((x) => ({
        description: x.description ?? null,
        name: x.name,
        type: x.type,
      })),
      forward_client_headers: d.forward_client_headers ?? false,
      handler: d.handler,
      headers: d.headers ?? [],
      ...(root === 'mutation' ? { kind: d.kind ?? 'synchronous' } : {}),
      output_type: d.output_type,
      ...(d.request_transform ? { request_transform: d.request_transform } : {}),
      ...(d.response_transform ? { response_transform: d.response_transform } : {}),
      timeout: d.timeout ?? DEFAULT_ACTION_TIMEOUT_S,
      type: root,
    },
    name: a.name,
  };
}

class Bad extends Error {}

/**
 * Resolve custom types and actions; what fails is added to `info.inconsistencies` (custom types as
 * one object, each action on its own) and left out.
 */
export function resolveActions(md: Metadata, info: SourceInfo): ActionsInfo {
  const out: ActionsInfo = {
    actions: new Map(),
    objects: new Map(),
    inputs: new Map(),
    scalars: new Map(),
    enums: new Map(),
  };
  const ct = customTypesOf(md);
  try {
    resolveCustomTypes(ct, info, out);
  } catch (e) {
    if (!(e instanceof Bad || e instanceof TypeStringError)) throw e;
    out.objects.clear();
    out.inputs.clear();
    out.scalars.clear();
    out.enums.clear();
    info.inconsistencies.push({
      type: 'custom_types',
      name: 'custom_types',
      reason: `Inconsistent object: ${e.message}`,
      definition: ct,
    });
  }
  for (const a of actionsOf(md)) {
    try {
      out.actions.set(a.name, resolveAction(a, out));
    } catch (e) {
      if (!(e instanceof Bad || e instanceof TypeStringError)) throw e;
      const inc: Inconsistency = {
        type: 'action',
        name: `action ${a.name}`,
        reason: `Inconsistent object: in action "${a.name}"; ${e.message}`,
        definition: expandedDefinition(a),
      };
      info.inconsistencies.push(inc);
    }
  }
  // an inherited role may run an action when any of its parents may (Hasura: boolean permissions)
  const { ordered } = orderInheritedRoles(inheritedRolesOf(md));
  for (const a of out.actions.values()) inheritBooleanPermission(a.roles, ordered);
  return out;
}

function resolveCustomTypes(ct: CustomTypesMeta, info: SourceInfo, out: ActionsInfo): void {
  const seen = new Set<string>();
  const declare = (name: unknown) => {
    if (typeof name !== 'string' || !/^[_A-Za-z][_0-9A-Za-z]*$/.test(name))
      throw new Bad(`invalid custom type name: ${JSON.stringify(name)}`);
    if (seen.has(name) || GRAPHQL_SCALARS.has(name))
      throw new Bad(`the following types are defined more than once: ${name}`);
    seen.add(name);
  };
  for (const s of ct.scalars ?? []) {
    declare(s.name);
    out.scalars.set(s.name, s.description ?? null);
  }
  for (const e of ct.enums ?? []) {
    declare(e.name);
    out.enums.set(e.name, e);
  }
  for (const i of ct.input_objects ?? []) declare(i.name);
  for (const o of ct.objects ?? []) declare(o.name);
  const isScalar = (n: string) =>
    GRAPHQL_SCALARS.has(n) || PG_SCALARS.has(n) || out.scalars.has(n) || out.enums.has(n);
  const inputNames = new Set((ct.input_objects ?? []).map((i) => i.name));
  const objectNames = new Set((ct.objects ?? []).map((o) => o.name));
  for (const i of ct.input_objects ?? []) {
    const fields = (i.fields ?? []).map((f) => {
      const type = parseTypeString(f.type);
      const b = baseName(type);
      if (!isScalar(b) && !inputNames.has(b))
        throw new Bad(
          `the type "${b}" for field "${f.name}" in input object type "${i.name}" does not exist`,
        );
      return { name: f.name, type, description: f.description ?? null };
    });
    out.inputs.set(i.name, { name: i.name, description: i.description ?? null, fields });
  }
  for (const o of ct.objects ?? []) {
    const fields = (o.fields ?? []).map((f) => {
      const type = parseTypeString(f.type);
      const b = baseName(type);
      if (!isScalar(b) && !objectNames.has(b))
        throw new Bad(
          `the type "${b}" for field "${f.name}" in object type "${o.name}" does not exist`,
        );
      return { name: f.name, type, description: f.description ?? null };
    });
    const relationships = (o.relationships ?? []).map((r): ResolvedRelationship => {
      const qn = normalizeName(r.remote_table);
      const table = info.tables.get(qualifiedKey(qn));
      if (!table)
        throw new Bad(
          `in object type "${o.name}": the remote table "${qn.name}" of relationship "${r.name}" is not tracked`,
        );
      const mapping = Object.entries(r.field_mapping ?? {}).map(([field, column]) => {
        if (!fields.some((f) => f.name === field))
          throw new Bad(
            `relationship "${r.name}" of object type "${o.name}": field "${field}" does not exist`,
          );
        if (!table.columnsByName.has(column))
          throw new Bad(
            `relationship "${r.name}" of object type "${o.name}": column "${column}" does not exist in table "${qn.name}"`,
          );
        return [field, column] as [string, string];
      });
      if (r.type !== 'object' && r.type !== 'array')
        throw new Bad(
          `relationship "${r.name}" of object type "${o.name}": type must be object or array`,
        );
      return { name: r.name, kind: r.type, table, mapping };
    });
    out.objects.set(o.name, {
      name: o.name,
      description: o.description ?? null,
      fields,
      relationships,
    });
  }
}

function resolveAction(a: ActionMeta, types: ActionsInfo): ResolvedAction {
  const d = a.definition;
  if (!d || typeof d !== 'object') throw new Bad('the action has no definition');
  const root = d.type ?? 'mutation';
  if (root !== 'mutation' && root !== 'query') throw new Bad(`invalid action type "${root}"`);
  const isAsync = root === 'mutation' && d.kind === 'asynchronous';
  const isInputType = (n: string) =>
    GRAPHQL_SCALARS.has(n) ||
    PG_SCALARS.has(n) ||
    types.scalars.has(n) ||
    types.enums.has(n) ||
    types.inputs.has(n);
  const args = (d.arguments ?? []).map((x) => {
    const type = parseTypeString(x.type);
    const b = baseName(type);
    if (!isInputType(b))
      throw new Bad(`the type "${b}" of argument "${x.name}" is not an input type`);
    return { name: x.name, type, description: x.description ?? null };
  });
  const output = parseTypeString(d.output_type);
  const ob = baseName(output);
  const obj = types.objects.get(ob);
  if (
    !obj &&
    !GRAPHQL_SCALARS.has(ob) &&
    !PG_SCALARS.has(ob) &&
    !types.scalars.has(ob) &&
    !types.enums.has(ob)
  )
    throw new Bad(`the type "${ob}" is not an object or scalar type`);
  if (isAsync && obj && obj.relationships.length) {
    const nested = obj.fields.filter((f) => types.objects.has(baseName(f.type)));
    if (nested.length)
      throw new Bad(
        `Async action relations cannot be used with object fields: ${nested.map((f) => `"${f.name}"`).join(', ')}`,
      );
  }
  if (typeof d.handler !== 'string' || !d.handler) throw new Bad('the action has no handler');
  return {
    name: a.name,
    meta: a,
    root,
    async: isAsync,
    args,
    output,
    comment: a.comment ?? null,
    roles: new Set((a.permissions ?? []).map((p) => p.role)),
    timeoutMs: (d.timeout ?? DEFAULT_ACTION_TIMEOUT_S) * 1000,
  };
}

/**
 * drop_inconsistent_metadata for actions: the custom types when they do not resolve, then every
 * action that does not (reported by name, so matched by name).
 */
export function dropInconsistentActions(md: Metadata, info: SourceInfo): void {
  const probe = (): Inconsistency[] => {
    const i = { ...info, inconsistencies: [] as Inconsistency[] };
    resolveActions(md, i);
    return i.inconsistencies;
  };
  if (probe().some((i) => i.type === 'custom_types')) delete md.custom_types;
  const bad = new Set(probe().map((i) => i.name));
  const kept = actionsOf(md).filter((a) => !bad.has(`action ${a.name}`));
  if (kept.length) md.actions = kept;
  else delete md.actions;
}
