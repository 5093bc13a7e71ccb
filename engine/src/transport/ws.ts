/**
 * GraphQL over WebSocket on /v1/graphql (and /v1alpha1/graphql), both protocols: the adapter of
 * the protocol core (ws-connection.ts) to the `ws` package, as Hasura's WebSocket/Server.hs: the
 * upgrade (paths, subprotocol negotiation, refusals while shutting down), the set of open
 * connections, closing them all (metadata change) and shutting down.
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { encodeGqlError, QErr } from '../errors.ts';
import { ProtocolConnection, type Socket, type WsDeps } from './ws-connection.ts';
import { Protocol, StandardCloseCode } from './ws-protocol.ts';

export type { WsDeps, WsRuntime } from './ws-connection.ts';

const PATHS = new Set(['/v1/graphql', '/v1alpha1/graphql', '/v1beta1/relay']);
const DROPPED_HANDSHAKE_HEADERS = new Set([
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-extensions',
  'upgrade',
  'connection',
]);

export class GraphQLWebSocketServer {
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<ProtocolConnection>();
  private shuttingDown = false;

  constructor(private readonly deps: WsDeps) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: deps.runtime.config.maxBodyBytes,
      handleProtocols: (protocols, req) => {
        if (protocolOf(req) === Protocol.GraphqlWs) return Protocol.GraphqlWs;
        return protocols.has(Protocol.Apollo) ? Protocol.Apollo : false;
      },
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** The `upgrade` handler of the HTTP server. */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(req.url ?? '/', 'http://x').pathname.replace(/\/+$/, '');
    if (this.shuttingDown) {
      return reject(socket, 503, 'Service Unavailable', 'Server is shutting down', {
        'Retry-After': '0',
      });
    }
    if (!PATHS.has(path)) {
      const body = JSON.stringify(
        encodeGqlError(
          new QErr(
            'not-found',
            "only '/v1/graphql', '/v1alpha1/graphql' and '/v1beta1/relay' are supported on websockets",
            404,
          ),
          false,
        ),
      );
      return reject(socket, 404, 'Not Found', body, { 'Content-Type': 'application/json' });
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const conn = new ProtocolConnection(this.deps, wrap(ws), {
        protocol: protocolOf(req),
        legacy: path === '/v1alpha1/graphql',
        relay: path === '/v1beta1/relay',
        handshake: handshakeHeaders(req),
        ip: req.socket.remoteAddress,
      });
      this.connections.add(conn);
      ws.on('message', (data: WebSocket.RawData) => {
        conn.receive(
          Array.isArray(data)
            ? Buffer.concat(data).toString('utf8')
            : Buffer.from(data as ArrayBuffer).toString('utf8'),
        );
      });
      ws.on('close', () => conn.socketClosed());
      ws.on('error', () => conn.socketClosed());
      ws.once('close', () => this.connections.delete(conn));
    });
  }

  /** Close every socket (metadata change: 1012 "Server state changed, restarting the server"). */
  closeAll(code: number, reason: string): void {
    for (const c of this.connections) c.close(code, reason);
  }

  /** Refuse new sockets, close the open ones with 1012 and wait (at most 2 s) for them to go. */
  async shutdown(): Promise<void> {
    this.shuttingDown = true;
    this.closeAll(StandardCloseCode.ServiceRestart, 'shutting server down');
    const deadline = Date.now() + 2000;
    while (this.connections.size > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    for (const c of this.connections) c.terminate();
    this.connections.clear();
    await new Promise<void>((r) => this.wss.close(() => r()));
  }
}

/** The `ws` package's socket as the protocol core sees it. */
function wrap(ws: WebSocket): Socket {
  return {
    get open() {
      return ws.readyState === WebSocket.OPEN;
    },
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send: (text) => ws.send(text),
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
  };
}

/** The handshake's headers a session may be read from (not the WebSocket mechanics). */
function handshakeHeaders(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || DROPPED_HANDSHAKE_HEADERS.has(k)) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function protocolOf(req: http.IncomingMessage): Protocol {
  const raw = req.headers['sec-websocket-protocol'];
  return typeof raw === 'string' && raw.trim() === Protocol.GraphqlWs
    ? Protocol.GraphqlWs
    : Protocol.Apollo;
}

function reject(
  socket: Duplex,
  status: number,
  text: string,
  body: string,
  headers: Record<string, string>,
): void {
  const lines = [
    `HTTP/1.1 ${status} ${text}`,
    ...Object.entries({ ...headers, 'Content-Length': String(Buffer.byteLength(body)) }).map(
      ([k, v]) => `${k}: ${v}`,
    ),
    'Connection: close',
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${body}`);
}
