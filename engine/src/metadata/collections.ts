/**
 * Query collections, REST endpoints and the allow list as they sit in the metadata document
 * (`query_collections`, `rest_endpoints`, `allowlist`: Hasura's export_metadata keys and the CLI's
 * query_collections.yaml, rest_endpoints.yaml, allow_list.yaml). Pure readers of the document;
 * the API (api/collections.ts) changes them, rest/ serves the endpoints, execute/ enforces the
 * allow list.
 */
import type { Metadata } from './types.ts';

export interface CollectionQuery {
  name: string;
  query: string;
}

export interface QueryCollection {
  name: string;
  comment?: string | null;
  definition: { queries: CollectionQuery[] };
}

export interface RestEndpoint {
  name: string;
  url: string;
  methods: string[];
  definition: { query: { collection_name: string; query_name: string } };
  comment?: string | null;
}

export type AllowlistScope = { global: true } | { global: false; roles: string[] };

export interface AllowlistEntry {
  collection: string;
  scope?: AllowlistScope;
}

const list = <T>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);

export const collectionsOf = (md: Metadata): QueryCollection[] =>
  list<QueryCollection>(md.query_collections);
export const endpointsOf = (md: Metadata): RestEndpoint[] => list<RestEndpoint>(md.rest_endpoints);
export const allowlistOf = (md: Metadata): AllowlistEntry[] => list<AllowlistEntry>(md.allowlist);

/** The text of `collection`'s query `name`, if both exist. */
export function collectionQuery(
  md: Metadata,
  collection: string,
  name: string,
): string | undefined {
  const c = collectionsOf(md).find((x) => x.name === collection);
  return c?.definition.queries.find((q) => q.name === name)?.query;
}

/** Set (or remove, when empty: Hasura exports no key then) a list of the document. */
export function setList(
  md: Metadata,
  key: 'query_collections' | 'rest_endpoints' | 'allowlist',
  v: unknown[],
): void {
  if (v.length) md[key] = v;
  else delete md[key];
}
