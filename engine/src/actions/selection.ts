/**
 * What a client selected of an action's output, planned before the webhook is called (so a bad
 * selection is refused without calling it, as Hasura validates at parse time), then applied to
 * the webhook's answer: fields picked by name, `__typename`, nested objects and lists, and
 * relationships to tables, each read with one SQL statement built by the ordinary select planner
 * (the role's permission filter and column list apply) with the mapped fields as parameters.
 */
import type pg from 'pg';
import { bindPlaceholders, compile } from '@streamsync/database';
import { pgQueryError, QErr, withPath } from '../errors.ts';
import type { AggSelect, AnnSelect, BoolExp, RootField } from '../ir/types.ts';
import type { CollectedField } from '../parse/operation.ts';
import {
  aggSelect,
  baseSelect,
  fieldArgs,
  lookupField,
  subFields,
  tableFields,
  tableSelect,
  type SelectContext,
} from '../parse/select.ts';
import type { ObjectTypeDef, TypeRef } from '../schema/types.ts';
import { SelectTranslator, toPgParam } from '../translate/select.ts';
import { baseName, type ActionsInfo, type ResolvedRelationship } from './definitions.ts';

export type Projection =
  { k: 'leaf' } | { k: 'object'; typeName: string; fields: Array<[string, ProjectedField]> };

export type ProjectedField =
  | { k: 'typename'; name: string }
  | { k: 'value'; name: string; proj: Projection }
  | { k: 'rel'; rel: ResolvedRelationship; select: AnnSelect }
  | { k: 'rel_agg'; rel: ResolvedRelationship; agg: AggSelect };

const fail = (message: string): never => {
  throw new QErr('validation-failed', message, 200);
};

/** Plan the selection `f` makes of a value of type `type` (an action output, or part of one). */
export function planSelection(
  ctx: SelectContext,
  actions: ActionsInfo,
  type: TypeRef,
  f: CollectedField,
): Projection {
  const name = baseName(type);
  const t = ctx.schema.types.get(name);
  if (!t || t.kind !== 'OBJECT') {
    if (f.selections.length) fail('unexpected subselection set for non-object field');
    return { k: 'leaf' };
  }
  const obj = actions.objects.get(name);
  const fields: Array<[string, ProjectedField]> = [];
  for (const sf of subFields(ctx, name, f)) {
    fields.push([
      sf.responseKey,
      withPath(['selectionSet', sf.name], () => planField(ctx, actions, t, sf, obj?.relationships)),
    ]);
  }
  ctx.depth--;
  return { k: 'object', typeName: name, fields };
}

function planField(
  ctx: SelectContext,
  actions: ActionsInfo,
  t: ObjectTypeDef,
  sf: CollectedField,
  rels: ResolvedRelationship[] | undefined,
): ProjectedField {
  if (sf.name === '__typename') return { k: 'typename', name: t.name };
  const def = lookupField(t, sf);
  const args = fieldArgs(ctx, def, sf);
  if (def.info.k === 'action_rel') {
    const rel = rels?.find((r) => r.name === (def.info as { rel: string }).rel);
    if (!rel) return fail(`field '${sf.name}' not found in type: '${t.name}'`);
    const table = rel.table;
    if (def.info.aggregate)
      return { k: 'rel_agg', rel, agg: aggSelect(ctx, table, { k: 'table' }, args, sf) };
    if (rel.kind === 'array')
      return { k: 'rel', rel, select: tableSelect(ctx, table, { k: 'table' }, args, sf) };
    const select = baseSelect(ctx, table, { k: 'table' });
    select.fields = withPath(['selectionSet'], () =>
      tableFields(ctx, table, subFields(ctx, table.gqlName, sf)),
    );
    ctx.depth--;
    return { k: 'rel', rel, select };
  }
  return { k: 'value', name: sf.name, proj: planSelection(ctx, actions, def.type, sf) };
}

export interface ProjectDeps {
  pool: pg.Pool;
  ctx: SelectContext;
  sessionVariables: Record<string, string>;
}

/**
 * Apply a projection to a (validated) webhook answer. A field the answer left out is null in the
 * output object itself, and left out below it (Hasura reads the top level as a record and passes
 * nested objects through as JSON).
 */
export async function project(
  deps: ProjectDeps,
  proj: Projection,
  value: unknown,
  nested = false,
): Promise<unknown> {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return Promise.all(value.map((v) => project(deps, proj, v, nested)));
  if (proj.k === 'leaf') return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, f] of proj.fields) {
    if (f.k === 'typename') out[key] = f.name;
    else if (f.k === 'value') {
      if (nested && obj[f.name] === undefined) continue;
      out[key] = await project(deps, f.proj, obj[f.name], true);
    } else if (f.k === 'rel')
      out[key] = await readRelationship(deps, f.rel, { k: 'select', select: f.select }, obj);
    else out[key] = await readRelationship(deps, f.rel, { k: 'agg', agg: f.agg }, obj);
  }
  return out;
}

async function readRelationship(
  deps: ProjectDeps,
  rel: ResolvedRelationship,
  root: Extract<RootField, { k: 'select' } | { k: 'agg' }>,
  parent: Record<string, unknown>,
): Promise<unknown> {
  const values = rel.mapping.map(([field]) => parent[field]);
  if (root.k === 'select' && values.some((v) => v === null || v === undefined))
    return rel.kind === 'array' ? [] : null;
  const select = root.k === 'select' ? root.select : root.agg.select;
  const join: BoolExp = {
    k: 'and',
    items: rel.mapping.map(([, column], i) => {
      const pgType = rel.table.columnsByName.get(column)!.pg.formatted;
      return {
        k: 'col',
        column,
        pgType,
        ops: [{ op: '_eq', value: { k: 'lit', value: values[i], pgType } }],
      } as BoolExp;
    }),
  };
  const where: BoolExp = select.args.where ? { k: 'and', items: [select.args.where, join] } : join;
  const one: AnnSelect = { ...select, args: { ...select.args, where } };
  const field: RootField =
    root.k === 'select'
      ? { k: 'select', select: one }
      : { k: 'agg', agg: { ...root.agg, select: one } };
  const { statement } = new SelectTranslator().query({ root: [['r', field]] });
  const compiled = compile(statement);
  const params = new Map(deps.ctx.params.map((p) => [`v:${p.key}`, p]));
  const bound = bindPlaceholders(compiled, (k) => {
    if (k === 'session') return JSON.stringify(deps.sessionVariables);
    if (k.startsWith('s:')) return deps.sessionVariables[k.slice(2)] ?? null;
    const p = params.get(k);
    // a variable's value was checked when the selection was planned, for this very request
    return p ? toPgParam(p.leaf.json, p.pgType) : undefined;
  });
  let text: string | null;
  try {
    const res = await deps.pool.query<{ c0: string | null }>({
      text: compiled.text,
      values: bound,
    });
    text = res.rows[0]?.c0 ?? null;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (!err.code) throw e;
    throw pgQueryError(err, compiled.text, bound);
  }
  if (root.k === 'agg') return text === null ? null : (JSON.parse(text) as unknown);
  const rows = text === null ? [] : (JSON.parse(text) as unknown[]);
  return rel.kind === 'array' ? rows : (rows[0] ?? null);
}
