/**
 * A source's customization (Hasura's SourceCustomization, `sources[i].customization`), applied
 * to the part of a role's schema that the source builds:
 *
 * - `type_names`: every type name the source generates gets `prefix` and `suffix`, or the name
 *   `mapping` gives it; GraphQL's own scalars (Int, Float, String, Boolean, ID) keep theirs;
 * - `root_fields`: every root field gets `prefix` and `suffix`; with `namespace`, the source's
 *   root fields are the fields of one root field named so, of type `<namespace>_query`
 *   (`_mutation_frontend`, `_subscription`), itself a customized type name.
 *
 * A source without customization shares the types it has in common with the others (the
 * comparison expressions, `order_by`): the first source's definition stands.
 */
import type { BuilderCore } from './builder-core.ts';
import type { SourceCustomization, SourceInfo } from './source.ts';
import {
  named,
  nn,
  type FieldDef,
  type InputValueDef,
  type TypeDef,
  type TypeRef,
} from './types.ts';

const GRAPHQL_SCALARS = new Set(['Int', 'Float', 'String', 'Boolean', 'ID']);

export function isPlain(c: SourceCustomization): boolean {
  return (
    c.namespace === null &&
    !c.fieldPrefix &&
    !c.fieldSuffix &&
    !c.typePrefix &&
    !c.typeSuffix &&
    Object.keys(c.typeMapping).length === 0
  );
}

/**
 * The name a type generated as `name` has in `source`, after its customization (prefix and
 * suffix joined in the source's naming convention, naming-convention.ts).
 */
export function customTypeName(source: SourceInfo, name: string): string {
  const c = source.customization;
  const mapped = c.typeMapping[name];
  if (typeof mapped === 'string') return mapped;
  if (GRAPHQL_SCALARS.has(name)) return name;
  return source.naming.customized(name, c.typePrefix, c.typeSuffix);
}

/** The name a root field generated as `name` has in `source`, after its customization. */
export function customRootFieldName(source: SourceInfo, name: string): string {
  const c = source.customization;
  return source.naming.customized(name, c.fieldPrefix, c.fieldSuffix);
}

const NAMESPACE_ROOTS = [
  ['queryFields', 'query'],
  ['mutationFields', 'mutation_frontend'],
  ['subscriptionFields', 'subscription'],
] as const;

/** Add what `part` built for `source` to the schema `b`, customized. */
export function mergeSourcePart(b: BuilderCore, part: BuilderCore, source: SourceInfo): void {
  const c = source.customization;
  const typeName = (n: string) => customTypeName(source, n);
  const ref = (t: TypeRef): TypeRef =>
    t.kind === 'NAMED' ? named(typeName(t.name)) : { kind: t.kind, of: ref(t.of) };
  const input = (v: InputValueDef): InputValueDef => ({ ...v, type: ref(v.type) });
  const field = (f: FieldDef): FieldDef => ({ ...f, type: ref(f.type), args: f.args.map(input) });
  const fields = <T>(m: Map<string, T>, each: (x: T) => T) =>
    new Map([...m].map(([k, x]) => [k, each(x)]));
  for (const t of part.types.values()) {
    const name = typeName(t.name);
    let out: TypeDef;
    switch (t.kind) {
      case 'OBJECT':
        out = {
          ...t,
          name,
          fields: fields(t.fields, field),
          ...(t.interfaces ? { interfaces: t.interfaces.map(typeName) } : {}),
        };
        break;
      case 'INTERFACE':
        out = {
          ...t,
          name,
          fields: fields(t.fields, field),
          possibleTypes: t.possibleTypes.map(typeName),
        };
        break;
      case 'INPUT_OBJECT':
        out = { ...t, name, fields: fields(t.fields, input) };
        break;
      default:
        out = { ...t, name };
    }
    b.addType(out);
  }
  for (const [key, suffix] of NAMESPACE_ROOTS) {
    const own = new Map<string, FieldDef>();
    for (const f of part[key].values()) {
      // renamed in place: the mutation parser finds a field's kind by its definition object
      f.name = customRootFieldName(source, f.name);
      f.type = ref(f.type);
      f.args = f.args.map(input);
      own.set(f.name, f);
    }
    if (!own.size) continue;
    if (c.namespace === null) {
      for (const [n, f] of own) b[key].set(n, f);
      continue;
    }
    const tn = typeName(`${c.namespace}_${suffix}`);
    b.types.set(tn, { kind: 'OBJECT', name: tn, description: null, fields: own });
    b[key].set(c.namespace, {
      name: c.namespace,
      description: null,
      args: [],
      type: nn(tn),
      info: { k: 'namespace', source: source.name },
    });
  }
}
