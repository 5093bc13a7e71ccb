/**
 * `__schema`, `__type` and `__typename` answered from the role's schema model, as Hasura's
 * Introspect.hs does: types sorted by name, fields, arguments and input fields sorted by name,
 * enum values in definition order.
 */
import { QErr, withPath } from '../errors.ts';
import { coerceArgs, isLeaf, q, type InputContext } from '../parse/input.ts';
import { collectFields, type CollectedField } from '../parse/operation.ts';
import type {
  DirectiveDef,
  EnumValueDef,
  FieldDef,
  InputValueDef,
  RoleSchema,
  TypeDef,
  TypeRef,
} from './types.ts';
import { named } from './types.ts';

type Obj = Record<string, unknown>;

const fail = (message: string): never => {
  throw new QErr('validation-failed', message, 200);
};

/** Meta-type name → its fields (name → argument definitions). */
const META: Record<string, Record<string, InputValueDef[]>> = {
  __Schema: {
    description: [],
    types: [],
    queryType: [],
    mutationType: [],
    subscriptionType: [],
    directives: [],
  },
  __Type: {
    kind: [],
    name: [],
    description: [],
    fields: [
      {
        name: 'includeDeprecated',
        description: null,
        type: { kind: 'NAMED', name: 'Boolean' },
        defaultValue: 'false',
        parse: 'bool',
      },
    ],
    interfaces: [],
    possibleTypes: [],
    enumValues: [
      {
        name: 'includeDeprecated',
        description: null,
        type: { kind: 'NAMED', name: 'Boolean' },
        defaultValue: 'false',
        parse: 'bool',
      },
    ],
    inputFields: [],
    ofType: [],
    specifiedByURL: [],
  },
  __Field: {
    name: [],
    description: [],
    args: [],
    type: [],
    isDeprecated: [],
    deprecationReason: [],
  },
  __InputValue: { name: [], description: [], type: [], defaultValue: [] },
  __EnumValue: { name: [], description: [], isDeprecated: [], deprecationReason: [] },
  __Directive: { name: [], description: [], locations: [], args: [], isRepeatable: [] },
};

const byName = <T extends { name: string }>(xs: Iterable<T>): T[] =>
  [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

interface TypeNode {
  ref?: TypeRef; // wrapper
  def?: TypeDef; // named
}

/** The introspection system's enums, which `__type(name:)` finds as Hasura does (values sorted). */
const metaEnum = (name: string, values: string[]): TypeDef => ({
  kind: 'ENUM',
  name,
  description: null,
  values: [...values].sort().map((v) => ({ name: v, description: null })),
});
const META_ENUMS: Record<string, TypeDef> = {
  __TypeKind: metaEnum('__TypeKind', [
    'SCALAR',
    'OBJECT',
    'INTERFACE',
    'UNION',
    'ENUM',
    'INPUT_OBJECT',
    'LIST',
    'NON_NULL',
  ]),
};

export function introspectionField(
  schema: RoleSchema,
  f: CollectedField,
  ctx: InputContext,
): unknown {
  if (f.name === '__schema') {
    if (f.args.size) fail(`${q('__schema')} has no argument named ${q([...f.args.keys()][0]!)}`);
    return resolveSchema(schema, f, ctx);
  }
  for (const name of f.args.keys())
    if (name !== 'name') fail(`${q('__type')} has no argument named ${q(name)}`);
  const args = withPath(['args'], () =>
    coerceArgs(
      [
        {
          name: 'name',
          description: null,
          type: { kind: 'NON_NULL', of: { kind: 'NAMED', name: 'String' } },
          parse: 'string',
        },
      ],
      f.args,
      ctx,
    ),
  );
  const name = args.get('name');
  const typeName = name && isLeaf(name) ? String(name.json) : undefined;
  const def =
    typeName === undefined ? undefined : (schema.types.get(typeName) ?? META_ENUMS[typeName]);
  if (!def) return null;
  return resolveType(schema, { def }, f, ctx);
}

function sub(
  schema: RoleSchema,
  typeName: string,
  f: CollectedField,
  ctx: InputContext,
): CollectedField[] {
  if (f.selections.length === 0) fail(`missing selection set for ${q(typeName)}`);
  return withPath(['selectionSet'], () => collectFields(typeName, f.selections, schema, ctx));
}

function resolveObject(
  schema: RoleSchema,
  typeName: string,
  f: CollectedField,
  ctx: InputContext,
  get: (field: CollectedField) => unknown,
): Obj {
  const out: Obj = {};
  for (const sf of sub(schema, typeName, f, ctx)) {
    out[sf.responseKey] = withPath([sf.name], () => {
      if (sf.name === '__typename') return typeName;
      const meta = META[typeName]!;
      if (!(sf.name in meta)) fail(`field ${q(sf.name)} not found in type: ${q(typeName)}`);
      for (const a of sf.args.keys())
        if (!meta[sf.name]!.some((d) => d.name === a))
          fail(`${q(sf.name)} has no argument named ${q(a)}`);
      return get(sf);
    });
  }
  return out;
}

function resolveSchema(schema: RoleSchema, f: CollectedField, ctx: InputContext): Obj {
  return resolveObject(schema, '__Schema', f, ctx, (sf) => {
    switch (sf.name) {
      case 'description':
        return null;
      case 'types':
        return byName(schema.types.values()).map((def) => resolveType(schema, { def }, sf, ctx));
      case 'queryType':
        return resolveType(schema, { def: schema.types.get(schema.queryType)! }, sf, ctx);
      case 'mutationType':
        return schema.mutationType
          ? resolveType(schema, { def: schema.types.get(schema.mutationType)! }, sf, ctx)
          : null;
      case 'subscriptionType':
        return schema.subscriptionType
          ? resolveType(schema, { def: schema.types.get(schema.subscriptionType)! }, sf, ctx)
          : null;
      case 'directives':
        return schema.directives.map((d) => resolveDirective(schema, d, sf, ctx));
    }
    return null;
  });
}

function typeNode(schema: RoleSchema, ref: TypeRef): TypeNode {
  if (ref.kind === 'NAMED') {
    const def = schema.types.get(ref.name) ?? {
      kind: 'SCALAR' as const,
      name: ref.name,
      description: null,
    };
    return { def };
  }
  return { ref };
}

function resolveType(schema: RoleSchema, t: TypeNode, f: CollectedField, ctx: InputContext): Obj {
  return resolveObject(schema, '__Type', f, ctx, (sf) => {
    const def = t.def;
    const ref = t.ref;
    const includeDeprecated = () => {
      const a = withPath(['args'], () => coerceArgs(META.__Type![sf.name]!, sf.args, ctx));
      const v = a.get('includeDeprecated');
      return v && isLeaf(v) ? v.json === true : false;
    };
    switch (sf.name) {
      case 'kind':
        return ref ? ref.kind : def!.kind;
      case 'name':
        return def ? def.name : null;
      case 'description':
        return def ? def.description : null;
      case 'specifiedByURL':
        return null;
      case 'fields': {
        includeDeprecated();
        if (!def || (def.kind !== 'OBJECT' && def.kind !== 'INTERFACE')) return null;
        return byName(def.fields.values()).map((fd) => resolveField(schema, fd, sf, ctx));
      }
      case 'interfaces':
        if (!def || def.kind !== 'OBJECT') return null;
        return (def.interfaces ?? []).map((name) =>
          resolveType(schema, typeNode(schema, named(name)), sf, ctx),
        );
      case 'possibleTypes':
        if (!def || def.kind !== 'INTERFACE') return null;
        return def.possibleTypes.map((name) =>
          resolveType(schema, typeNode(schema, named(name)), sf, ctx),
        );
      case 'enumValues': {
        includeDeprecated();
        if (!def || def.kind !== 'ENUM') return null;
        return def.values.map((v) => resolveEnumValue(schema, v, sf, ctx));
      }
      case 'inputFields':
        if (!def || def.kind !== 'INPUT_OBJECT') return null;
        return byName(def.fields.values()).map((iv) => resolveInputValue(schema, iv, sf, ctx));
      case 'ofType':
        if (!ref || ref.kind === 'NAMED') return null;
        return resolveType(schema, typeNode(schema, ref.of), sf, ctx);
    }
    return null;
  });
}

function resolveField(schema: RoleSchema, fd: FieldDef, f: CollectedField, ctx: InputContext): Obj {
  return resolveObject(schema, '__Field', f, ctx, (sf) => {
    switch (sf.name) {
      case 'name':
        return fd.name;
      case 'description':
        return fd.description;
      case 'args':
        return byName(fd.args).map((a) => resolveInputValue(schema, a, sf, ctx));
      case 'type':
        return resolveType(schema, typeNode(schema, fd.type), sf, ctx);
      case 'isDeprecated':
        return fd.isDeprecated ?? false;
      case 'deprecationReason':
        return fd.deprecationReason ?? null;
    }
    return null;
  });
}

function resolveInputValue(
  schema: RoleSchema,
  iv: InputValueDef,
  f: CollectedField,
  ctx: InputContext,
): Obj {
  return resolveObject(schema, '__InputValue', f, ctx, (sf) => {
    switch (sf.name) {
      case 'name':
        return iv.name;
      case 'description':
        return iv.description;
      case 'type':
        return resolveType(schema, typeNode(schema, iv.type), sf, ctx);
      case 'defaultValue':
        return iv.defaultValue ?? null;
    }
    return null;
  });
}

function resolveEnumValue(
  schema: RoleSchema,
  ev: EnumValueDef,
  f: CollectedField,
  ctx: InputContext,
): Obj {
  return resolveObject(schema, '__EnumValue', f, ctx, (sf) => {
    switch (sf.name) {
      case 'name':
        return ev.name;
      case 'description':
        return ev.description;
      case 'isDeprecated':
        return ev.isDeprecated ?? false;
      case 'deprecationReason':
        return ev.deprecationReason ?? null;
    }
    return null;
  });
}

function resolveDirective(
  schema: RoleSchema,
  d: DirectiveDef,
  f: CollectedField,
  ctx: InputContext,
): Obj {
  return resolveObject(schema, '__Directive', f, ctx, (sf) => {
    switch (sf.name) {
      case 'name':
        return d.name;
      case 'description':
        return d.description;
      case 'locations':
        return d.locations;
      case 'args':
        return byName(d.args).map((a) => resolveInputValue(schema, a, sf, ctx));
      case 'isRepeatable':
        return d.isRepeatable;
    }
    return null;
  });
}
