/**
 * An async action's result over a subscription (`subscription { <action>(id: …) { … } }`), as
 * Hasura serves it: the result is read again every refetch interval and sent when it changed —
 * so a client sees the action go from no output to its output (or errors) without polling. Only
 * a subscription whose root fields are all async action results is taken here; every other
 * subscription goes to the live-query machinery.
 */
import { encodeGqlError, toQErr } from '../errors.ts';
import type { ExecOptions, StepCall, StepKind } from '../execute/planner.ts';
import type { Session } from '../session.ts';
import { stateActions } from './definitions.ts';
import type { EngineState } from '../execute/state.ts';
import { admitDocument } from '../limits/index.ts';
import type { InputContext } from '../parse/input.ts';
import { collectFields, resolveVariables, selectOperation } from '../parse/operation.ts';
import type { ObjectTypeDef } from '../schema/types.ts';

export interface ActionSubscription {
  stop(): void;
}

export async function startActionSubscription(
  kind: StepKind,
  c: {
    state: EngineState;
    session: Session;
    payload: { query?: unknown; variables?: unknown; operationName?: unknown };
    opts: ExecOptions;
    intervalMs: number;
    send(body: string): void;
  },
): Promise<ActionSubscription | null> {
  const { state, session, payload } = c;
  // only async actions have results to subscribe to
  if (![...stateActions(state).actions.values()].some((a) => a.async)) return null;
  const opName = typeof payload.operationName === 'string' ? payload.operationName : undefined;
  let op;
  let call: StepCall;
  try {
    const limits = c.opts.limits.forClient(state.metadata, session);
    op = selectOperation(admitDocument(payload.query, opName, limits), opName);
    if (op.type !== 'subscription') return null;
    const schema = state.schemaFor(
      session.role,
      session.backendOnlyPermissions === true,
      session.relay,
    );
    const root = schema.subscriptionType
      ? (schema.types.get(schema.subscriptionType) as ObjectTypeDef)
      : null;
    if (!root) return null;
    const variables = resolveVariables(op, payload.variables);
    const input: InputContext = { schema, variables, structural: new Set() };
    const fields = collectFields(root.name, op.selections, schema, input);
    const isResult = (name: string) => {
      const info = root.fields.get(name)?.info;
      return info?.k === 'action' && info.part === 'async_result';
    };
    if (!fields.length || !fields.every((f) => isResult(f.name))) return null;
    // the same fields on query_root answer it
    const queryRoot = schema.types.get(schema.queryType) as ObjectTypeDef;
    const asQuery = { ...op, type: 'query' as const };
    call = {
      state,
      session,
      op: asQuery,
      queryText: String(payload.query),
      opts: c.opts,
      schema,
      rootType: queryRoot,
      input,
      fields: collectFields(queryRoot.name, op.selections, schema, input),
    };
  } catch {
    return null; // the live-query path reports what is wrong with it
  }
  /** The action step's answer, or its error, as a response body. */
  const answer = async (): Promise<string> => {
    try {
      const a = await kind.plan(call, call.fields).run();
      return JSON.stringify({ data: 'data' in a ? a.data : null });
    } catch (e) {
      const q = toQErr(e);
      return JSON.stringify({
        errors: [encodeGqlError(q, c.opts.includeInternal && session.isAdmin)],
      });
    }
  };
  let stopped = false;
  let last = '';
  let timer: NodeJS.Timeout | null = null;
  const tick = async () => {
    timer = null;
    try {
      const body = await answer();
      if (!stopped && body !== last) {
        last = body;
        c.send(body);
      }
    } catch {
      // a failed read is tried again at the next interval
    }
    if (!stopped) timer = setTimeout(() => void tick(), c.intervalMs);
  };
  await tick();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
