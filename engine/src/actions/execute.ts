/**
 * An operation that selects action fields (the `OperationHook` of execute/graphql.ts). Every
 * action field's arguments and selection are checked first, so a bad request calls no webhook;
 * then the operation's other root fields run through the ordinary path (`rest`) and the action
 * fields are answered: a synchronous action calls its handler and projects the answer; an
 * asynchronous one stores the call in hdb_catalog.hdb_action_log and answers its id at once; an
 * async action's query reads the stored result, as the session that made it (admin: any).
 */
import { encodeGqlError, QErr, toQErr, withPath } from '../errors.ts';
import type { ExecResult, OperationHook } from '../execute/graphql.ts';
import type { Session } from '../session.ts';
import type { EngineState } from '../execute/state.ts';
import { isEnum, isLeaf, isList, isObj, type Coerced, type InputContext } from '../parse/input.ts';
import {
  collectFields,
  type CollectedField,
  type RawField,
  type RawSelection,
  type ResolvedOperation,
} from '../parse/operation.ts';
import { fieldArgs, lookupField, selectContext, type SelectContext } from '../parse/select.ts';
import type { ObjectTypeDef, RoleSchema } from '../schema/types.ts';
import type { Json } from '../webhook/kriti.ts';
import { stateActions, type ActionsInfo, type ResolvedAction } from './definitions.ts';
import type { ActionLogRow } from './log.ts';
import { planSelection, project, type Projection, type ProjectDeps } from './selection.ts';
import type { ActionAnswer } from './webhook.ts';

/** What the hook needs of the actions service (service.ts). */
export interface ActionRunner {
  call(c: {
    action: ResolvedAction;
    types: ActionsInfo;
    input: Json;
    sessionVariables: Record<string, string>;
    requestQuery: string;
    clientHeaders: Readonly<Record<string, string | string[] | undefined>>;
    signal?: AbortSignal;
  }): Promise<ActionAnswer>;
  enqueue(
    action: ResolvedAction,
    input: Json,
    sessionVariables: Record<string, string>,
    clientHeaders: Readonly<Record<string, string | string[] | undefined>>,
  ): Promise<string>;
  read(id: string, action: string): Promise<ActionLogRow | null>;
}

/** Coerced input → the JSON the handler gets. */
export function inputJson(c: Coerced): Json {
  if (c === null) return null;
  if (isLeaf(c)) return (typeof c.json === 'bigint' ? c.json.toString() : c.json) as Json;
  if (isEnum(c)) return c.enum;
  if (isList(c)) return c.list.map(inputJson);
  if (isObj(c)) {
    const o: Record<string, Json> = {};
    for (const [k, v] of c.obj) o[k] = inputJson(v);
    return o;
  }
  return null;
}

type Planned =
  | { k: 'other' }
  | { k: 'call'; action: ResolvedAction; input: Json; proj: Projection }
  | { k: 'enqueue'; action: ResolvedAction; input: Json }
  | {
      k: 'result';
      action: ResolvedAction;
      id: string;
      fields: Array<
        [string, { k: 'typename'; name: string } | { k: 'col'; name: string; proj?: Projection }]
      >;
    };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function actionsHook(service: ActionRunner): OperationHook {
  return async (call) => {
    const { state, session, op } = call;
    if (stateActions(state).actions.size === 0) return null;
    const schema = state.schemaFor(session.role, session.backendOnlyPermissions === true);
    const rootName = op.type === 'query' ? schema.queryType : schema.mutationType;
    if (!rootName) return null;
    const rootType = schema.types.get(rootName) as ObjectTypeDef;
    if (!mayNameAction(schema, rootType, op)) return null;
    const input: InputContext = { schema, variables: call.variables, structural: new Set() };
    let fields: CollectedField[];
    try {
      fields = collectFields(rootName, op.selections, schema, input);
    } catch {
      return null; // the ordinary path reports it
    }
    const isAction = (f: CollectedField) => rootType.fields.get(f.name)?.info.k === 'action';
    if (!fields.some(isAction)) return null;
    const ctx = selectContext(
      {
        schema,
        source: state.source,
        role: session.role,
        input,
        stringifyNumeric: call.opts.stringifyNumeric,
        maxDepth: call.opts.maxDepth,
        maxFields: call.opts.maxFields,
      },
      fields.length,
    );
    let executing = false;
    try {
      const planned = fields.map((f) =>
        isAction(f)
          ? withPath(['selectionSet', f.name], () => planRoot(state, ctx, rootType, f))
          : ({ k: 'other' } as Planned),
      );
      executing = true;
      const others = fields.filter((f) => !isAction(f));
      const rest = others.length ? await call.rest({ ...op, selections: others.map(asRaw) }) : {};
      const deps: ProjectDeps = {
        pool: call.opts.pool,
        ctx,
        sessionVariables: session.variables,
      };
      const headers: Array<{ name: string; value: string }> = [];
      const answer = async (p: Planned, f: CollectedField): Promise<unknown> => {
        switch (p.k) {
          case 'other':
            return rest[f.responseKey];
          case 'call': {
            const r = await service.call({
              action: p.action,
              types: stateActions(state),
              input: p.input,
              sessionVariables: session.variables,
              requestQuery: call.queryText,
              clientHeaders: call.opts.clientHeaders ?? {},
            });
            headers.push(...r.headers.filter((h) => h.name.toLowerCase() === 'set-cookie'));
            return project(deps, p.proj, r.value);
          }
          case 'enqueue':
            return service.enqueue(
              p.action,
              p.input,
              session.variables,
              call.opts.clientHeaders ?? {},
            );
          case 'result':
            return readResult(service, deps, session, p);
        }
      };
      const values: unknown[] = [];
      // mutations run in order, as Hasura runs a mutation's root fields; queries at once
      if (op.type === 'mutation') {
        for (let i = 0; i < fields.length; i++) values.push(await answer(planned[i]!, fields[i]!));
      } else {
        values.push(...(await Promise.all(planned.map((p, i) => answer(p, fields[i]!)))));
      }
      const data: Record<string, unknown> = {};
      fields.forEach((f, i) => (data[f.responseKey] = values[i]));
      const out: ExecResult = { body: JSON.stringify({ data }), isError: false, errorCodes: [] };
      if (headers.length) out.headers = headers;
      return out;
    } catch (e) {
      const q = toQErr(e);
      const out: ExecResult = {
        body: JSON.stringify({
          errors: [encodeGqlError(q, call.opts.includeInternal && session.isAdmin)],
        }),
        isError: true,
        errorCodes: [q.webhook?.code ?? q.code],
      };
      // a handler's error comes from executing the operation (a WebSocket frames it so)
      if (executing) out.postExec = true;
      return out;
    }
  };
}

/**
 * Whether an operation names an action field at its root, through fragments and whatever its
 * directives say — remembered per (schema, operation), both of which the plan cache keeps, so an
 * operation without actions costs a map lookup once it is known.
 */
const seen = new WeakMap<RoleSchema, WeakMap<ResolvedOperation, boolean>>();

function mayNameAction(schema: RoleSchema, root: ObjectTypeDef, op: ResolvedOperation): boolean {
  let ops = seen.get(schema);
  if (!ops) seen.set(schema, (ops = new WeakMap()));
  let known = ops.get(op);
  if (known === undefined) {
    const names = (sels: RawSelection[]): boolean =>
      sels.some((s) =>
        s.kind === 'field' ? root.fields.get(s.name)?.info.k === 'action' : names(s.selections),
      );
    known = names(op.selections);
    ops.set(op, known);
  }
  return known;
}

function asRaw(f: CollectedField): RawField {
  return {
    kind: 'field',
    name: f.name,
    alias: f.responseKey,
    args: f.args,
    argsKey: f.argsKey,
    directives: [],
    selections: f.selections,
  };
}

function planRoot(
  state: EngineState,
  ctx: SelectContext,
  rootType: ObjectTypeDef,
  f: CollectedField,
): Planned {
  const def = lookupField(rootType, f);
  if (def.info.k !== 'action') return { k: 'other' };
  const action = stateActions(state).actions.get(def.info.action)!;
  ctx.path = ['selectionSet', f.name];
  const args = fieldArgs(ctx, def, f);
  if (def.info.part === 'call') {
    const input: Record<string, Json> = {};
    for (const [k, v] of args) input[k] = inputJson(v);
    if (action.async) {
      if (f.selections.length)
        throw new QErr(
          'validation-failed',
          'unexpected subselection set for non-object field',
          200,
        );
      return { k: 'enqueue', action, input };
    }
    return {
      k: 'call',
      action,
      input,
      proj: planSelection(ctx, stateActions(state), action.output, f),
    };
  }
  const id = inputJson(args.get('id') ?? null);
  if (typeof id !== 'string' || !UUID.test(id))
    throw new QErr('validation-failed', `invalid uuid: ${JSON.stringify(id)}`, 200, ['args', 'id']);
  const t = ctx.schema.types.get(action.name) as ObjectTypeDef;
  if (!f.selections.length)
    throw new QErr('validation-failed', `missing selection set for '${t.name}'`, 200);
  const fields: Extract<Planned, { k: 'result' }>['fields'] = [];
  const sub = collectFields(t.name, f.selections, ctx.schema, ctx.input);
  for (const sf of sub) {
    withPath(['selectionSet', sf.name], () => {
      if (sf.name === '__typename') {
        fields.push([sf.responseKey, { k: 'typename', name: t.name }]);
        return;
      }
      const fd = lookupField(t, sf);
      fieldArgs(ctx, fd, sf);
      if (sf.name === 'output')
        fields.push([
          sf.responseKey,
          { k: 'col', name: 'output', proj: planSelection(ctx, stateActions(state), fd.type, sf) },
        ]);
      else {
        if (sf.selections.length && sf.name !== 'errors')
          throw new QErr(
            'validation-failed',
            'unexpected subselection set for non-object field',
            200,
          );
        fields.push([sf.responseKey, { k: 'col', name: sf.name }]);
      }
    });
  }
  return { k: 'result', action, id, fields };
}

async function readResult(
  service: ActionRunner,
  deps: ProjectDeps,
  session: Session,
  p: Extract<Planned, { k: 'result' }>,
): Promise<unknown> {
  const row = await service.read(p.id, p.action.name);
  if (!row) return null;
  // another session's result is not there (Hasura: the session variables that made it must match)
  if (!session.isAdmin) {
    const mine = Object.entries(row.session_variables).every(
      ([k, v]) => session.variables[k] === v,
    );
    if (!mine) return null;
  }
  const out: Record<string, unknown> = {};
  for (const [key, f] of p.fields) {
    if (f.k === 'typename') out[key] = f.name;
    else if (f.name === 'id') out[key] = row.id;
    else if (f.name === 'created_at') out[key] = row.created_at;
    else if (f.name === 'errors') out[key] = errorsFor(row.errors, session.isAdmin);
    else if (f.name === 'output')
      out[key] =
        row.status === 'completed' && f.proj
          ? await project(deps, f.proj, row.response_payload)
          : null;
  }
  return out;
}

/** Admins see the stored error whole; other roles without `internal`. */
function errorsFor(errors: unknown, admin: boolean): unknown {
  if (!errors || typeof errors !== 'object' || admin) return errors ?? null;
  const { internal: _internal, ...rest } = errors as Record<string, unknown>;
  return rest;
}
