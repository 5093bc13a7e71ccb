/**
 * What a GraphQL document costs, measured on the document as written, before any of it is
 * expanded, planned or run — in time linear in its size:
 *
 * - the text is scanned once for bracket nesting before the parser (a recursive descent) sees
 *   it, and the parser stops at a token budget;
 * - fields are counted through the fragment graph: each fragment's field count and depth are
 *   computed once (memoised, in dependency order, without recursion over the graph), so a
 *   fragment spread twice per level costs one addition per level, however large its expansion;
 * - depth counts fields on the longest path, through fragments and inline fragments;
 * - argument literals are measured like variable values (input-size.ts): nesting, list lengths.
 */
import { Kind, parse, type DocumentNode, type SelectionSetNode, type ValueNode } from 'graphql';
import { QErr } from '../errors.ts';

export interface DocumentCost {
  /** fields on the longest path from the operation's root, leaves included */
  depth: number;
  /** field selections, each fragment spread counted as its full expansion */
  nodes: number;
  /** selection sets and fragments entered on the longest path (what the planner recurses on) */
  nesting: number;
  /** deepest nesting of an argument literal (objects and lists) */
  inputDepth: number;
  /** longest list in an argument literal */
  longestList: number;
}

/** Caps that protect the engine itself: they hold for every role, admin included. */
export interface DocumentCaps {
  /** brackets (`{`, `(`, `[`) open at once in the text */
  maxNesting: number;
  /** GraphQL tokens in the document */
  maxTokens: number;
}

const invalid = (message: string) => new QErr('validation-failed', message, 200, ['query']);

/** Deepest bracket nesting of a GraphQL text, skipping strings, block strings and comments. */
export function bracketNesting(text: string, stopAbove: number): number {
  let depth = 0;
  let max = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x23 /* # */) {
      while (i < n && text.charCodeAt(i) !== 0x0a && text.charCodeAt(i) !== 0x0d) i++;
    } else if (c === 0x22 /* " */) {
      if (text.startsWith('"""', i)) {
        i += 3;
        while (i < n && !text.startsWith('"""', i)) i += text.startsWith('\\"""', i) ? 4 : 1;
        i += 2;
      } else {
        i++;
        while (i < n) {
          const d = text.charCodeAt(i);
          if (d === 0x5c /* \ */) i += 2;
          else if (d === 0x22 || d === 0x0a) break;
          else i++;
        }
      }
    } else if (c === 0x7b || c === 0x28 || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > stopAbove) return max;
      }
    } else if (c === 0x7d || c === 0x29 || c === 0x5d) {
      if (depth > 0) depth--;
    }
  }
  return max;
}

/** Parse a query text within the caps; any text that is not a document gets Hasura's answer. */
export function parseWithinCaps(text: unknown, caps: DocumentCaps): DocumentNode {
  if (typeof text !== 'string') throw invalid('not a valid graphql query');
  if (bracketNesting(text, caps.maxNesting) > caps.maxNesting)
    throw invalid(`the query nests more than ${caps.maxNesting} levels`);
  try {
    return parse(text, { noLocation: true, maxTokens: caps.maxTokens });
  } catch (e) {
    if (/more than \d+ tokens/.test((e as Error).message))
      throw invalid(`the query has more than ${caps.maxTokens} tokens`);
    throw invalid('not a valid graphql query');
  }
}

interface Summary {
  nodes: number;
  depth: number;
  nest: number;
}

const EMPTY: Summary = { nodes: 0, depth: 0, nest: 0 };

// far above any limit, far below where doubles lose integers
const SATURATE = 2 ** 50;

/** Measure the operation `operationName` names (or, when that is ambiguous, the costliest one). */
export function measureDocument(doc: DocumentNode, operationName?: string | null): DocumentCost {
  const fragments = new Map<string, SelectionSetNode>();
  const operations: Array<{ name: string | undefined; set: SelectionSetNode }> = [];
  const cost: DocumentCost = { depth: 0, nodes: 0, nesting: 0, inputDepth: 0, longestList: 0 };
  for (const d of doc.definitions) {
    if (d.kind === Kind.FRAGMENT_DEFINITION) {
      // a duplicate definition is refused later; measure the first, as the planner would use
      if (!fragments.has(d.name.value)) fragments.set(d.name.value, d.selectionSet);
    } else if (d.kind === Kind.OPERATION_DEFINITION)
      operations.push({ name: d.name?.value, set: d.selectionSet });
    measureLiterals(d, cost);
  }
  const summaries = summariseFragments(fragments);
  let chosen = operations;
  if (operationName) chosen = operations.filter((o) => o.name === operationName);
  for (const o of chosen) {
    const s = summarise(o.set, summaries);
    cost.nodes = Math.max(cost.nodes, s.nodes);
    cost.depth = Math.max(cost.depth, s.depth);
    cost.nesting = Math.max(cost.nesting, s.nest);
  }
  return cost;
}

/** Spread names used anywhere in a selection set (the set is bounded by the nesting cap). */
function spreadsOf(set: SelectionSetNode, out: Set<string>): Set<string> {
  for (const s of set.selections) {
    if (s.kind === Kind.FRAGMENT_SPREAD) out.add(s.name.value);
    else if (s.selectionSet) spreadsOf(s.selectionSet, out);
  }
  return out;
}

/**
 * Each fragment's summary, computed once, dependencies first, with an explicit stack: a chain of
 * a million fragments costs a million steps, not a million stack frames. A cycle (refused with
 * Hasura's message by the planner) or an unknown fragment counts as empty here.
 */
function summariseFragments(fragments: Map<string, SelectionSetNode>): Map<string, Summary> {
  const done = new Map<string, Summary>();
  const visiting = new Set<string>();
  const deps = new Map<string, string[]>();
  for (const root of fragments.keys()) {
    if (done.has(root)) continue;
    const stack = [root];
    while (stack.length) {
      const name = stack[stack.length - 1]!;
      if (done.has(name)) {
        stack.pop();
        continue;
      }
      const set = fragments.get(name);
      if (!set) {
        done.set(name, EMPTY);
        stack.pop();
        continue;
      }
      let ds = deps.get(name);
      if (!ds) deps.set(name, (ds = [...spreadsOf(set, new Set())]));
      const pending = ds.filter((d) => !done.has(d) && !visiting.has(d));
      if (pending.length && !visiting.has(name)) {
        visiting.add(name);
        stack.push(...pending);
        continue;
      }
      if (pending.length) {
        // revisited with unfinished dependencies: only possible through a cycle
        for (const d of pending) if (!done.has(d)) done.set(d, EMPTY);
      }
      for (const d of ds) if (!done.has(d)) done.set(d, EMPTY);
      visiting.delete(name);
      done.set(name, summarise(set, done));
      stack.pop();
    }
  }
  return done;
}

function summarise(set: SelectionSetNode, fragments: Map<string, Summary>): Summary {
  let nodes = 0;
  let depth = 0;
  let nest = 0;
  for (const s of set.selections) {
    let sub: Summary;
    if (s.kind === Kind.FIELD) {
      sub = s.selectionSet ? summarise(s.selectionSet, fragments) : EMPTY;
      sub = { nodes: sub.nodes + 1, depth: sub.depth + 1, nest: sub.nest };
    } else if (s.kind === Kind.INLINE_FRAGMENT) sub = summarise(s.selectionSet, fragments);
    else sub = fragments.get(s.name.value) ?? EMPTY;
    nodes = Math.min(SATURATE, nodes + sub.nodes);
    if (sub.depth > depth) depth = sub.depth;
    if (sub.nest > nest) nest = sub.nest;
  }
  return { nodes, depth, nest: nest + 1 };
}

/** Nesting and list lengths of every literal value in a definition (explicit stack). */
function measureLiterals(def: DocumentNode['definitions'][number], cost: DocumentCost): void {
  const values: Array<[ValueNode, number]> = [];
  const sets: SelectionSetNode[] = [];
  const take = (
    args: ReadonlyArray<{ value: ValueNode }> | undefined,
    dirs: ReadonlyArray<{ arguments?: ReadonlyArray<{ value: ValueNode }> }> | undefined,
  ) => {
    for (const a of args ?? []) values.push([a.value, 1]);
    for (const d of dirs ?? []) for (const a of d.arguments ?? []) values.push([a.value, 1]);
  };
  if (def.kind === Kind.OPERATION_DEFINITION) {
    take(undefined, def.directives);
    for (const v of def.variableDefinitions ?? [])
      if (v.defaultValue) values.push([v.defaultValue, 1]);
  }
  if ('selectionSet' in def && def.selectionSet) sets.push(def.selectionSet);
  while (sets.length) {
    for (const s of sets.pop()!.selections) {
      if (s.kind === Kind.FIELD) take(s.arguments, s.directives);
      else take(undefined, s.directives);
      if (s.kind !== Kind.FRAGMENT_SPREAD && s.selectionSet) sets.push(s.selectionSet);
    }
  }
  while (values.length) {
    const [v, depth] = values.pop()!;
    if (v.kind === Kind.LIST) {
      if (depth > cost.inputDepth) cost.inputDepth = depth;
      if (v.values.length > cost.longestList) cost.longestList = v.values.length;
      for (const x of v.values) values.push([x, depth + 1]);
    } else if (v.kind === Kind.OBJECT) {
      if (depth > cost.inputDepth) cost.inputDepth = depth;
      for (const f of v.fields) values.push([f.value, depth + 1]);
    }
  }
}
