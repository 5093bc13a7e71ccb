/**
 * Whether a stored GraphQL document (a query collection's query) still fits a role's schema, with
 * Hasura's wording for what does not: `$.test_table.col: field 'col' not found in object
 * 'test_table'`. Used where a document is kept rather than run — the consistency of collections
 * behind REST endpoints and the allow list, and the OpenAPI document's warnings — so it checks
 * what a schema change can break (fields of object types, through fragments), not everything
 * the planner checks when the document is run.
 */
import {
  parse,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { collectionsOf, endpointsOf } from '../metadata/collections.ts';
import type { Metadata } from '../metadata/types.ts';
import type { Inconsistency } from './source.ts';
import { namedOf, type RoleSchema } from './types.ts';

export function documentProblems(schema: RoleSchema, query: string): string[] {
  let doc;
  try {
    doc = parse(query);
  } catch (e) {
    return [`not a valid graphql query: ${(e as Error).message}`];
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions)
    if (d.kind === 'FragmentDefinition') fragments.set(d.name.value, d);
  const problems: string[] = [];
  const walk = (
    set: SelectionSetNode | undefined,
    typeName: string,
    path: string,
    seen: Set<string>,
  ) => {
    const type = schema.types.get(typeName);
    if (!set || !type || type.kind !== 'OBJECT') return;
    for (const s of set.selections) {
      if (s.kind === 'Field') {
        const name = s.name.value;
        if (name.startsWith('__')) continue;
        const key = `${path}.${s.alias?.value ?? name}`;
        const f = type.fields.get(name);
        if (!f) {
          problems.push(`${key}: field '${name}' not found in object '${typeName}'`);
          continue;
        }
        walk(s.selectionSet, namedOf(f.type), key, seen);
      } else if (s.kind === 'InlineFragment') {
        walk(s.selectionSet, s.typeCondition?.name.value ?? typeName, path, seen);
      } else {
        const frag = fragments.get(s.name.value);
        if (!frag) {
          problems.push(`${path}: fragment '${s.name.value}' is not defined`);
        } else if (!seen.has(s.name.value)) {
          walk(
            frag.selectionSet,
            frag.typeCondition.name.value,
            path,
            new Set([...seen, s.name.value]),
          );
        }
      }
    }
  };
  for (const d of doc.definitions) {
    if (d.kind !== 'OperationDefinition') continue;
    const op = d as OperationDefinitionNode;
    const root =
      op.operation === 'query'
        ? schema.queryType
        : op.operation === 'mutation'
          ? schema.mutationType
          : schema.subscriptionType;
    if (!root) {
      problems.push(`$: no ${op.operation === 'mutation' ? 'mutations' : 'subscriptions'} exist`);
      continue;
    }
    walk(op.selectionSet, root, '$', new Set());
  }
  return problems;
}

/**
 * The queries of the metadata's collections that the admin schema no longer serves, as Hasura
 * reports them (type `query_collections`), naming the REST endpoints that use each.
 */
export function collectionInconsistencies(md: Metadata, admin: RoleSchema): Inconsistency[] {
  const out: Inconsistency[] = [];
  const endpoints = endpointsOf(md);
  for (const c of collectionsOf(md)) {
    for (const q of c.definition.queries) {
      const problems = documentProblems(admin, q.query);
      if (!problems.length) continue;
      const users = endpoints.filter(
        (e) =>
          e.definition.query.collection_name === c.name && e.definition.query.query_name === q.name,
      );
      let reason = `Inconsistent object: In query collection "${c.name}" the query "${q.name}" is invalid with the following error(s): ${problems.map((p) => `"${p}"`).join(', ')}`;
      if (users.length)
        reason += `. This query is being used in the following REST endpoint(s): ${users.map((e) => `"${e.name}"`).join(', ')}`;
      out.push({
        type: 'query_collections',
        name: `query_collections ${q.name} in ${c.name}`,
        reason,
        definition: { name: q.name, query: q.query },
      });
    }
  }
  return out;
}
