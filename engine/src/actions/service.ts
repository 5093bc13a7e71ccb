/**
 * Actions of one engine, wired once at start-up: the webhook client the handlers are called with,
 * the async action log, the worker that processes async actions, and the hook execute/graphql.ts
 * hands operations with action fields to.
 *
 * The worker keeps up to `concurrency` calls in flight, each on its own connection of a small
 * dedicated pool, inside the transaction that locked its row: a call is processed by one engine,
 * and if that engine dies mid-call Postgres ends the transaction and the call waits again.
 */
import type pg from 'pg';
import { createPool } from '@streamsync/database';
import type pino from 'pino';
import { encodeRestError, toQErr } from '../errors.ts';
import type { EngineState } from '../execute/state.ts';
import { WebhookClient } from '../webhook/client.ts';
import type { Env } from '../webhook/env-template.ts';
import type { Json } from '../webhook/kriti.ts';
import type { ActionsConfig } from './config.ts';
import { stateActions, type ResolvedAction } from './definitions.ts';
import type { StepKind } from '../execute/planner.ts';
import { actionStepKind, type ActionRunner } from './execute.ts';
import { ActionLog, type ActionLogRow } from './log.ts';
import { startActionSubscription, type ActionSubscription } from './subscription.ts';
import { callAction, forwardedHeaders, type ActionAnswer } from './webhook.ts';

export interface ActionsDeps {
  metadataPool: pg.Pool;
  metadataDatabaseUrl: string;
  state(): EngineState;
  env: Env;
  config: ActionsConfig;
  log: pino.Logger;
}

export class ActionsService implements ActionRunner {
  readonly log: ActionLog;
  /** the `action` step of operations that select actions (execute.ts) */
  readonly stepKind: StepKind;
  private readonly client = new WebhookClient();
  private workerPool: pg.Pool | null = null;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopping = false;
  private filling = false;
  private fillAgain = false;
  /** aborts the worker's handler calls at shutdown (their calls wait for another engine) */
  private readonly shutdown = new AbortController();
  private running: Set<Promise<void>> = new Set();

  constructor(private readonly deps: ActionsDeps) {
    this.log = new ActionLog(deps.metadataPool);
    this.stepKind = actionStepKind(this);
  }

  call(c: Parameters<ActionRunner['call']>[0]): Promise<ActionAnswer> {
    return callAction(this.client, this.deps.env, c.types, c);
  }

  async enqueue(
    action: ResolvedAction,
    input: Json,
    sessionVariables: Record<string, string>,
    clientHeaders: Readonly<Record<string, string | string[] | undefined>>,
  ): Promise<string> {
    const headers = action.meta.definition.forward_client_headers
      ? forwardedHeaders(clientHeaders).map((h) => ({
          name: h.name,
          value: 'value' in h ? h.value : '',
        }))
      : [];
    const id = await this.log.insert(action.name, input, headers, sessionVariables);
    this.wake();
    return id;
  }

  read(id: string, action: string): Promise<ActionLogRow | null> {
    return this.log.read(id, action);
  }

  /** drop_action's `clear_data`: the action's stored async calls go. */
  clearLog(action: string): Promise<void> {
    return this.log.clear(action);
  }

  /** A subscription to async action results (null: not one; the live-query path takes it). */
  subscribe(c: Parameters<typeof startActionSubscription>[1]): Promise<ActionSubscription | null> {
    return startActionSubscription(this.stepKind, c);
  }

  start(): void {
    if (this.deps.config.fetchIntervalMs === 0) return;
    this.workerPool = createPool({
      connectionString: this.deps.metadataDatabaseUrl,
      applicationName: 'streamsync-engine-actions',
      max: this.deps.config.concurrency,
    });
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.shutdown.abort();
    await Promise.allSettled([...this.running]);
    await this.workerPool?.end().catch(() => {});
    this.client.close();
  }

  /** Look for work now (a call was just made through this engine). */
  private wake(): void {
    if (this.workerPool && !this.stopping) this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.fill(), ms);
    this.timer.unref();
  }

  /** Take waiting calls until every slot is busy or none is left (one pass at a time). */
  private async fill(): Promise<void> {
    this.timer = null;
    const pool = this.workerPool;
    if (!pool || this.stopping) return;
    if (this.filling) {
      // a pass is under way: it looks again when it ends
      this.fillAgain = true;
      return;
    }
    this.filling = true;
    try {
      while (this.inFlight < this.deps.config.concurrency && !this.stopping) {
        const client = await pool.connect();
        let row: ActionLogRow | null = null;
        try {
          await client.query('BEGIN');
          row = await this.log.take(client);
        } catch (e) {
          await client.query('ROLLBACK').catch(() => {});
          client.release();
          throw e;
        }
        if (!row) {
          await client.query('ROLLBACK').catch(() => {});
          client.release();
          break;
        }
        this.inFlight++;
        const p = this.process(client, row).finally(() => {
          this.inFlight--;
          this.running.delete(p);
          this.wake();
        });
        this.running.add(p);
      }
    } catch (err) {
      this.deps.log.warn({ err }, 'async actions: could not fetch waiting actions');
    } finally {
      this.filling = false;
    }
    if (this.stopping) return;
    const again = this.fillAgain;
    this.fillAgain = false;
    this.schedule(again ? 0 : this.deps.config.fetchIntervalMs);
  }

  private async process(client: pg.PoolClient, row: ActionLogRow): Promise<void> {
    const state = this.deps.state();
    const action = stateActions(state).actions.get(row.action_name);
    let ok = false;
    try {
      if (!action) {
        await this.log.fail(client, row.id, {
          path: '$',
          error: `action "${row.action_name}" does not exist`,
          code: 'not-found',
        });
      } else {
        try {
          const r = await this.call({
            action,
            types: stateActions(state),
            input: row.input_payload,
            sessionVariables: row.session_variables,
            requestQuery: '',
            signal: this.shutdown.signal,
            // the client headers stored with the call (forward_client_headers)
            clientHeaders: Object.fromEntries(
              (Array.isArray(row.request_headers) ? row.request_headers : []).map((h) => {
                const x = h as { name: string; value: string };
                return [x.name, x.value];
              }),
            ),
          });
          await this.log.complete(client, row.id, r.value);
        } catch (e) {
          // abandoned at shutdown: rolled back, so the call waits for the next engine
          if (this.stopping) return;
          const q = toQErr(e);
          // as Hasura stores it: {path, error, code} (the handler's own code), internal for admins
          const stored = { ...encodeRestError(q, true), code: q.webhook?.code ?? q.code };
          this.deps.log.warn(
            { action: row.action_name, id: row.id, error: q.message },
            'async action failed',
          );
          await this.log.fail(client, row.id, stored as Json);
        }
      }
      await client.query('COMMIT');
      ok = true;
    } catch (err) {
      this.deps.log.error({ err, id: row.id }, 'async action: could not record the outcome');
    } finally {
      if (!ok) await client.query('ROLLBACK').catch(() => {});
      client.release();
    }
  }
}
