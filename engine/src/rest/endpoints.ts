/**
 * Hasura's RESTified endpoints (`/api/rest/<url>`): the endpoint whose URL template and method
 * match the request runs its collection query as an ordinary GraphQL request of the caller's
 * session (the planner, its plan cache, permissions and limits all apply), with variables taken
 * from the path, the query string and the body. The answer is the query's `data`, or its first
 * error in Hasura's REST shape.
 */
import { parse, type OperationDefinitionNode, type TypeNode } from 'graphql';
import { QErr } from '../errors.ts';
import { collectionQuery, endpointsOf, type RestEndpoint } from '../metadata/collections.ts';
import type { Metadata } from '../metadata/types.ts';
import { executeRequest, type ExecOptions } from '../execute/graphql.ts';
import type { EngineState } from '../execute/state.ts';
import type { Session } from '../session.ts';
import { matchTemplate, parseTemplate, type Segment } from './url-template.ts';

/** An endpoint ready to serve: its template parsed, its query found and its variables typed. */
export interface ServedEndpoint {
  endpoint: RestEndpoint;
  segments: Segment[];
  query: string;
  operation: OperationDefinitionNode;
  /** variable name → its type */
  variables: Map<string, TypeNode>;
}

const compiled = new WeakMap<Metadata, ServedEndpoint[]>();

/** The endpoints of a metadata document that can be served (the consistent ones). */
export function servedEndpoints(md: Metadata): ServedEndpoint[] {
  let out = compiled.get(md);
  if (out) return out;
  out = [];
  for (const endpoint of endpointsOf(md)) {
    const segments = parseTemplate(endpoint.url);
    const ref = endpoint.definition.query;
    const query = collectionQuery(md, ref.collection_name, ref.query_name);
    if ('problem' in segments || query === undefined) continue;
    let operation: OperationDefinitionNode | undefined;
    try {
      operation = parse(query).definitions.find(
        (d): d is OperationDefinitionNode => d.kind === 'OperationDefinition',
      );
    } catch {
      continue;
    }
    if (!operation) continue;
    const variables = new Map(
      (operation.variableDefinitions ?? []).map((v) => [v.variable.name.value, v.type]),
    );
    out.push({ endpoint, segments, query, operation, variables });
  }
  compiled.set(md, out);
  return out;
}

/** What the transport hands over of a request to `/api/rest/…`. */
export interface RestRequest {
  method: string;
  /** the path after `/api/rest/`, still percent-encoded */
  path: string;
  params: URLSearchParams;
  body: Buffer;
  contentType: string | undefined;
}

export interface RestReply {
  status: number;
  /** JSON text */
  body: string;
  /** the endpoint that answered */
  served?: ServedEndpoint;
  /** response headers (an `@cached` query's) */
  headers?: Record<string, string>;
}

const restError = (status: number, code: string, error: string, path = '$'): RestReply => ({
  status,
  body: JSON.stringify({ path, error, code }),
});

/**
 * Scalars whose values arrive as text in a URL and stay text; any other type's value is read as
 * JSON when it is JSON (`5`, `true`, `{"type":"Point",…}`), as Hasura reads URL arguments.
 */
const TEXT_SCALARS = new Set([
  'String',
  'ID',
  'uuid',
  'date',
  'time',
  'timetz',
  'timestamp',
  'timestamptz',
  'citext',
  'bpchar',
  'name',
  'ltree',
  'lquery',
  'ltxtquery',
  'inet',
  'bytea',
  'interval',
]);

function fromText(value: string, type: TypeNode | undefined): unknown {
  if (type?.kind === 'NonNullType') return fromText(value, type.type);
  if (type?.kind === 'NamedType' && TEXT_SCALARS.has(type.name.value)) return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function decodeSegments(path: string): string[] | null {
  try {
    return path.split('/').map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
}

export async function runRestEndpoint(
  state: EngineState,
  session: Session,
  req: RestRequest,
  exec: ExecOptions,
): Promise<RestReply> {
  const segments = decodeSegments(req.path);
  const matching = segments
    ? servedEndpoints(state.metadata).flatMap((s) => {
        const vars = matchTemplate(s.segments, segments);
        return vars ? [{ s, vars }] : [];
      })
    : [];
  if (!matching.length) return restError(404, 'not-found', 'Endpoint not found');
  const hit = matching.find((m) => m.s.endpoint.methods.includes(req.method));
  if (!hit) {
    const allowed = [...new Set(matching.flatMap((m) => m.s.endpoint.methods))];
    return restError(405, 'method-not-allowed', `Allowed methods: ${allowed.join(', ')}`);
  }
  const { s, vars } = hit;
  const variables: Record<string, unknown> = {};
  const take = (name: string, value: string) => {
    if (s.variables.has(name)) variables[name] = fromText(value, s.variables.get(name));
  };
  for (const [k, v] of req.params) take(k, v);
  if (req.body.length) {
    const type = (req.contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'application/x-www-form-urlencoded') {
      for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) take(k, v);
    } else if (type === 'application/json' || type === '') {
      let json: unknown;
      try {
        json = JSON.parse(req.body.toString('utf8'));
      } catch (e) {
        return restError(400, 'invalid-json', `Error in $: ${(e as Error).message}`);
      }
      if (json && typeof json === 'object' && !Array.isArray(json)) Object.assign(variables, json);
    }
  }
  for (const [k, v] of Object.entries(vars)) take(k, v);
  const result = await executeRequest(state, session, { query: s.query, variables }, exec);
  if (result.isError) {
    const parsed = JSON.parse(result.body) as {
      errors?: Array<{ message: string; extensions?: { path?: string; code?: string } }>;
    };
    const first = parsed.errors?.[0];
    return restError(
      400,
      first?.extensions?.code ?? 'unexpected',
      first?.message ?? 'unexpected error',
      first?.extensions?.path ?? '$',
    );
  }
  const out: RestReply = { status: 200, body: dataOf(result.body), served: s };
  if (result.headers?.length)
    out.headers = Object.fromEntries(result.headers.map((h) => [h.name.toLowerCase(), h.value]));
  return out;
}

/** `{"data":X}` → `X`, without re-reading the JSON (the engine writes this exact prefix). */
function dataOf(body: string): string {
  const prefix = '{"data":';
  if (body.startsWith(prefix) && body.endsWith('}')) return body.slice(prefix.length, -1);
  const parsed = JSON.parse(body) as { data?: unknown };
  if (!('data' in parsed)) throw new QErr('unexpected', 'the query gave no data', 500);
  return JSON.stringify(parsed.data);
}
