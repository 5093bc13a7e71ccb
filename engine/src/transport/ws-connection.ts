/**
 * The GraphQL-over-WebSocket protocol core, transport-neutral (as graphql-ws keeps its server
 * apart from any socket library): it sees a socket only as the `Socket` below, so ws.ts (the
 * adapter for the `ws` package) or another library's adapter can carry it. What it does, as
 * Hasura's Transport/WebSocket.hs and WSServerApp.hs do:
 *
 * - keep-alives start at accept (`ka`, or `ping {"message":"keepalive"}`) and repeat every
 *   HASURA_GRAPHQL_WEBSOCKET_KEEPALIVE seconds; a graphql-transport-ws client that sends no
 *   `connection_init` within HASURA_GRAPHQL_WEBSOCKET_CONNECTION_INIT_TIMEOUT is closed with 4408;
 * - `connection_init.payload.headers` are merged over the handshake headers and authenticated once
 *   (auth/); a failure is `connection_error` + close 4400 (Apollo) or close 4403 (graphql-ws);
 * - a query or mutation runs through the same planner as HTTP and answers `data`/`next` then
 *   `complete`; a subscription joins the subscriptions state until `stop`/`complete`;
 * - a JWT session ends at its `exp`: the socket is dropped, as Hasura's expiry thread does;
 * - messages of one socket are handled one at a time, in order.
 *
 * Beyond Hasura: a bounded send queue per socket. When a socket has more than
 * STREAMSYNC_ENGINE_WS_SEND_BUFFER_BYTES unsent, frames queue; a queued live-query result is
 * replaced by a newer one for the same operation (the client only ever needs the latest), streams
 * stop advancing until the socket drains, and a queue past STREAMSYNC_ENGINE_WS_MAX_QUEUED_BYTES
 * closes the socket with 1013 (try again later).
 */
import type pino from 'pino';
import {
  AuthError,
  msUntilExpiry,
  resolveSession,
  type AuthConfig,
  type Session,
} from '../auth/index.ts';
import { encodeGqlError, encodeRestError, QErr, toQErr } from '../errors.ts';
import { executeRequest, type ExecOptions } from '../execute/graphql.ts';
import type { ActionsService } from '../actions/service.ts';
import type { EngineState } from '../execute/state.ts';
import type { EngineLimits } from '../limits/index.ts';
import type { SubscriberSink } from '../subscription/cohort.ts';
import type { SubscriptionMetrics } from '../subscription/metrics.ts';
import type { SubscriptionOptions } from '../subscription/options.ts';
import type { SubscriptionsState } from '../subscription/state.ts';
import {
  ClientMessageError,
  CloseCode,
  closeReason,
  encodeServerMessage,
  KEEPALIVE_PAYLOAD,
  parseClientMessage,
  plainReason,
  Protocol,
  StandardCloseCode,
  type GraphQLRequestPayload,
  type ServerMessage,
} from './ws-protocol.ts';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** What the WebSocket transport uses of the running engine (server.ts's Engine provides it). */
export interface WsRuntime {
  readonly config: { maxBodyBytes: number };
  readonly log: pino.Logger;
  readonly auth: AuthConfig;
  readonly limits: EngineLimits;
  /** the state in force (replaced, never patched, by a metadata change) */
  readonly state: EngineState;
  /** how GraphQL operations are planned and run, built once at start */
  readonly exec: ExecOptions;
  /** async action results over subscriptions (actions/), when actions are served */
  readonly actions?: Pick<ActionsService, 'subscribe'>;
}

export interface WsDeps {
  runtime: WsRuntime;
  subscriptions: SubscriptionsState;
  options: SubscriptionOptions;
  metrics: SubscriptionMetrics;
}

/** A socket as the protocol core needs it; an adapter wraps its library's socket in this. */
export interface Socket {
  /** the socket is open (frames sent now are delivered) */
  readonly open: boolean;
  /** bytes accepted for sending but not yet sent */
  readonly bufferedAmount: number;
  send(text: string): void;
  close(code: number, reason: string): void;
  /** drop the connection at once */
  terminate(): void;
}

/** What the adapter learnt from the handshake. */
export interface ConnectionInfo {
  protocol: Protocol;
  /** `/v1alpha1/graphql`: errors in the REST shape */
  legacy: boolean;
  /** opened on /v1beta1/relay: its operations see the Relay schema */
  relay?: boolean;
  /** the handshake's request headers (lower-case names), those a session may be read from */
  handshake: Record<string, string>;
  ip: string | undefined;
}

type ConnState =
  { k: 'pending' } | { k: 'error'; message: string } | { k: 'ready'; session: Session };

interface Op {
  stop(): void;
}

interface Queued {
  text: string;
  /** operation id of a live result that a newer one may replace */
  key: string | null;
}

/**
 * One client connection, whatever carries its frames: the protocol state machine (init, start,
 * stop, ping), authentication, dispatch to the planner or the subscriptions, keep-alives, the JWT
 * expiry and the bounded send queue.
 */
export class ProtocolConnection {
  private state: ConnState = { k: 'pending' };
  private readonly ops = new Map<string, Op>();
  private chain: Promise<void> = Promise.resolve();
  private closed = false;
  /** the handshake and connection_init headers (actions forward them when configured to) */
  private clientHeaders: Record<string, string> = {};
  private readonly timers: NodeJS.Timeout[] = [];
  private kaTimer: NodeJS.Timeout | null = null;
  private initTimer: NodeJS.Timeout | null = null;
  private expiryTimer: NodeJS.Timeout | null = null;
  // the send queue (used only while the socket is congested)
  private readonly queue: Queued[] = [];
  private readonly queuedLive = new Map<string, Queued>();
  private queuedBytes = 0;
  private drainTimer: NodeJS.Timeout | null = null;
  private readonly protocol: Protocol;
  private readonly legacy: boolean;
  private readonly relay: boolean;
  private readonly handshake: Record<string, string>;
  private readonly ip: string | undefined;

  constructor(
    private readonly deps: WsDeps,
    private readonly socket: Socket,
    info: ConnectionInfo,
  ) {
    this.protocol = info.protocol;
    this.legacy = info.legacy;
    this.relay = info.relay === true;
    this.handshake = info.handshake;
    this.ip = info.ip;
    this.keepAlive();
    this.kaTimer = setInterval(() => this.keepAlive(), deps.options.keepAliveSec * 1000);
    if (this.protocol === Protocol.GraphqlWs) {
      this.initTimer = setTimeout(() => {
        if (this.state.k === 'pending')
          this.close(
            CloseCode.ConnectionInitialisationTimeout,
            'Connection initialisation timed out',
          );
      }, deps.options.initTimeoutSec * 1000);
    }
  }

  /** A text frame from the client: handled after the ones before it, one at a time. */
  receive(text: string): void {
    this.chain = this.chain
      .then(() => this.onMessage(text))
      .catch((e: unknown) => this.deps.runtime.log.error({ err: e }, 'websocket message failed'));
  }

  /** The socket closed or failed: stop every operation and timer. */
  socketClosed(): void {
    this.cleanup();
  }

  // ---------------------------------------------------------------- sending

  private sendMessage(m: ServerMessage): void {
    this.sendText(encodeServerMessage(m), null);
  }

  private sendText(text: string, key: string | null): void {
    if (this.closed || !this.socket.open) return;
    if (
      this.queue.length === 0 &&
      this.socket.bufferedAmount <= this.deps.options.sendBufferBytes
    ) {
      this.socket.send(text);
      this.deps.metrics.framesSent.inc();
      return;
    }
    const prev = key === null ? undefined : this.queuedLive.get(key);
    if (prev) {
      this.queuedBytes += text.length - prev.text.length;
      prev.text = text;
      this.deps.metrics.framesDropped.inc();
    } else {
      const q: Queued = { text, key };
      this.queue.push(q);
      if (key !== null) this.queuedLive.set(key, q);
      this.queuedBytes += text.length;
    }
    if (this.queuedBytes > this.deps.options.maxQueuedBytes) {
      this.deps.metrics.slowConsumerCloses.inc();
      this.close(
        StandardCloseCode.TryAgainLater,
        plainReason(
          `slow consumer: more than ${this.deps.options.maxQueuedBytes} bytes waiting to be sent`,
        ),
      );
      return;
    }
    this.drainTimer ??= setInterval(() => this.drain(), 20);
  }

  private drain(): void {
    if (this.closed) return;
    const limit = this.deps.options.sendBufferBytes;
    while (this.queue.length > 0 && this.socket.bufferedAmount <= limit) {
      const q = this.queue.shift()!;
      if (q.key !== null && this.queuedLive.get(q.key) === q) this.queuedLive.delete(q.key);
      this.queuedBytes -= q.text.length;
      this.socket.send(q.text);
      this.deps.metrics.framesSent.inc();
    }
    if (this.queue.length === 0 && this.drainTimer) {
      clearInterval(this.drainTimer);
      this.drainTimer = null;
    }
  }

  congested(): boolean {
    return this.queue.length > 0 || this.socket.bufferedAmount > this.deps.options.sendBufferBytes;
  }

  private keepAlive(): void {
    if (this.protocol === Protocol.Apollo) this.sendMessage({ type: 'ka' });
    else this.sendMessage({ type: 'ping', payload: KEEPALIVE_PAYLOAD });
  }

  private dataType(): 'data' | 'next' {
    return this.protocol === Protocol.Apollo ? 'data' : 'next';
  }

  // ---------------------------------------------------------------- closing

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.stopAll();
    try {
      this.socket.close(code, reason);
    } catch {
      this.socket.terminate();
    }
    // a peer that never answers the close frame must not keep the socket
    this.timers.push(setTimeout(() => this.socket.terminate(), 2000));
  }

  terminate(): void {
    this.closed = true;
    this.stopAll();
    this.socket.terminate();
  }

  private stopAll(): void {
    for (const op of this.ops.values()) op.stop();
    this.ops.clear();
  }

  private cleanup(): void {
    this.closed = true;
    this.stopAll();
    for (const t of [this.kaTimer, this.initTimer, this.expiryTimer, this.drainTimer]) {
      if (t) clearTimeout(t);
    }
    if (this.kaTimer) clearInterval(this.kaTimer);
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.queue.length = 0;
    this.queuedLive.clear();
    for (const t of this.timers) clearTimeout(t);
  }

  // ---------------------------------------------------------------- messages

  private async onMessage(text: string): Promise<void> {
    if (this.closed) return;
    let msg;
    try {
      msg = parseClientMessage(text);
    } catch (e) {
      if (!(e instanceof ClientMessageError)) throw e;
      if (this.protocol === Protocol.Apollo) {
        this.sendMessage({
          type: 'connection_error',
          payload: `parsing ClientMessage failed: ${e.message}`,
        });
      } else {
        this.close(
          CloseCode.BadRequest,
          closeReason(CloseCode.BadRequest, `Parsing client message failed: ${e.message}`),
        );
      }
      return;
    }
    switch (msg.type) {
      case 'connection_init':
        return this.onInit(msg.payload?.headers ?? {});
      case 'start':
        return this.onStart(msg.id, msg.payload);
      case 'stop':
        return this.onStop(msg.id);
      case 'connection_terminate':
        return this.close(StandardCloseCode.NormalClosure, 'GQL_CONNECTION_TERMINATE received');
      case 'ping':
        return this.sendMessage(
          msg.payload === undefined ? { type: 'pong' } : { type: 'pong', payload: msg.payload },
        );
      case 'pong':
        return;
    }
  }

  private async onInit(initHeaders: Record<string, string>): Promise<void> {
    if (this.initTimer) clearTimeout(this.initTimer);
    const headers: Record<string, string> = { ...this.handshake };
    // connection_init headers win over the handshake's, whatever their case
    for (const [k, v] of Object.entries(initHeaders)) headers[k.toLowerCase()] = v;
    let session: Session;
    try {
      session = await resolveSession(headers, this.deps.runtime.auth);
      if (this.relay) session = { ...session, relay: true };
    } catch (e) {
      const message = e instanceof AuthError || e instanceof QErr ? e.message : String(e);
      this.state = { k: 'error', message };
      if (this.protocol === Protocol.Apollo) {
        this.sendMessage({ type: 'connection_error', payload: message });
        this.close(
          CloseCode.BadRequest,
          closeReason(CloseCode.BadRequest, `Connection initialization failed: ${message}`),
        );
      } else {
        this.close(CloseCode.Forbidden, closeReason(CloseCode.Forbidden, 'Forbidden'));
      }
      return;
    }
    if (this.closed) return;
    this.clientHeaders = headers;
    this.state = { k: 'ready', session };
    this.sendMessage({ type: 'connection_ack' });
    this.keepAlive();
    this.scheduleExpiry(session);
  }

  /** A JWT session ends at `exp`: Hasura's expiry thread ends the connection then. */
  private scheduleExpiry(session: Session): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer);
    const ms = msUntilExpiry(session);
    if (ms === undefined) return;
    this.expiryTimer = setTimeout(
      () => {
        const left = msUntilExpiry(session)!;
        if (left > 0) return this.scheduleExpiry(session);
        this.deps.runtime.log.info('websocket session expired (JWT exp)');
        this.terminate();
      },
      Math.min(Math.max(ms, 0), MAX_TIMER_MS),
    );
  }

  private errorObject(q: QErr): unknown {
    return this.legacy ? encodeRestError(q, false) : encodeGqlError(q, false);
  }

  /** Hasura's sendStartErr: an `error` for the id (graphql-ws: then close), then `complete`. */
  private startError(id: string, message: string): void {
    this.sendMessage({
      type: 'error',
      id,
      payload: JSON.stringify(this.errorObject(new QErr('start-failed', message, 400))),
    });
    if (this.protocol === Protocol.GraphqlWs) {
      this.sendMessage({ type: 'error', id, payload: JSON.stringify(message) });
      this.close(StandardCloseCode.NormalClosure, closeReason(CloseCode.BadRequest, message));
      return;
    }
    this.sendMessage({ type: 'complete', id });
  }

  /** Hasura's preExecErr: an `error` frame (Apollo `{"errors":[…]}`, graphql-ws `[…]`), then `complete`. */
  private requestError(id: string, q: QErr): void {
    const err = this.errorObject(q);
    const payload = this.legacy
      ? JSON.stringify(err)
      : this.protocol === Protocol.Apollo
        ? JSON.stringify({ errors: [err] })
        : JSON.stringify([err]);
    this.sendMessage({ type: 'error', id, payload });
    this.sendMessage({ type: 'complete', id });
  }

  private async onStart(id: string, payload: GraphQLRequestPayload): Promise<void> {
    if (this.ops.has(id))
      return this.startError(id, `an operation already exists with this id: ${id}`);
    if (this.state.k === 'pending')
      return this.startError(id, 'start received before the connection is initialised');
    if (this.state.k === 'error')
      return this.startError(
        id,
        `cannot start as connection_init failed with: ${this.state.message}`,
      );
    const session = this.state.session;
    const engine = this.deps.runtime;
    try {
      // every operation counts against the client's rate limit, as over HTTP
      const limits = engine.limits.forClient(engine.state.metadata, session);
      engine.limits.admitRate(limits, session, this.ip);
    } catch (e) {
      return this.requestError(id, toQErr(engine.limits.refused(e)));
    }
    let stopped = false;
    const sink: SubscriberSink = {
      send: (p, coalesce) => {
        if (stopped) return;
        this.sendText(
          encodeServerMessage({ type: this.dataType(), id, payload: p }),
          coalesce ? id : null,
        );
      },
      congested: () => this.congested(),
    };
    // an async action's result: read again each interval, sent when it changes (actions/)
    const actionSub = await engine.actions?.subscribe({
      state: engine.state,
      session,
      payload,
      opts: this.execOptions(),
      intervalMs: this.deps.options.live.refetchIntervalMs,
      send: (body) => sink.send(body, true),
    });
    if (actionSub) {
      if (this.closed) return actionSub.stop();
      if (this.ops.size >= this.deps.options.maxPerConnection) {
        actionSub.stop();
        return this.requestError(
          id,
          new QErr(
            'bad-request',
            `too many subscriptions on this connection (limit ${this.deps.options.maxPerConnection})`,
            200,
          ),
        );
      }
      this.ops.set(id, {
        stop: () => {
          stopped = true;
          actionSub.stop();
          this.dropQueued(id);
        },
      });
      return;
    }
    let started;
    try {
      started = await this.deps.subscriptions.start(engine.state, session, payload, sink, () => {
        if (this.ops.size >= this.deps.options.maxPerConnection)
          throw new QErr(
            'bad-request',
            `too many subscriptions on this connection (limit ${this.deps.options.maxPerConnection})`,
            200,
          );
      });
    } catch (e) {
      return this.requestError(id, toQErr(engine.limits.refused(e)));
    }
    if (started.k === 'started') {
      if (this.closed) return started.stop();
      this.ops.set(id, {
        stop: () => {
          stopped = true;
          started.stop();
          this.dropQueued(id);
        },
      });
      return;
    }
    await this.runQuery(id, session, payload);
  }

  /** the engine's exec options with this connection's headers (actions forward them) */
  private execOptions(): ExecOptions {
    return { ...this.deps.runtime.exec, clientHeaders: this.clientHeaders };
  }

  private async runQuery(
    id: string,
    session: Session,
    payload: GraphQLRequestPayload,
  ): Promise<void> {
    const engine = this.deps.runtime;
    const r = await executeRequest(engine.state, session, payload, this.execOptions());
    if (this.closed) return;
    if (!r.isError) {
      this.sendMessage({ type: this.dataType(), id, payload: r.body });
    } else {
      const errors = (
        JSON.parse(r.body) as {
          errors: Array<{ message: string; extensions: { path: string; code: string } }>;
        }
      ).errors;
      const shaped = this.legacy
        ? errors.map((e) => ({
            path: e.extensions.path,
            error: e.message,
            code: e.extensions.code,
          }))
        : errors;
      if (r.postExec) {
        // Hasura's postExecErr: Apollo `data` with the errors, graphql-ws `error`
        // (Hasura's encodeGQResp of an execution error carries `"data": null`)
        if (this.protocol === Protocol.Apollo)
          this.sendMessage({
            type: 'data',
            id,
            payload: JSON.stringify({ data: null, errors: shaped }),
          });
        else this.sendMessage({ type: 'error', id, payload: JSON.stringify(shaped) });
      } else {
        const payloadText = this.legacy
          ? JSON.stringify(shaped[0])
          : this.protocol === Protocol.Apollo
            ? JSON.stringify({ errors: shaped })
            : JSON.stringify(shaped);
        this.sendMessage({ type: 'error', id, payload: payloadText });
      }
    }
    this.sendMessage({ type: 'complete', id });
  }

  private dropQueued(id: string): void {
    const q = this.queuedLive.get(id);
    if (!q) return;
    this.queuedLive.delete(id);
    const i = this.queue.indexOf(q);
    if (i >= 0) this.queue.splice(i, 1);
    this.queuedBytes -= q.text.length;
  }

  private onStop(id: string): void {
    const op = this.ops.get(id);
    if (!op) return;
    this.ops.delete(id);
    op.stop();
  }
}
