/**
 * An operation's plan is an ordered list of steps (Hasura's execution steps); each step answers
 * some of the operation's root fields. Today's kinds: `postgres` (the one statement, or the one
 * transaction, of the operation's database root fields: query.ts, mutation.ts), the kinds
 * registered in `ExecOptions.stepKinds` (actions/: a sync action's webhook call, an async
 * action's enqueue or stored result), and `cached`, a wrapper of a step whose answer is kept
 * (query-cache.ts). One executor (`runSteps`) runs them and assembles the response in the
 * document's root-field order.
 *
 * A new step kind (a remote join, a REST call) is one `StepKind` (planner.ts): the root-field
 * kind of the role's schema it answers (`FieldInfo.k`) and how it plans its step for those
 * fields — the planner (graphql.ts planSteps) groups the root fields and this executor runs the
 * step; no new planner.
 */
import type { OperationResult, Step, StepAnswer } from './planner.ts';

/**
 * Run a plan's steps in order — a mutation's root fields run in the order written, and a failing
 * statement calls no webhook — and assemble `data` in `order` (the root fields' response keys).
 * A plan of one step that answers bytes is answered with those bytes, unparsed.
 */
export async function runSteps(
  steps: readonly Step[],
  order: readonly string[],
): Promise<OperationResult> {
  const answers: StepAnswer[] = [];
  for (const s of steps) answers.push(await s.run());
  const only = answers.length === 1 ? answers[0]! : undefined;
  const headers = only ? (only.headers ?? []) : answers.flatMap((a) => a.headers ?? []);
  let body: string;
  if (only && 'body' in only) body = only.body;
  else body = JSON.stringify({ data: assemble(answers, order) });
  const r: OperationResult = { body, isError: false, errorCodes: [] };
  if (headers.length) r.headers = headers;
  return r;
}

/** `data` in the root fields' order, from the steps' answers. */
function assemble(
  answers: readonly StepAnswer[],
  order: readonly string[],
): Record<string, unknown> {
  const byKey = new Map<string, unknown>();
  for (const a of answers) {
    const data =
      'body' in a ? (JSON.parse(a.body) as { data: Record<string, unknown> }).data : a.data;
    for (const [k, v] of Object.entries(data)) byKey.set(k, v);
  }
  const data: Record<string, unknown> = {};
  for (const k of order) data[k] = byKey.get(k);
  return data;
}
