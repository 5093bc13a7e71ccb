/**
 * The browser's one live connection to the GraphQL server: a graphql-ws client (protocol
 * `graphql-transport-ws`) behind a layer that
 *
 * - fetches the token and endpoints from /api/session (runtime configuration),
 * - reconnects forever with backoff (engine restarts, network blips), re-sending each subscription
 *   with payload variables computed at send time, so a stream resumes from its last cursor,
 * - renews the token before it expires by opening a second socket with the new token and handing
 *   every subscription over to it (at its current cursor) before the old socket is closed, so no
 *   chart blanks and no point is missed (duplicates of the overlap are dropped by the stream buffer),
 * - recovers from a fatal close (e.g. the server refusing an expired token) the same way,
 * - publishes a connection state for the indicator.
 */
import { createClient, type Client, type SubscribePayload } from 'graphql-ws';
import type { SessionInfo } from '@/lib/session/types';
import { isStale, renewalDelay, retryDelay } from '@/lib/session/renewal';
import {
  describeError,
  INITIAL_CONNECTION_STATE,
  isGraphQLErrorList,
  type ConnectionState,
} from './connection-state';

export interface LiveSink {
  next(value: unknown): void;
  error(err: unknown): void;
  complete(): void;
}

/** Builds the payload each time it is (re)sent: variables may change (a stream's cursor). */
export type PayloadFactory = () => SubscribePayload;

interface Generation {
  id: number;
  client: Client;
  session: SessionInfo;
  connected: boolean;
  /** Active inner subscriptions on this client. */
  inners: number;
  retired: boolean;
}

interface Inner {
  gen: Generation;
  dispose: () => void;
  delivered: boolean;
}

interface SubscriptionRecord {
  payload: PayloadFactory;
  sink: LiveSink;
  current?: Inner;
  /** The inner being replaced during a handover. */
  previous?: Inner;
  closed: boolean;
}

export interface LiveConnectionOptions {
  fetchSession: () => Promise<SessionInfo>;
  now?: () => number;
  /** How long an old socket lives on after a handover started, at most (ms). */
  handoverGraceMs?: number;
  webSocketImpl?: unknown;
  log?: (msg: string, extra?: Record<string, unknown>) => void;
}

export class LiveConnection {
  private state: ConnectionState = INITIAL_CONNECTION_STATE;
  private listeners = new Set<() => void>();
  private records = new Set<SubscriptionRecord>();
  private gen: Generation | undefined;
  private genCounter = 0;
  private session: SessionInfo | undefined;
  private sessionPromise: Promise<SessionInfo> | undefined;
  private renewTimer: ReturnType<typeof setTimeout> | undefined;
  private recovering: Promise<void> | undefined;
  /** The generation being replaced by a token renewal, while it still serves. */
  private handoverFrom: Generation | undefined;
  private recoverAttempt = 0;
  private disposed = false;
  private readonly now: () => number;
  private readonly grace: number;

  constructor(private readonly opts: LiveConnectionOptions) {
    this.now = opts.now ?? Date.now;
    this.grace = opts.handoverGraceMs ?? 8_000;
  }

  // --- state for the indicator (useSyncExternalStore) ---------------------------------------

  getState = (): ConnectionState => this.state;

  subscribeState = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private setState(patch: Partial<ConnectionState>): void {
    const next = { ...this.state, ...patch };
    if (patch.status && patch.status !== this.state.status) next.since = this.now();
    this.state = next;
    for (const l of this.listeners) l();
  }

  // --- session ---------------------------------------------------------------------------------

  /** A session whose token is not about to expire (fetching a new one if needed). */
  async currentSession(): Promise<SessionInfo> {
    if (this.session && !isStale(this.session.expiresAt, this.now())) return this.session;
    return this.refreshSession();
  }

  private refreshSession(): Promise<SessionInfo> {
    if (!this.sessionPromise) {
      this.sessionPromise = this.opts
        .fetchSession()
        .then((s) => {
          this.session = s;
          this.setState({ tokenExpiresAt: s.expiresAt, role: s.role });
          this.scheduleRenewal(s);
          return s;
        })
        .finally(() => {
          this.sessionPromise = undefined;
        });
    }
    return this.sessionPromise;
  }

  private scheduleRenewal(s: SessionInfo): void {
    if (this.renewTimer) clearTimeout(this.renewTimer);
    if (this.disposed) return;
    const delay = renewalDelay(s.issuedAt, s.expiresAt, this.now());
    this.renewTimer = setTimeout(() => void this.renew(), delay);
  }

  /** Get a new token, open a socket with it, and hand every subscription over to it. */
  async renew(): Promise<void> {
    if (this.disposed) return;
    let attempt = 0;
    for (;;) {
      try {
        await this.refreshSession();
        break;
      } catch (err) {
        this.opts.log?.('session renewal failed', { error: describeError(err) });
        if (this.disposed) return;
        await sleep(retryDelay(attempt++));
      }
    }
    if (!this.gen || this.records.size === 0) {
      // nothing to hand over: the next subscription opens a socket with the new token
      this.retire(this.gen);
      this.gen = undefined;
      return;
    }
    this.handOver();
    this.setState({ renewals: this.state.renewals + 1 });
  }

  // --- clients -----------------------------------------------------------------------------------

  private newGeneration(session: SessionInfo): Generation {
    const id = ++this.genCounter;
    let everConnected = false;
    const gen: Generation = {
      id,
      client: undefined as unknown as Client,
      session,
      connected: false,
      inners: 0,
      retired: false,
    };
    gen.client = createClient({
      url: session.graphqlWsUrl,
      lazy: true,
      lazyCloseTimeout: 3_000,
      keepAlive: 10_000,
      retryAttempts: Number.POSITIVE_INFINITY,
      shouldRetry: () => true,
      retryWait: (retries) => sleep(retryDelay(retries)),
      connectionParams: async () => {
        const s = await this.currentSession();
        return { headers: { Authorization: `Bearer ${s.token}` } };
      },
      ...(this.opts.webSocketImpl ? { webSocketImpl: this.opts.webSocketImpl } : {}),
      on: {
        connecting: () => {
          if (this.gen !== gen) return;
          // a renewal's new socket: the old one still serves, the indicator stays "connected"
          if (!everConnected && this.handoverFrom?.connected) return;
          this.setState({
            status: everConnected ? 'reconnecting' : 'connecting',
            attempt: everConnected ? this.state.attempt + 1 : this.state.attempt,
          });
        },
        connected: () => {
          everConnected = true;
          gen.connected = true;
          if (this.gen !== gen) return;
          if (this.handoverFrom) this.handoverFrom = undefined;
          this.recoverAttempt = 0;
          this.setState({ status: 'connected', attempt: 0, error: undefined });
        },
        closed: (event) => {
          gen.connected = false;
          if (this.gen !== gen || gen.retired) return;
          const active = gen.inners > 0;
          this.setState({
            status: active ? 'reconnecting' : 'idle',
            ...(active ? { error: describeError(event) } : {}),
          });
        },
        error: (err) => {
          if (this.gen !== gen) return;
          this.setState({ error: describeError(err) });
        },
      },
    });
    return gen;
  }

  private async currentGeneration(): Promise<Generation> {
    const session = await this.currentSession();
    if (!this.gen || this.gen.retired) this.gen = this.newGeneration(session);
    return this.gen;
  }

  private retire(gen: Generation | undefined): void {
    if (!gen || gen.retired) return;
    gen.retired = true;
    void gen.client.dispose();
  }

  // --- subscriptions ---------------------------------------------------------------------------

  subscribe(payload: PayloadFactory, sink: LiveSink): () => void {
    const record: SubscriptionRecord = { payload, sink, closed: false };
    this.records.add(record);
    if (this.state.status === 'idle') this.setState({ status: 'connecting' });
    void this.currentGeneration()
      .then((gen) => {
        if (!record.closed) record.current = this.startInner(record, gen);
      })
      .catch((err) => {
        this.setState({ status: 'error', error: `session: ${describeError(err)}` });
        this.scheduleRecovery();
      });
    return () => {
      record.closed = true;
      this.records.delete(record);
      record.current?.dispose();
      record.previous?.dispose();
    };
  }

  private startInner(record: SubscriptionRecord, gen: Generation): Inner {
    const factory = record.payload;
    // a getter: graphql-ws serialises the payload each time it (re)subscribes, so a retry after a
    // reconnect carries the variables of that moment (e.g. a stream's last cursor)
    const payload = {
      get query() {
        return factory().query;
      },
      get variables() {
        return factory().variables;
      },
      get operationName() {
        return factory().operationName;
      },
      get extensions() {
        return factory().extensions;
      },
    } as SubscribePayload;
    let finished = false;
    const inner: Inner = { gen, dispose: () => {}, delivered: false };
    gen.inners++;
    const finish = () => {
      if (finished) return;
      finished = true;
      gen.inners--;
    };
    const dispose = gen.client.subscribe(payload, {
      next: (value) => {
        if (record.closed) return;
        inner.delivered = true;
        if (record.current === inner && record.previous) this.dropPrevious(record);
        if (record.current === inner || record.previous === inner) record.sink.next(value);
      },
      error: (err) => {
        finish();
        if (record.closed || record.current !== inner) return;
        if (isGraphQLErrorList(err)) {
          // the server refused the operation itself: that is the segment's error to show
          record.closed = true;
          this.records.delete(record);
          record.sink.error(err);
          return;
        }
        // a fatal close (e.g. the token was refused): start over with a fresh session
        this.setState({ status: 'reconnecting', error: describeError(err) });
        this.scheduleRecovery();
      },
      complete: () => {
        finish();
        if (record.closed || record.current !== inner || gen.retired) return;
        record.closed = true;
        this.records.delete(record);
        record.sink.complete();
      },
    });
    inner.dispose = () => {
      finish();
      dispose();
    };
    return inner;
  }

  private dropPrevious(record: SubscriptionRecord): void {
    const prev = record.previous;
    record.previous = undefined;
    prev?.dispose();
    if (prev && prev.gen.inners <= 0) this.retire(prev.gen);
  }

  /** Move every subscription to a new client (new token), keeping the old one until each delivers. */
  private handOver(): void {
    const old = this.gen;
    // the old socket must be gone before its token expires (the server closes it then)
    const grace = old
      ? Math.max(1_000, Math.min(this.grace, old.session.expiresAt - this.now() - 1_000))
      : this.grace;
    const session = this.session!;
    const gen = this.newGeneration(session);
    this.gen = gen;
    this.handoverFrom = old;
    for (const record of this.records) {
      if (record.previous) record.previous.dispose();
      record.previous = record.current;
      record.current = this.startInner(record, gen);
    }
    // streams that get no new rows never "deliver": retire the old socket after a grace period
    setTimeout(() => {
      for (const record of this.records)
        if (record.previous?.gen === old) this.dropPrevious(record);
      this.retire(old);
      if (this.handoverFrom === old) this.handoverFrom = undefined;
    }, grace);
  }

  private scheduleRecovery(): void {
    if (this.recovering || this.disposed) return;
    const delay = retryDelay(this.recoverAttempt++);
    this.recovering = sleep(delay)
      .then(async () => {
        if (this.disposed) return;
        await this.refreshSession();
        this.retire(this.gen);
        this.gen = this.newGeneration(this.session!);
        for (const record of this.records) {
          record.previous?.dispose();
          record.previous = undefined;
          record.current?.dispose();
          record.current = this.startInner(record, this.gen);
        }
      })
      .catch((err) => {
        this.setState({ status: 'error', error: describeError(err) });
      })
      .finally(() => {
        this.recovering = undefined;
        if (this.state.status === 'error' && this.records.size > 0) this.scheduleRecovery();
      });
  }

  dispose(): void {
    this.disposed = true;
    if (this.renewTimer) clearTimeout(this.renewTimer);
    for (const record of this.records) {
      record.closed = true;
      record.current?.dispose();
      record.previous?.dispose();
    }
    this.records.clear();
    this.retire(this.gen);
    this.gen = undefined;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
