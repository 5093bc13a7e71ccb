/**
 * The allow list (HASURA_GRAPHQL_ENABLE_ALLOWLIST): with it on, a non-admin request runs only if
 * its document is one of the queries of a collection in the metadata's `allowlist` — a collection
 * with `scope: {global: true}` (or no scope) for every role, one with `{global: false, roles}` for
 * those roles (Hasura's paid editions; CE treats every entry as global) — or a query behind a
 * REST endpoint, which the metadata exposes anyway. Documents compare as Hasura compares them:
 * parsed, `__typename` selections dropped, definitions in any order, so whitespace, commas and
 * the typename Apollo adds make no difference. Admin is never held to it.
 */
import { parse, print, visit, type ASTNode, type DocumentNode } from 'graphql';
import { QErr } from '../errors.ts';
import {
  allowlistOf,
  collectionQuery,
  collectionsOf,
  endpointsOf,
} from '../metadata/collections.ts';
import type { Metadata } from '../metadata/types.ts';

interface Allowed {
  /** documents as written, for the common case of a client sending the stored text verbatim */
  raw: Map<string, Set<string> | 'all'>;
  normalized: Map<string, Set<string> | 'all'>;
}

const byMetadata = new WeakMap<Metadata, Allowed>();

/** A document in the form documents are compared in. */
export function normalizeDocument(doc: DocumentNode): string {
  const stripped = visit(doc, {
    Field: (node) => (node.name.value === '__typename' ? null : undefined),
  }) as ASTNode as DocumentNode;
  return stripped.definitions
    .map((d) => print(d))
    .sort()
    .join('\n');
}

function allowedOf(md: Metadata): Allowed {
  let a = byMetadata.get(md);
  if (a) return a;
  a = { raw: new Map(), normalized: new Map() };
  const add = (query: string, roles: string[] | 'all') => {
    let norm: string;
    try {
      norm = normalizeDocument(parse(query));
    } catch {
      return;
    }
    for (const [map, key] of [
      [a.raw, query],
      [a.normalized, norm],
    ] as const) {
      const prev = map.get(key);
      if (prev === 'all' || roles === 'all') map.set(key, 'all');
      else map.set(key, new Set([...(prev ?? []), ...roles]));
    }
  };
  const collections = new Map(collectionsOf(md).map((c) => [c.name, c]));
  for (const entry of allowlistOf(md)) {
    const c = collections.get(entry.collection);
    const roles = !entry.scope || entry.scope.global ? 'all' : entry.scope.roles;
    for (const q of c?.definition.queries ?? []) add(q.query, roles);
  }
  for (const e of endpointsOf(md)) {
    const q = collectionQuery(
      md,
      e.definition.query.collection_name,
      e.definition.query.query_name,
    );
    if (q !== undefined) add(q, 'all');
  }
  byMetadata.set(md, a);
  return a;
}

const permits = (entry: Set<string> | 'all' | undefined, role: string) =>
  entry === 'all' || (entry !== undefined && entry.has(role));

/**
 * Refuse a document the allow list does not hold for `role`. `doc` is the parsed document, or a
 * function giving it (parsed only when the text is not an allowed one verbatim).
 */
export function checkAllowlist(
  md: Metadata,
  role: string,
  text: string,
  doc: () => DocumentNode,
): void {
  const a = allowedOf(md);
  if (permits(a.raw.get(text), role)) return;
  if (permits(a.normalized.get(normalizeDocument(doc())), role)) return;
  throw new QErr('validation-failed', 'query is not allowed', 200);
}
