/**
 * The two GraphQL-over-WebSocket protocols Hasura serves on /v1/graphql, as types first
 * (Hasura/GraphQL/Transport/WebSocket/Protocol.hs):
 *
 * - `graphql-transport-ws` — the graphql-ws library (subprotocol exactly `graphql-transport-ws`);
 * - Apollo's `subscriptions-transport-ws` — every other subprotocol, `graphql-ws` included, and none.
 *
 * Hasura parses one client message type for both (a `subscribe` is a `start`, a `complete` from
 * the client is a `stop`), and answers in the protocol's own words. Close codes are graphql-ws's
 * `CloseCode` members plus the standard 1xxx ones; the close reason of an error is Hasura's JSON
 * `{"server_error_msg":"<code>: <message>"}`, cut to fit a control frame.
 */
import { CloseCode } from 'graphql-ws';
import { jsonKind } from '../errors.ts';

export { CloseCode };

export enum Protocol {
  /** subscriptions-transport-ws (Apollo); subprotocol `graphql-ws` */
  Apollo = 'graphql-ws',
  /** the graphql-ws library; subprotocol `graphql-transport-ws` */
  GraphqlWs = 'graphql-transport-ws',
}

/** RFC 6455 codes Hasura (and we) close with. */
export enum StandardCloseCode {
  NormalClosure = 1000,
  ProtocolError = 1002,
  /** "Service Restart": metadata changed or the server is shutting down */
  ServiceRestart = 1012,
  /** "Try Again Later": a slow consumer whose queue grew past the limit */
  TryAgainLater = 1013,
}

export interface GraphQLRequestPayload {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
  extensions?: unknown;
}

export type ClientMessage =
  | { type: 'connection_init'; payload: { headers: Record<string, string> } | null }
  | { type: 'start'; id: string; payload: GraphQLRequestPayload }
  | { type: 'stop'; id: string }
  | { type: 'connection_terminate' }
  | { type: 'ping'; payload: unknown }
  | { type: 'pong'; payload: unknown };

export type ServerMessage =
  | { type: 'connection_ack' }
  | { type: 'ka' }
  | { type: 'connection_error'; payload: string }
  | { type: 'data' | 'next'; id: string; payload: string /* JSON text */ }
  | { type: 'error'; id: string; payload: string /* JSON text */ }
  | { type: 'complete'; id: string }
  | { type: 'ping' | 'pong'; payload?: unknown };

/** The text of a server message; payloads that are already JSON text are spliced in. */
export function encodeServerMessage(m: ServerMessage): string {
  switch (m.type) {
    case 'connection_ack':
    case 'ka':
      return `{"type":"${m.type}"}`;
    case 'connection_error':
      return JSON.stringify({ type: m.type, payload: m.payload });
    case 'data':
    case 'next':
    case 'error':
      return `{"type":"${m.type}","id":${JSON.stringify(m.id)},"payload":${m.payload}}`;
    case 'complete':
      return `{"type":"complete","id":${JSON.stringify(m.id)}}`;
    case 'ping':
    case 'pong':
      return m.payload === undefined
        ? `{"type":"${m.type}"}`
        : JSON.stringify({ type: m.type, payload: m.payload });
  }
}

/** Hasura's keep-alive ping payload for graphql-ws clients. */
export const KEEPALIVE_PAYLOAD = { message: 'keepalive' };

export class ClientMessageError extends Error {}

/** Parse a client frame, with Aeson-style messages as Hasura reports them (`Error in $: …`). */
export function parseClientMessage(text: string): ClientMessage {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ClientMessageError(`Error in $: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ClientMessageError(
      `Error in $: parsing ClientMessage failed, expected Object, but encountered ${jsonKind(doc)}`,
    );
  }
  const o = doc as Record<string, unknown>;
  if (!('type' in o)) throw new ClientMessageError(`Error in $: key "type" not found`);
  if (typeof o.type !== 'string')
    throw new ClientMessageError(
      `Error in $.type: parsing String failed, expected String, but encountered ${jsonKind(o.type)}`,
    );
  const id = (what: string): string => {
    if (!('id' in o))
      throw new ClientMessageError(`Error in $: parsing ${what} failed, key "id" not found`);
    if (typeof o.id !== 'string')
      throw new ClientMessageError(
        `Error in $.id: parsing Text failed, expected String, but encountered ${jsonKind(o.id)}`,
      );
    return o.id;
  };
  switch (o.type) {
    case 'connection_init':
      return { type: 'connection_init', payload: connParams(o.payload) };
    case 'start':
    case 'subscribe': {
      const opId = id('StartMsg');
      const p = o.payload;
      if (!('payload' in o))
        throw new ClientMessageError(
          `Error in $: parsing StartMsg failed, key "payload" not found`,
        );
      if (!p || typeof p !== 'object' || Array.isArray(p))
        throw new ClientMessageError(
          `Error in $.payload: parsing GQLReq failed, expected Object, but encountered ${jsonKind(p)}`,
        );
      return { type: 'start', id: opId, payload: p as GraphQLRequestPayload };
    }
    case 'stop':
    case 'complete':
      return { type: 'stop', id: id('StopMsg') };
    case 'connection_terminate':
      return { type: 'connection_terminate' };
    case 'ping':
    case 'pong':
      return { type: o.type, payload: o.payload };
    default:
      throw new ClientMessageError(`Error in $: unexpected type for ClientMessage: ${o.type}`);
  }
}

/** `connection_init.payload`: only `headers` (strings) is read, as Hasura's ConnParams. */
function connParams(p: unknown): { headers: Record<string, string> } | null {
  if (p === undefined || p === null) return null;
  if (typeof p !== 'object' || Array.isArray(p))
    throw new ClientMessageError(
      `Error in $.payload: parsing ConnParams failed, expected Object, but encountered ${jsonKind(p)}`,
    );
  const h = (p as { headers?: unknown }).headers;
  if (h === undefined || h === null) return { headers: {} };
  if (typeof h !== 'object' || Array.isArray(h))
    throw new ClientMessageError(
      `Error in $.payload.headers: parsing HashMap failed, expected Object, but encountered ${jsonKind(h)}`,
    );
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
    if (typeof v !== 'string')
      throw new ClientMessageError(
        `Error in $.payload.headers['${k}']: parsing Text failed, expected String, but encountered ${jsonKind(v)}`,
      );
    headers[k] = v;
  }
  return { headers };
}

/** Hasura's close reason for an error code: `{"server_error_msg":"4400: …"}`, at most 123 bytes. */
export function closeReason(code: number, message: string): string {
  let msg = `${code}: ${message}`;
  let text = JSON.stringify({ server_error_msg: msg });
  while (Buffer.byteLength(text) > 123) {
    msg = `${msg.slice(0, Math.max(0, msg.length - Math.max(1, Buffer.byteLength(text) - 123)) - 1)}…`;
    text = JSON.stringify({ server_error_msg: msg });
  }
  return text;
}

/** Plain text reasons (Hasura's raw ones) cut to a control frame. */
export function plainReason(text: string): string {
  let t = text;
  while (Buffer.byteLength(t) > 123) t = `${t.slice(0, t.length - 2)}…`;
  return t;
}
