/**
 * The shape of a GraphQL request (`{query, variables, operationName, extensions}`), checked once
 * for every way in — HTTP, batches, WebSocket `start`/`subscribe`, explain — with Hasura's
 * messages (aeson's wording for a value of the wrong kind).
 */
import { jsonKind, QErr } from '../errors.ts';

export interface GraphQLRequest {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

/** Hasura's message (and Apollo's signal to stop sending hashes) when APQ is not available. */
export const PERSISTED_QUERY_NOT_SUPPORTED = 'PersistedQueryNotSupported';

export function checkRequestShape(req: unknown): GraphQLRequest {
  if (!req || typeof req !== 'object' || Array.isArray(req)) {
    throw new QErr(
      'parse-failed',
      'parsing GQLReq failed, expected Object, but encountered ' + jsonKind(req),
      200,
    );
  }
  const r = req as GraphQLRequest;
  const ext = r.extensions as { persistedQuery?: unknown } | null | undefined;
  const persisted = !!ext && typeof ext === 'object' && ext.persistedQuery !== undefined;
  if (!('query' in r)) {
    // Apollo's persisted-query link sends the hash alone first, and turns itself off on this
    // answer (Hasura's runPersistedQueriesPostHandler for an APQ request)
    if (persisted) throw new QErr('not-supported', PERSISTED_QUERY_NOT_SUPPORTED, 200);
    throw new QErr('parse-failed', "the key 'query' was not present", 200);
  }
  if (persisted) throw new QErr('not-supported', 'Automatic Persisted Queries is not enabled', 200);
  if (
    r.variables !== undefined &&
    r.variables !== null &&
    (typeof r.variables !== 'object' || Array.isArray(r.variables))
  ) {
    throw new QErr(
      'parse-failed',
      'parsing HashMap failed, expected Object, but encountered ' + jsonKind(r.variables),
      200,
      ['variables'],
    );
  }
  if (
    r.operationName !== undefined &&
    r.operationName !== null &&
    typeof r.operationName !== 'string'
  ) {
    throw new QErr(
      'parse-failed',
      'parsing Text failed, expected String, but encountered ' + jsonKind(r.operationName),
      200,
      ['operationName'],
    );
  }
  return r;
}
