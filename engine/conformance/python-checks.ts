/**
 * Checks that upstream makes in Python rather than in the YAML (manifest flag
 * `python_side_asserts`; the manifest `note` describes them). Keyed by the case file's upstream
 * path. Each returns undefined when the response satisfies it, or what is wrong.
 */

type Check = (body: unknown) => string | undefined;

function field(obj: unknown, key: string): unknown {
  return obj !== null && typeof obj === 'object' && !Array.isArray(obj)
    ? (obj as Record<string, unknown>)[key]
    : undefined;
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

const CHECKS: Record<string, Check> = {
  // type `article` exists; its field author_obj_rel_manual is of kind OBJECT and author_obj_rel_fk
  // of kind NON_NULL (an object relationship over a NOT NULL foreign key)
  'graphql_introspection/introspection.yaml': (body) => {
    const types = list(field(field(field(body, 'data'), '__schema'), 'types'));
    const article = types.find((t) => field(t, 'name') === 'article');
    if (!article) return 'type article is missing from __schema.types';
    const fields = list(field(article, 'fields'));
    const kindOf = (name: string) =>
      field(
        field(
          fields.find((f) => field(f, 'name') === name),
          'type',
        ),
        'kind',
      );
    const manual = kindOf('author_obj_rel_manual');
    if (manual !== 'OBJECT')
      return `article.author_obj_rel_manual type kind: expected OBJECT, got ${String(manual)}`;
    const fk = kindOf('author_obj_rel_fk');
    if (fk !== 'NON_NULL')
      return `article.author_obj_rel_fk type kind: expected NON_NULL, got ${String(fk)}`;
    return undefined;
  },
  // every directive reports isRepeatable: false
  'graphql_introspection/introspection_directive_is_repeatable.yaml': (body) => {
    const directives = field(field(field(body, 'data'), '__schema'), 'directives');
    if (!Array.isArray(directives) || directives.length === 0)
      return '__schema.directives is missing or empty';
    const bad = directives
      .filter((d) => field(d, 'isRepeatable') !== false)
      .map((d) => String(field(d, 'name')));
    return bad.length === 0 ? undefined : `isRepeatable is not false for: ${bad.join(', ')}`;
  },
};

export function pythonCheck(upstreamPath: string): Check | undefined {
  return CHECKS[upstreamPath];
}

type Post = (url: string, body: unknown) => Promise<{ status: number; body: unknown }>;

/**
 * Steps upstream runs in Python around a case file (ENDPOINTS.md): each runs before the file's
 * cases and returns what restores the state after them.
 */
const AROUND: Record<string, (post: Post) => Promise<() => Promise<void>>> = {
  // TestOpenAPISpec.test_inconsistent_schema_openAPI: an endpoint over a query the schema does
  // not serve, put in with replace_metadata (allow_inconsistent_metadata), then the backup back
  'openapi/openapi_inconsistent_schema.yaml': async (post) => {
    const exported = await post('/v1/query', { type: 'export_metadata', args: {} });
    if (exported.status !== 200) throw new Error(`export_metadata: status ${exported.status}`);
    const backup = exported.body;
    const changed = {
      ...(backup as Record<string, unknown>),
      query_collections: [
        {
          name: 'wrong_queries',
          definition: {
            queries: [
              {
                name: 'random_query',
                query: 'query { random_field_name test_table { random_col_name } }',
              },
            ],
          },
        },
      ],
      rest_endpoints: [
        {
          definition: { query: { collection_name: 'wrong_queries', query_name: 'random_query' } },
          url: 'some_url',
          methods: ['GET'],
          name: 'wrong_endpoint',
          comment: null,
        },
      ],
    };
    const replaced = await post('/v1/query', {
      type: 'replace_metadata',
      version: 2,
      args: { allow_inconsistent_metadata: true, metadata: changed },
    });
    if (replaced.status !== 200)
      throw new Error(
        `replace_metadata: status ${replaced.status} ${JSON.stringify(replaced.body)}`,
      );
    return async () => {
      await post('/v1/query', { type: 'replace_metadata', args: backup });
    };
  },
};

export function aroundCaseFile(
  path: string,
): ((post: Post) => Promise<() => Promise<void>>) | undefined {
  return AROUND[path];
}
