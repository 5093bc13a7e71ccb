/**
 * The `action` step of an operation's plan (a StepKind of execute/planner.ts): the operation's
 * action root fields. Every action field's arguments and selection are checked when the plan is
 * made, so a bad request calls no webhook; the operation's other root fields are the plan's
 * `postgres` step, run first. A synchronous action calls its handler and projects the answer; an
 * asynchronous one stores the call in hdb_catalog.hdb_action_log and answers its id at once; an
 * async action's query reads the stored result, as the session that made it (admin: any).
 */
import { QErr, withPath } from '../errors.ts';
import type { StepKind } from '../execute/planner.ts';
import type { Session } from '../session.ts';
import type { EngineState } from '../execute/state.ts';
import { isEnum, isLeaf, isList, isObj, type Coerced } from '../parse/input.ts';
import { collectFields, type CollectedField } from '../parse/operation.ts';
import { fieldArgs, lookupField, selectContext, type SelectContext } from '../parse/select.ts';
import type { ObjectTypeDef } from '../schema/types.ts';
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

/**
 * The `action` step kind: the step of an operation's action root fields. Planning checks every
 * field's arguments and selection (a bad request calls no webhook); running answers them — for
 * a mutation one after another, as Hasura runs a mutation's root fields; for a query at once.
 */
export function actionStepKind(service: ActionRunner): StepKind {
  return {
    field: 'action',
    plan(call, fields) {
      const { state, session } = call;
      const ctx = selectContext(
        {
          schema: call.schema,
          source: state.source,
          sources: state.sources,
          role: session.role,
          input: call.input,
          stringifyNumeric: call.opts.stringifyNumeric,
          maxDepth: call.opts.maxDepth,
          maxFields: call.opts.maxFields,
        },
        call.fields.length,
      );
      const planned = fields.map((f) =>
        withPath(['selectionSet', f.name], () => planRoot(state, ctx, call.rootType, f)),
      );
      const deps: ProjectDeps = { pool: call.opts.pool, ctx, sessionVariables: session.variables };
      const clientHeaders = call.opts.clientHeaders ?? {};
      return {
        kind: 'action',
        keys: fields.map((f) => f.responseKey),
        async run() {
          const headers: Array<{ name: string; value: string }> = [];
          const answer = async (p: Planned): Promise<unknown> => {
            switch (p.k) {
              case 'call': {
                const r = await service.call({
                  action: p.action,
                  types: stateActions(state),
                  input: p.input,
                  sessionVariables: session.variables,
                  requestQuery: call.queryText,
                  clientHeaders,
                });
                headers.push(...r.headers.filter((h) => h.name.toLowerCase() === 'set-cookie'));
                return project(deps, p.proj, r.value);
              }
              case 'enqueue':
                return service.enqueue(p.action, p.input, session.variables, clientHeaders);
              case 'result':
                return readResult(service, deps, session, p);
            }
          };
          const values: unknown[] = [];
          if (call.op.type === 'mutation') {
            for (const p of planned) values.push(await answer(p));
          } else {
            values.push(...(await Promise.all(planned.map(answer))));
          }
          const data: Record<string, unknown> = {};
          fields.forEach((f, i) => (data[f.responseKey] = values[i]));
          return headers.length ? { data, headers } : { data };
        },
      };
    },
  };
}

function planRoot(
  state: EngineState,
  ctx: SelectContext,
  rootType: ObjectTypeDef,
  f: CollectedField,
): Planned {
  const def = lookupField(rootType, f);
  if (def.info.k !== 'action') throw new Error(`${f.name} is not an action`);
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
