/**
 * From request to resolved operation, in Hasura's order and with its messages
 * (Transport/HTTP/Protocol.hs getSingleOperation, Execute/Inline.hs, Execute/Resolve.hs,
 * schema-parsers Collect.hs and Directives.hs): from the document (parsed, and measured against
 * the request's limits, by limits/), pick the operation, inline
 * fragments (refusing cycles), resolve the variables, then — per selection set — apply
 * @skip/@include, keep the fragments whose type condition matches and merge fields by response
 * name.
 */
import {
  Kind,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type ValueNode,
} from 'graphql';
import { QErr, withPath } from '../errors.ts';
import type { RoleSchema, TypeRef } from '../schema/types.ts';
import {
  coerceArgs,
  isLeaf,
  q,
  typeFromAst,
  type InputContext,
  type VariableInfo,
} from './input.ts';

const fail = (
  message: string,
  code: 'validation-failed' | 'parse-failed' = 'validation-failed',
): never => {
  throw new QErr(code, message, 200);
};

/** A field after fragment inlining; `selections` may still hold inline fragments. */
export interface RawField {
  kind: 'field';
  name: string;
  alias: string | undefined;
  args: Map<string, ValueNode>;
  argsKey: string;
  directives: readonly DirectiveNode[];
  selections: RawSelection[];
  /** path prefix of this field's subselection (for errors) */
}

export interface RawFragment {
  kind: 'fragment';
  typeCondition: string | undefined;
  directives: readonly DirectiveNode[];
  selections: RawSelection[];
}

export type RawSelection = RawField | RawFragment;

export interface ResolvedOperation {
  type: 'query' | 'mutation' | 'subscription';
  name: string | undefined;
  directives: readonly DirectiveNode[];
  selections: RawSelection[];
  variableDefs: OperationDefinitionNode['variableDefinitions'];
}

export function selectOperation(
  doc: DocumentNode,
  operationName: string | null | undefined,
): ResolvedOperation {
  const ops: OperationDefinitionNode[] = [];
  const frags: FragmentDefinitionNode[] = [];
  for (const d of doc.definitions) {
    if (d.kind === Kind.OPERATION_DEFINITION) ops.push(d);
    else if (d.kind === Kind.FRAGMENT_DEFINITION) frags.push(d);
    else fail('not a valid graphql query');
  }
  // Hasura's parser separates a bare selection set (`{ … }`) from typed operations
  const anonymousShorthand = ops.filter(
    (o) =>
      !o.name && o.operation === 'query' && !o.variableDefinitions?.length && !o.directives?.length,
  );
  let op: OperationDefinitionNode | undefined;
  if (operationName) {
    if (anonymousShorthand.length)
      fail('operationName cannot be used when an anonymous operation exists in the document');
    op = ops.find((o) => o.name?.value === operationName);
    if (!op) fail(`no such operation found in the document: "${operationName}"`);
  } else {
    if (ops.length !== 1)
      fail(
        'exactly one operation has to be present in the document when operationName is not specified',
      );
    op = ops[0];
  }
  const byName = new Map<string, FragmentDefinitionNode>();
  for (const f of frags) {
    if (byName.has(f.name.value))
      fail(`multiple definitions for fragment ${q(f.name.value)}`, 'parse-failed');
    byName.set(f.name.value, f);
  }
  const selections = inlineSelections(op!.selectionSet.selections, byName, [], new Map());
  return {
    type: op!.operation,
    name: op!.name?.value,
    directives: op!.directives ?? [],
    selections,
    variableDefs: op!.variableDefinitions,
  };
}

function inlineSelections(
  sels: readonly SelectionNode[],
  frags: Map<string, FragmentDefinitionNode>,
  stack: string[],
  cache: Map<string, RawFragment>,
): RawSelection[] {
  return sels.map((s) => inlineSelection(s, frags, stack, cache));
}

function inlineSelection(
  s: SelectionNode,
  frags: Map<string, FragmentDefinitionNode>,
  stack: string[],
  cache: Map<string, RawFragment>,
): RawSelection {
  switch (s.kind) {
    case Kind.FIELD:
      return withPath(['selectionSet'], () =>
        withPath([s.name.value], () => rawField(s, frags, stack, cache)),
      );
    case Kind.FRAGMENT_SPREAD:
      return withPath(['selectionSet'], () => {
        const name = s.name.value;
        const idx = stack.indexOf(name);
        if (idx >= 0) {
          const cycle = [name, ...stack.slice(0, idx).reverse()];
          fail(`the fragment definition(s) ${englishList(cycle)} form a cycle`);
        }
        const def = frags.get(name);
        if (!def) return fail(`reference to undefined fragment ${q(name)}`);
        const cached = cache.get(name);
        const base =
          cached ??
          withPath([name], () => ({
            kind: 'fragment' as const,
            typeCondition: def.typeCondition.name.value,
            directives: def.directives ?? [],
            selections: inlineSelections(
              def.selectionSet.selections,
              frags,
              [name, ...stack],
              cache,
            ),
          }));
        if (!cached) cache.set(name, base);
        return { ...base, directives: [...base.directives, ...(s.directives ?? [])] };
      });
    case Kind.INLINE_FRAGMENT:
      return {
        kind: 'fragment',
        typeCondition: s.typeCondition?.name.value,
        directives: s.directives ?? [],
        selections: inlineSelections(s.selectionSet.selections, frags, stack, cache),
      };
  }
}

function englishList(xs: string[]): string {
  if (xs.length === 1) return xs[0]!;
  if (xs.length === 2) return `${xs[0]} and ${xs[1]}`;
  return `${xs.slice(0, -1).join(', ')}, and ${xs[xs.length - 1]}`;
}

function rawField(
  f: FieldNode,
  frags: Map<string, FragmentDefinitionNode>,
  stack: string[],
  cache: Map<string, RawFragment>,
): RawField {
  const args = new Map<string, ValueNode>();
  for (const a of f.arguments ?? []) args.set(a.name.value, a.value);
  return {
    kind: 'field',
    name: f.name.value,
    alias: f.alias?.value,
    args,
    argsKey: JSON.stringify((f.arguments ?? []).map((a) => [a.name.value, a.value])),
    directives: f.directives ?? [],
    selections: f.selectionSet
      ? inlineSelections(f.selectionSet.selections, frags, stack, cache)
      : [],
  };
}

/**
 * Resolve the operation's variables (Execute/Resolve.hs resolveVariables): duplicate definitions,
 * null for a non-null type, a missing non-null value, unexpected extra variables.
 */
export function resolveVariables(op: ResolvedOperation, given: unknown): Map<string, VariableInfo> {
  const values = (
    given && typeof given === 'object' && !Array.isArray(given) ? given : {}
  ) as Record<string, unknown>;
  const shape = variableShape(op);
  const out = new Map<string, VariableInfo>();
  const seen = new Set<string>();
  for (const [i, d] of (op.variableDefs ?? []).entries()) {
    const name = d.variable.name.value;
    if (seen.has(name)) fail(`multiple definitions for variable ${q(name)}`, 'parse-failed');
    seen.add(name);
    const type = shape.types[i]!;
    const provided = Object.prototype.hasOwnProperty.call(values, name);
    const value = provided ? values[name] : undefined;
    if (provided && value === null && type.kind === 'NON_NULL') {
      fail(`null value found for non-nullable type: "${showAst(d.type)}"`);
    }
    if (!provided && !d.defaultValue && type.kind === 'NON_NULL') {
      fail(`expecting a value for non-nullable variable: "${name}"`);
    }
    out.set(name, { name, type, value, provided, defaultValue: d.defaultValue });
  }
  const used = shape.used;
  const unexpected = Object.keys(values).filter((k) => !used.has(k));
  if (unexpected.length) fail(`unexpected variables in variableValues: ${unexpected.join(', ')}`);
  return out;
}

/**
 * What resolveVariables needs from the document alone, once per operation: a cached operation
 * (execute/planner.ts keeps them) then only checks the values of each request.
 */
const shapes = new WeakMap<ResolvedOperation, { types: TypeRef[]; used: Set<string> }>();

function variableShape(op: ResolvedOperation): { types: TypeRef[]; used: Set<string> } {
  let shape = shapes.get(op);
  if (!shape) {
    shape = {
      types: (op.variableDefs ?? []).map((d) => typeFromAst(d.type)),
      used: usedVariables(op),
    };
    shapes.set(op, shape);
  }
  return shape;
}

function showAst(
  t: NonNullable<OperationDefinitionNode['variableDefinitions']>[number]['type'],
): string {
  switch (t.kind) {
    case Kind.NAMED_TYPE:
      return t.name.value;
    case Kind.LIST_TYPE:
      return `[${showAst(t.type)}]`;
    case Kind.NON_NULL_TYPE:
      return `${showAst(t.type)}!`;
  }
}

function usedVariables(op: ResolvedOperation): Set<string> {
  const used = new Set<string>();
  const walkValue = (v: ValueNode): void => {
    if (v.kind === Kind.VARIABLE) used.add(v.name.value);
    else if (v.kind === Kind.LIST) v.values.forEach(walkValue);
    else if (v.kind === Kind.OBJECT) v.fields.forEach((f) => walkValue(f.value));
  };
  const walkDirs = (ds: readonly DirectiveNode[]) =>
    ds.forEach((d) => d.arguments?.forEach((a) => walkValue(a.value)));
  const walk = (sels: RawSelection[]): void => {
    for (const s of sels) {
      walkDirs(s.directives);
      if (s.kind === 'field') s.args.forEach(walkValue);
      walk(s.selections);
    }
  };
  walkDirs(op.directives);
  walk(op.selections);
  return used;
}

const INCLUSION = new Set(['skip', 'include']);

/**
 * Check directives at a location (Directives.hs parseDirectives) and evaluate @skip/@include.
 * Returns false when the selection is excluded.
 */
export function checkDirectives(
  dirs: readonly DirectiveNode[],
  location: 'FIELD' | 'FRAGMENT_SPREAD' | 'INLINE_FRAGMENT' | 'QUERY' | 'MUTATION' | 'SUBSCRIPTION',
  schema: RoleSchema,
  ctx: InputContext,
): boolean {
  const names = dirs.map((d) => d.name.value);
  for (const d of dirs) {
    const def = schema.directives.find((x) => x.name === d.name.value);
    if (!def) fail(`directive ${q(d.name.value)} is not defined in the schema`);
    if (!def!.locations.includes(location)) {
      const human: Record<string, string> = {
        QUERY: 'a query',
        MUTATION: 'a mutation',
        SUBSCRIPTION: 'a subscription',
        FIELD: 'a field',
        FRAGMENT_SPREAD: 'a fragment spread',
        INLINE_FRAGMENT: 'an inline fragment',
      };
      fail(`directive ${q(d.name.value)} is not allowed on ${human[location]}`);
    }
  }
  const dups = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
  if (dups.length)
    fail(`the following directives are used more than once: ${dups.map(q).join(', ')}`);
  let include = true;
  for (const d of dirs) {
    if (!INCLUSION.has(d.name.value)) continue;
    const def = schema.directives.find((x) => x.name === d.name.value)!;
    const given = new Map<string, ValueNode>();
    for (const a of d.arguments ?? []) {
      if (!def.args.some((x) => x.name === a.name.value))
        fail(`${q(d.name.value)} has no argument named ${q(a.name.value)}`);
      given.set(a.name.value, a.value);
    }
    const args = withPath(['args'], () => coerceArgs(def.args, given, ctx));
    const v = args.get('if');
    const b = v && isLeaf(v) ? v.json === true : false;
    if (v && isLeaf(v) && v.fromVar) ctx.structural.add(v.fromVar);
    if (d.name.value === 'skip' && b) include = false;
    if (d.name.value === 'include' && !b) include = false;
  }
  return include;
}

export interface CollectedField extends RawField {
  responseKey: string;
}

/**
 * Flatten a selection set for an object type: evaluate inclusion directives, keep fragments whose
 * type condition names this type, and merge fields with the same response key (one level).
 */
export function collectFields(
  typeName: string,
  sels: RawSelection[],
  schema: RoleSchema,
  ctx: InputContext,
): CollectedField[] {
  const flat: RawField[] = [];
  const flatten = (xs: RawSelection[]): void => {
    for (const s of xs) {
      if (s.kind === 'field') {
        if (checkDirectives(s.directives, 'FIELD', schema, ctx)) flat.push(s);
      } else {
        const loc = 'INLINE_FRAGMENT';
        if (!checkDirectives(s.directives, loc, schema, ctx)) continue;
        if (s.typeCondition && s.typeCondition !== typeName) continue;
        flatten(s.selections);
      }
    }
  };
  flatten(sels);
  const merged = new Map<string, CollectedField>();
  for (const f of flat) {
    const key = f.alias ?? f.name;
    const old = merged.get(key);
    if (!old) {
      merged.set(key, { ...f, responseKey: key });
      continue;
    }
    if (old.name !== f.name) {
      fail(
        `selection of both ${q(old.name)} and ${q(f.name)} specify the same response name, ${q(key)}`,
      );
    }
    if (old.argsKey !== f.argsKey)
      fail(`inconsistent arguments between multiple selections of field ${q(old.name)}`);
    merged.set(key, {
      ...old,
      directives: [...old.directives, ...f.directives],
      selections: [...old.selections, ...f.selections],
    });
  }
  return [...merged.values()];
}
