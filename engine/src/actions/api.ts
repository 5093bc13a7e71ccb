/**
 * The metadata API of actions and custom types (Hasura/RQL/DDL/{Action,CustomTypes}.hs):
 * `set_custom_types`, `create_action`, `update_action`, `drop_action`,
 * `create_action_permission`, `drop_action_permission` — on `/v1/metadata` and `/v1/query`. Each
 * changes the draft and is refused, with Hasura's codes, when the result does not resolve (the
 * draft is then not stored).
 */
import { QErr } from '../errors.ts';
import { bad, success, type Args, type OpContext, draftInfo } from '../api/context.ts';
import {
  actionsOf,
  DEFAULT_ACTION_TIMEOUT_S,
  type ActionDefinitionMeta,
  type ActionMeta,
  type CustomTypesMeta,
} from './definitions.ts';
import {
  normalizeRequestTransform,
  normalizeResponseTransform,
  TransformError,
} from '../webhook/transform.ts';

const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Refuse the draft when an action (or the custom types) it changes does not resolve. */
async function check(ctx: OpContext, name: string | null): Promise<void> {
  ctx.changed = true;
  const info = await draftInfo(ctx);
  const mine = info.inconsistencies.filter(
    (i) =>
      (i.type === 'action' && (name === null || i.name === `action ${name}`)) ||
      i.type === 'custom_types',
  );
  if (mine.length)
    throw new QErr(
      'invalid-configuration',
      mine.map((i) => i.reason).join(', '),
      400,
      [],
      mine.map((i) => ({ definition: i.definition, name: i.name, reason: i.reason, type: i.type })),
    );
}

export async function setCustomTypes(ctx: OpContext, args: Args): Promise<unknown> {
  const ct: CustomTypesMeta = {};
  for (const key of ['input_objects', 'objects', 'scalars', 'enums'] as const) {
    const v = args[key];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v))
      throw bad('parse-failed', `expected Array, but encountered ${typeof v}`, [key]);
    (ct as Record<string, unknown>)[key] = v;
  }
  ctx.draft.custom_types = ct;
  await check(ctx, null);
  return success;
}

function readDefinition(raw: unknown): ActionDefinitionMeta {
  if (!isObj(raw)) throw bad('parse-failed', 'expected an object for "definition"', ['definition']);
  const d = { ...raw } as unknown as ActionDefinitionMeta & Record<string, unknown>;
  if (typeof d.handler !== 'string')
    throw bad('parse-failed', 'key "handler" not found', ['definition']);
  if (typeof d.output_type !== 'string')
    throw bad('parse-failed', 'key "output_type" not found', ['definition']);
  // stored as Hasura exports it: defaults and empty lists left out
  if (d.arguments === null || (Array.isArray(d.arguments) && d.arguments.length === 0))
    delete d.arguments;
  if (d.headers === null || (Array.isArray(d.headers) && d.headers.length === 0)) delete d.headers;
  if (d.forward_client_headers === false || d.forward_client_headers === null)
    delete d.forward_client_headers;
  if (d.timeout === DEFAULT_ACTION_TIMEOUT_S || d.timeout === null) delete d.timeout;
  if (Array.isArray(d.arguments))
    d.arguments = d.arguments.map((a) => {
      const x = { ...a };
      if (x.description === null || x.description === undefined) delete x.description;
      return x;
    });
  if (d.type === undefined) d.type = 'mutation';
  if (d.type === 'mutation' && d.kind === undefined) d.kind = 'synchronous';
  if (d.type === 'query') delete d.kind;
  if (d.timeout !== undefined && (typeof d.timeout !== 'number' || d.timeout <= 0))
    throw bad('parse-failed', 'timeout must be a positive number of seconds', [
      'definition',
      'timeout',
    ]);
  try {
    if (d.request_transform) d.request_transform = normalizeRequestTransform(d.request_transform);
    if (d.response_transform)
      d.response_transform = normalizeResponseTransform(d.response_transform);
  } catch (e) {
    if (e instanceof TransformError) throw bad('parse-failed', e.message, ['definition']);
    throw e;
  }
  return d;
}

function nameOf(args: Args, key = 'name'): string {
  const n = args[key];
  if (typeof n !== 'string' || !/^[_A-Za-z][_0-9A-Za-z]*$/.test(n))
    throw bad('parse-failed', `key "${key}" must be a GraphQL name`, [key]);
  return n;
}

function list(ctx: OpContext): ActionMeta[] {
  const a = actionsOf(ctx.draft);
  ctx.draft.actions = a;
  return a;
}

function find(ctx: OpContext, name: string): ActionMeta {
  const a = list(ctx).find((x) => x.name === name);
  if (!a) throw bad('not-exists', `action with name "${name}" does not exist`);
  return a;
}

export async function createAction(ctx: OpContext, args: Args): Promise<unknown> {
  const name = nameOf(args);
  const actions = list(ctx);
  if (actions.some((a) => a.name === name))
    throw bad('already-exists', `action with name "${name}" already exists`);
  const meta: ActionMeta = { name, definition: readDefinition(args.definition) };
  if (typeof args.comment === 'string') meta.comment = args.comment;
  actions.push(meta);
  await check(ctx, name);
  return success;
}

export async function updateAction(ctx: OpContext, args: Args): Promise<unknown> {
  const name = nameOf(args);
  const meta = find(ctx, name);
  const def = readDefinition(args.definition);
  const oldType = meta.definition.type ?? 'mutation';
  if ((def.type ?? 'mutation') !== oldType)
    throw bad(
      'not-supported',
      `cannot change the type of action "${name}" (${oldType}); drop it and create it again`,
    );
  meta.definition = def;
  if (args.comment !== undefined)
    meta.comment = typeof args.comment === 'string' ? args.comment : null;
  await check(ctx, name);
  return success;
}

export async function dropAction(ctx: OpContext, args: Args): Promise<unknown> {
  const name = nameOf(args);
  find(ctx, name);
  ctx.draft.actions = list(ctx).filter((a) => a.name !== name);
  if (!(ctx.draft.actions as unknown[]).length) delete ctx.draft.actions;
  ctx.changed = true;
  // Hasura's default: the action's stored async calls go with it
  if (args.clear_data !== false) await ctx.engine.actions.clearLog(name);
  return success;
}

export async function createActionPermission(ctx: OpContext, args: Args): Promise<unknown> {
  const name = nameOf(args, 'action');
  const role = args.role;
  if (typeof role !== 'string' || !role)
    throw bad('parse-failed', 'key "role" not found', ['role']);
  if (role === 'admin')
    throw bad('already-exists', 'permission for role "admin" is defined implicitly');
  const meta = find(ctx, name);
  const perms = (meta.permissions ??= []);
  if (perms.some((p) => p.role === role))
    throw bad('already-exists', `permission for role "${role}" is already defined on "${name}"`);
  perms.push({ role, ...(typeof args.comment === 'string' ? { comment: args.comment } : {}) });
  ctx.changed = true;
  return success;
}

export async function dropActionPermission(ctx: OpContext, args: Args): Promise<unknown> {
  const name = nameOf(args, 'action');
  const meta = find(ctx, name);
  const role = args.role;
  const perms = meta.permissions ?? [];
  if (!perms.some((p) => p.role === role))
    throw bad('not-exists', `permission for role "${String(role)}" is not defined on "${name}"`);
  meta.permissions = perms.filter((p) => p.role !== role);
  if (!meta.permissions.length) delete meta.permissions;
  ctx.changed = true;
  return success;
}
