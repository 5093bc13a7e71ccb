/**
 * The slice of the GraphQL schema the dashboard reads to find streams: root fields and the fields
 * of object types, with their (unwrapped) types. Smaller than the standard introspection query.
 * Run with the role's token, so it shows exactly what the role may read.
 */
export const SCHEMA_QUERY = /* GraphQL */ `
  query StreamSyncSchema {
    __schema {
      queryType {
        name
      }
      subscriptionType {
        name
      }
      types {
        kind
        name
        description
        fields {
          name
          description
          args {
            name
          }
          type {
            ...TypeRef
          }
        }
      }
    }
  }
  fragment TypeRef on __Type {
    kind
    name
    ofType {
      kind
      name
      ofType {
        kind
        name
        ofType {
          kind
          name
        }
      }
    }
  }
`;

export interface TypeRef {
  kind: string;
  name: string | null;
  ofType?: TypeRef | null;
}

export interface IntrospectedField {
  name: string;
  description?: string | null;
  args?: Array<{ name: string }>;
  type: TypeRef;
}

export interface IntrospectedType {
  kind: string;
  name: string;
  description?: string | null;
  fields?: IntrospectedField[] | null;
}

export interface SchemaIntrospection {
  __schema: {
    queryType: { name: string } | null;
    subscriptionType: { name: string } | null;
    types: IntrospectedType[];
  };
}

/** A type reference without NON_NULL / LIST wrappers, and whether it was a list / non-null. */
export function unwrap(type: TypeRef): {
  name: string | null;
  kind: string;
  list: boolean;
  nonNull: boolean;
} {
  let t: TypeRef | null | undefined = type;
  let list = false;
  const nonNull = type.kind === 'NON_NULL';
  while (t && (t.kind === 'NON_NULL' || t.kind === 'LIST')) {
    if (t.kind === 'LIST') list = true;
    t = t.ofType;
  }
  return { name: t?.name ?? null, kind: t?.kind ?? 'UNKNOWN', list, nonNull };
}
